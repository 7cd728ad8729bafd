package dev.custos.engine.internal.validate;

/**
 * Implements the South Korean resident registration number: birth date with the century from the
 * 7th digit (1-8) and the weighted mod 11 check digit used for numbers issued before October 2020.
 */
final class KrRrn implements Validator {
  private static final int[] WEIGHTS = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};

  @Override
  public String name() {
    return "kr_rrn";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 13, " -");
    if (d == null || d.length != 13 || d[6] < 1 || d[6] > 8) {
      return false;
    }
    int century = (d[6] == 1 || d[6] == 2 || d[6] == 5 || d[6] == 6) ? 1900 : 2000;
    int year = century + Chars.number(d, 0, 2);
    if (!Chars.isDate(year, Chars.number(d, 2, 2), Chars.number(d, 4, 2))) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 12; i++) {
      sum += d[i] * WEIGHTS[i];
    }
    return (11 - sum % 11) % 10 == d[12];
  }
}
