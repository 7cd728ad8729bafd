package dev.custos.engine.internal.validate;

/**
 * Implements the South Korean business registration number (사업자등록번호, XXX-XX-XXXXX): weights
 * 1, 3, 7, 1, 3, 7, 1, 3, 5 plus the tens of the ninth digit times five, mod 10 check digit.
 */
final class KrBrn implements Validator {
  private static final int[] WEIGHTS = {1, 3, 7, 1, 3, 7, 1, 3, 5};

  @Override
  public String name() {
    return "kr_brn";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 10, " -");
    if (d == null || d.length != 10 || Chars.number(d, 0, 3) < 101) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 9; i++) {
      sum += d[i] * WEIGHTS[i];
    }
    sum += d[8] * 5 / 10;
    return (10 - sum % 10) % 10 == d[9];
  }
}
