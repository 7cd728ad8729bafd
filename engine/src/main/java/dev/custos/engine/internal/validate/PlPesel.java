package dev.custos.engine.internal.validate;

/**
 * Implements the Polish PESEL number: encoded birth date (month offset by century) and the check
 * digit with weights 1, 3, 7, 9.
 */
final class PlPesel implements Validator {
  private static final int[] WEIGHTS = {1, 3, 7, 9, 1, 3, 7, 9, 1, 3};

  @Override
  public String name() {
    return "pl_pesel";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 11, " ");
    if (d == null || d.length != 11) {
      return false;
    }
    int yy = Chars.number(d, 0, 2);
    int mm = Chars.number(d, 2, 2);
    int dd = Chars.number(d, 4, 2);
    int century;
    if (mm > 80) {
      century = 1800;
    } else if (mm > 60) {
      century = 2200;
    } else if (mm > 40) {
      century = 2100;
    } else if (mm > 20) {
      century = 2000;
    } else {
      century = 1900;
    }
    if (!Chars.isDate(century + yy, mm % 20, dd)) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 10; i++) {
      sum += d[i] * WEIGHTS[i];
    }
    return (10 - sum % 10) % 10 == d[10];
  }
}
