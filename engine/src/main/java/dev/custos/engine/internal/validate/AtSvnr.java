package dev.custos.engine.internal.validate;

/**
 * Implements the Austrian social insurance number (Sozialversicherungsnummer, NNNC DDMMYY): a
 * serial number without leading zero, a check digit equal to the weighted sum (3 7 9 · 5 8 4 2 1 6)
 * mod 11 (never 10), and a birth date (month 13-15 or day 0 allowed when unknown).
 */
final class AtSvnr implements Validator {
  private static final int[] WEIGHTS = {3, 7, 9, 0, 5, 8, 4, 2, 1, 6};

  @Override
  public String name() {
    return "at_social_security";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 10, " ");
    if (d == null || d.length != 10 || d[0] == 0) {
      return false;
    }
    int day = Chars.number(d, 4, 2);
    int month = Chars.number(d, 6, 2);
    if (day > 31 || month < 1 || month > 15) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 10; i++) {
      sum += d[i] * WEIGHTS[i];
    }
    return sum % 11 == d[3];
  }
}
