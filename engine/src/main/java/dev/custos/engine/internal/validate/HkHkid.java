package dev.custos.engine.internal.validate;

/**
 * Implements the Hong Kong identity card number (A123456(3)): one or two letters, six digits and a
 * check character: 11 − (weighted sum mod 11) with weights 9 (a space, counted 36, when there is
 * one letter), 8, then 7 down to 2, letters A=10 ... Z=35; 10 is written A and 11 is written 0.
 */
final class HkHkid implements Validator {
  @Override
  public String name() {
    return "hk_hkid";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 9, "() ");
    if (s == null || (s.length() != 8 && s.length() != 9)) {
      return false;
    }
    int letters = s.length() - 7;
    int sum = letters == 1 ? 36 * 9 : 0;
    for (int i = 0; i < letters; i++) {
      char c = s.charAt(i);
      if (!Chars.isUpper(c)) {
        return false;
      }
      sum += (c - 'A' + 10) * (letters == 1 ? 8 : 9 - i);
    }
    for (int i = 0; i < 6; i++) {
      char c = s.charAt(letters + i);
      if (!Chars.isDigit(c)) {
        return false;
      }
      sum += (c - '0') * (7 - i);
    }
    int r = 11 - sum % 11;
    char expected = r == 11 ? '0' : r == 10 ? 'A' : (char) ('0' + r);
    return s.charAt(s.length() - 1) == expected;
  }
}
