package dev.custos.engine.internal.validate;

/** Implements the ISO/IEC 7064 check character systems used by national ids. */
final class Iso7064 {
  private Iso7064() {}

  /**
   * Returns the MOD 11,10 (hybrid) check digit of {@code digits[0..count)}, as used by the German
   * Steuer-IdNr and VAT number.
   */
  static int mod11x10(int[] digits, int count) {
    int p = 10;
    for (int i = 0; i < count; i++) {
      int s = (digits[i] + p) % 10;
      if (s == 0) {
        s = 10;
      }
      p = (s * 2) % 11;
    }
    return (11 - p) % 10;
  }

  /**
   * Returns the MOD 11-2 check value (0 to 10, 10 written X) of {@code digits[0..count)}, as used
   * by the Chinese resident identity number (GB 11643).
   */
  static int mod11x2(int[] digits, int count) {
    int sum = 0;
    for (int i = 0; i < count; i++) {
      sum = ((sum + digits[i]) * 2) % 11;
    }
    return (12 - sum % 11) % 11;
  }
}
