package dev.custos.engine.internal.validate;

/**
 * Implements the Chilean RUT / RUN (12.345.678-5): seven or eight digits and a mod 11 check
 * character (weights 2 to 7 repeating from the right; 11 is written 0 and 10 is written K).
 */
final class ClRut implements Validator {
  @Override
  public String name() {
    return "cl_rut";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 9, ".- ");
    if (s == null || s.length() < 8) {
      return false;
    }
    int[] d = Chars.digits(s.substring(0, s.length() - 1), 8, "");
    if (d == null || d.length < 7 || d[0] == 0) {
      return false;
    }
    int sum = 0;
    int w = 2;
    for (int i = d.length - 1; i >= 0; i--) {
      sum += d[i] * w;
      w = w == 7 ? 2 : w + 1;
    }
    int r = 11 - sum % 11;
    char expected = r == 11 ? '0' : r == 10 ? 'K' : (char) ('0' + r);
    return s.charAt(s.length() - 1) == expected;
  }
}
