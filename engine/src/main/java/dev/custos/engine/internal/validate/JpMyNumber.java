package dev.custos.engine.internal.validate;

/**
 * Implements the Japanese individual number (My Number, 12 digits): the check digit is
 * 11 − (Σ Pn × Qn mod 11), or 0 when the remainder is 0 or 1, where Pn is the n-th digit from the
 * right of the first eleven and Qn is n + 1 for n ≤ 6 and n − 5 above.
 */
final class JpMyNumber implements Validator {
  @Override
  public String name() {
    return "jp_my_number";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 12, " -");
    if (d == null || d.length != 12) {
      return false;
    }
    int sum = 0;
    for (int n = 1; n <= 11; n++) {
      sum += d[11 - n] * (n <= 6 ? n + 1 : n - 5);
    }
    int r = sum % 11;
    return (r <= 1 ? 0 : 11 - r) == d[11];
  }
}
