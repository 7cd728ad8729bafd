package dev.custos.engine.internal.validate;

/** Implements the Australian Business Number check (ATO): first digit minus 1, weights, mod 89. */
final class AuAbn implements Validator {
  private static final int[] WEIGHTS = {10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19};

  @Override
  public String name() {
    return "au_abn";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 11, " -");
    if (d == null || d.length != 11 || d[0] == 0) {
      return false;
    }
    int sum = (d[0] - 1) * WEIGHTS[0];
    for (int i = 1; i < 11; i++) {
      sum += d[i] * WEIGHTS[i];
    }
    return sum % 89 == 0;
  }
}
