package dev.custos.engine.internal.validate;

/**
 * Implements the Swiss social security number (AHV / AVS, 756.XXXX.XXXX.XC): 13 digits with the
 * country prefix 756 and an EAN-13 (GS1) check digit.
 */
final class ChAhv implements Validator {
  @Override
  public String name() {
    return "ch_ahv";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 13, " .");
    if (d == null || d.length != 13 || d[0] != 7 || d[1] != 5 || d[2] != 6) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 12; i++) {
      sum += d[i] * (i % 2 == 0 ? 1 : 3);
    }
    return (10 - sum % 10) % 10 == d[12];
  }
}
