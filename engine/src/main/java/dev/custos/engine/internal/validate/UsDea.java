package dev.custos.engine.internal.validate;

/**
 * Implements the DEA registration number check: registrant type letter, a second letter, six
 * digits and a check digit equal to the last digit of d1+d3+d5 + 2*(d2+d4+d6).
 */
final class UsDea implements Validator {
  private static final String TYPES = "ABCDEFGHJKLMPRSTUX";

  @Override
  public String name() {
    return "us_dea";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 9, " -");
    if (s == null || s.length() != 9) {
      return false;
    }
    if (TYPES.indexOf(s.charAt(0)) < 0 || !Chars.isUpper(s.charAt(1))) {
      return false;
    }
    int[] d = new int[7];
    for (int i = 0; i < 7; i++) {
      char c = s.charAt(i + 2);
      if (!Chars.isDigit(c)) {
        return false;
      }
      d[i] = c - '0';
    }
    int sum = d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5]);
    return sum % 10 == d[6];
  }
}
