package dev.custos.engine.internal.validate;

/**
 * Implements the ABA routing transit number check (weights 3, 7, 1, mod 10) and the Federal
 * Reserve prefix ranges 00-12, 21-32, 61-72 and 80.
 */
final class AbaRouting implements Validator {
  private static final int[] WEIGHTS = {3, 7, 1, 3, 7, 1, 3, 7, 1};

  @Override
  public String name() {
    return "aba_routing";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 9, " -");
    if (d == null || d.length != 9) {
      return false;
    }
    int p = Chars.number(d, 0, 2);
    boolean prefixOk =
        p <= 12 || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) || p == 80;
    if (!prefixOk || Chars.number(d, 0, 9) == 0) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 9; i++) {
      sum += d[i] * WEIGHTS[i];
    }
    return sum % 10 == 0;
  }
}
