package dev.custos.engine.internal.validate;

/** Implements the Dutch burgerservicenummer "11-proef": weights 9 to 2 and -1, sum mod 11 is 0. */
final class NlBsn implements Validator {
  @Override
  public String name() {
    return "nl_bsn";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 9);
    if (d == null || d.length != 9 || Chars.number(d, 0, 9) == 0) {
      return false;
    }
    int sum = -d[8];
    for (int i = 0; i < 8; i++) {
      sum += d[i] * (9 - i);
    }
    return sum % 11 == 0;
  }
}
