package dev.custos.engine.internal.validate;

/**
 * Implements the New Zealand IRD number (Inland Revenue's published check): 8 or 9 digits in the
 * range 10,000,000 to 150,000,000; the base (left-padded to eight digits) is weighted 3 2 7 6 5 4
 * 3 2, check = 11 − remainder (0 when the remainder is 0), and when that gives 10 the secondary
 * weights 7 4 3 2 5 2 7 6 are used; a second 10 makes the number invalid.
 */
final class NzIrd implements Validator {
  private static final int[] PRIMARY = {3, 2, 7, 6, 5, 4, 3, 2};
  private static final int[] SECONDARY = {7, 4, 3, 2, 5, 2, 7, 6};

  @Override
  public String name() {
    return "nz_ird";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 9, " -");
    if (d == null || d.length < 8) {
      return false;
    }
    int n = Chars.number(d, 0, d.length);
    if (n < 10_000_000 || n > 150_000_000) {
      return false;
    }
    int[] base = new int[8];
    System.arraycopy(d, 0, base, 9 - d.length, d.length - 1);
    int check = check(base, PRIMARY);
    if (check == 10) {
      check = check(base, SECONDARY);
    }
    return check != 10 && check == d[d.length - 1];
  }

  private static int check(int[] base, int[] weights) {
    int sum = 0;
    for (int i = 0; i < 8; i++) {
      sum += base[i] * weights[i];
    }
    int r = sum % 11;
    return r == 0 ? 0 : 11 - r;
  }
}
