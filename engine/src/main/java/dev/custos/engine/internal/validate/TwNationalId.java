package dev.custos.engine.internal.validate;

/**
 * Implements the Taiwanese national identification number (A123456789): a region letter mapped to
 * a two-digit code (A=10 ... with I=34, O=35, W=32, X=30, Y=31, Z=33), a sex digit (1, 2, or 8, 9
 * for resident certificates), seven digits and a check digit; weights 1, 9 for the code, then 8 down
 * to 1 and 1, total divisible by 10.
 */
final class TwNationalId implements Validator {
  private static final int[] CODES = {
    10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30,
    31, 33
  };

  @Override
  public String name() {
    return "tw_national_id";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 10, "");
    if (s == null || s.length() != 10 || !Chars.isUpper(s.charAt(0))) {
      return false;
    }
    int[] d = Chars.digits(s.substring(1), 9, "");
    if (d == null || d.length != 9 || (d[0] != 1 && d[0] != 2 && d[0] != 8 && d[0] != 9)) {
      return false;
    }
    int code = CODES[s.charAt(0) - 'A'];
    int sum = code / 10 + (code % 10) * 9;
    for (int i = 0; i < 8; i++) {
      sum += d[i] * (8 - i);
    }
    sum += d[8];
    return sum % 10 == 0;
  }
}
