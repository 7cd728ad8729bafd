package dev.custos.engine.internal.validate;

/** Implements the ICAO Doc 9303 check digit (weights 7, 3, 1; letters A=10 ... Z=35; {@code <}=0). */
final class Icao {
  private static final int[] WEIGHTS = {7, 3, 1};

  private Icao() {}

  /** Returns the check digit of the first {@code count} characters of an upper-case value. */
  static int check(CharSequence s, int count) {
    int sum = 0;
    for (int i = 0; i < count; i++) {
      char c = s.charAt(i);
      int v = Chars.isDigit(c) ? c - '0' : Chars.isUpper(c) ? c - 'A' + 10 : 0;
      sum += v * WEIGHTS[i % 3];
    }
    return sum % 10;
  }
}
