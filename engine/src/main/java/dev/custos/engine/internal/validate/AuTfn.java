package dev.custos.engine.internal.validate;

/** Implements the Australian Tax File Number check: weighted sum mod 11 over 8 or 9 digits. */
final class AuTfn implements Validator {
  private static final int[] WEIGHTS_9 = {1, 4, 3, 7, 5, 8, 6, 9, 10};
  private static final int[] WEIGHTS_8 = {10, 7, 8, 4, 6, 3, 5, 1};

  @Override
  public String name() {
    return "au_tfn";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 9, " -");
    if (d == null || (d.length != 8 && d.length != 9) || Chars.number(d, 0, d.length) == 0) {
      return false;
    }
    int[] w = d.length == 9 ? WEIGHTS_9 : WEIGHTS_8;
    int sum = 0;
    for (int i = 0; i < d.length; i++) {
      sum += d[i] * w[i];
    }
    return sum % 11 == 0;
  }
}
