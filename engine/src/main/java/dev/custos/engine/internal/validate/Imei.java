package dev.custos.engine.internal.validate;

/** Implements the IMEI check digit (3GPP TS 23.003): Luhn over 15 digits, not all zeros. */
final class Imei implements Validator {
  @Override
  public String name() {
    return "imei";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 15);
    if (d == null || d.length != 15) {
      return false;
    }
    boolean allZero = true;
    for (int x : d) {
      allZero &= x == 0;
    }
    return !allZero && Luhn.check(d);
  }
}
