package dev.custos.engine.internal.validate;

/**
 * Implements the Thai national identification number: 13 digits, a person type 1-8 first, and a
 * mod 11 check digit over weights 13 down to 2.
 */
final class ThId implements Validator {
  @Override
  public String name() {
    return "th_national_id";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 13, " -");
    if (d == null || d.length != 13 || d[0] < 1 || d[0] > 8) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 12; i++) {
      sum += d[i] * (13 - i);
    }
    return (11 - sum % 11) % 10 == d[12];
  }
}
