package dev.custos.engine.internal.validate;

/**
 * Implements the Israeli identity number (Teudat Zehut): up to nine digits, left-padded with
 * zeros, weights alternating 1 and 2 with two-digit products reduced to their digit sum, total
 * divisible by 10; all zeros is rejected.
 */
final class IlTeudatZehut implements Validator {
  @Override
  public String name() {
    return "il_teudat_zehut";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 9, " -");
    if (d == null || d.length < 5) {
      return false;
    }
    int[] padded = new int[9];
    System.arraycopy(d, 0, padded, 9 - d.length, d.length);
    boolean nonZero = false;
    for (int x : padded) {
      nonZero |= x != 0;
    }
    return nonZero && Luhn.check(padded);
  }
}
