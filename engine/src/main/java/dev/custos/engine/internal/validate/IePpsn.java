package dev.custos.engine.internal.validate;

/**
 * Implements the Irish Personal Public Service Number: seven digits, a check letter and an
 * optional second letter (A, B, H or W); the weighted sum (8 down to 2, and 9 × the second letter's
 * position, W counting 0) mod 23 selects the check letter from W, A, B, ... V.
 */
final class IePpsn implements Validator {
  private static final String LETTERS = "WABCDEFGHIJKLMNOPQRSTUV";

  @Override
  public String name() {
    return "ie_ppsn";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 9, " ");
    if (s == null || s.length() < 8) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 7; i++) {
      char c = s.charAt(i);
      if (!Chars.isDigit(c)) {
        return false;
      }
      sum += (c - '0') * (8 - i);
    }
    if (s.length() == 9) {
      char second = s.charAt(8);
      if ("ABHW".indexOf(second) < 0) {
        return false;
      }
      sum += (second == 'W' ? 0 : second - 'A' + 1) * 9;
    }
    return s.charAt(7) == LETTERS.charAt(sum % 23);
  }
}
