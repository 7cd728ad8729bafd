package dev.custos.engine.internal.validate;

/** Implements the UIDAI Aadhaar number check: 12 digits, first 2-9, Verhoeff check digit. */
final class InAadhaar implements Validator {
  private static final int[][] D = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
    {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
    {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
    {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
    {4, 0, 1, 2, 3, 9, 5, 6, 7, 8},
    {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
    {6, 5, 9, 8, 7, 1, 0, 4, 3, 2},
    {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
    {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
    {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}
  };

  private static final int[][] P = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
    {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
    {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
    {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
    {9, 4, 5, 3, 1, 2, 6, 8, 7, 0},
    {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
    {2, 7, 9, 3, 8, 0, 6, 4, 1, 5},
    {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}
  };

  @Override
  public String name() {
    return "in_aadhaar";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 12, " -");
    return d != null && d.length == 12 && d[0] >= 2 && verhoeff(d);
  }

  /** Returns whether {@code digits}, check digit last, pass the Verhoeff check. */
  static boolean verhoeff(int[] digits) {
    int c = 0;
    for (int i = 0; i < digits.length; i++) {
      c = D[c][P[i % 8][digits[digits.length - 1 - i]]];
    }
    return c == 0;
  }
}
