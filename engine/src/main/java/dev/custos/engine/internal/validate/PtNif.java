package dev.custos.engine.internal.validate;

/**
 * Implements the Portuguese tax number (NIF / NIPC): nine digits starting 1, 2, 3, 5, 6, 7, 8 or 9
 * and a mod 11 check digit over weights 9 down to 2 (a result of 10 or 11 becomes 0).
 */
final class PtNif implements Validator {
  @Override
  public String name() {
    return "pt_nif";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 9, " ");
    if (d == null || d.length != 9 || d[0] == 0 || d[0] == 4) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 8; i++) {
      sum += d[i] * (9 - i);
    }
    int check = 11 - sum % 11;
    return (check >= 10 ? 0 : check) == d[8];
  }
}
