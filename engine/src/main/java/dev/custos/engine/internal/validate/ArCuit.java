package dev.custos.engine.internal.validate;

/**
 * Implements the Argentine CUIT / CUIL (XX-XXXXXXXX-X): a type prefix (20, 23, 24, 27 for people;
 * 30, 33, 34 for companies), the document number, and a mod 11 check digit over weights
 * 5 4 3 2 7 6 5 4 3 2 (11 is written 0; 10 is never issued).
 */
final class ArCuit implements Validator {
  private static final int[] WEIGHTS = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2};

  @Override
  public String name() {
    return "ar_cuit";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 11, " -");
    if (d == null || d.length != 11) {
      return false;
    }
    int type = Chars.number(d, 0, 2);
    if (type != 20 && type != 23 && type != 24 && type != 27 && type != 30 && type != 33
        && type != 34) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 10; i++) {
      sum += d[i] * WEIGHTS[i];
    }
    int r = 11 - sum % 11;
    return r != 10 && (r == 11 ? 0 : r) == d[10];
  }
}
