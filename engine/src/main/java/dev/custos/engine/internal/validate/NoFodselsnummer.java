package dev.custos.engine.internal.validate;

/**
 * Implements the Norwegian fødselsnummer (DDMMYY IIIKK) and D-number (day plus 40) or H-number
 * (month plus 40): a birth date and two mod 11 check digits (weights 3 7 6 1 8 9 4 5 2, then
 * 5 4 3 2 7 6 5 4 3 2).
 */
final class NoFodselsnummer implements Validator {
  private static final int[] K1 = {3, 7, 6, 1, 8, 9, 4, 5, 2};
  private static final int[] K2 = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2};

  @Override
  public String name() {
    return "no_fodselsnummer";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 11, " ");
    if (d == null || d.length != 11) {
      return false;
    }
    int day = Chars.number(d, 0, 2);
    int month = Chars.number(d, 2, 2);
    if (day > 40) {
      day -= 40;
    }
    if (month > 40) {
      month -= 40;
    }
    // Leap years need the century (from the individual number): accept any 29 February.
    if (!Chars.isDate(2000, month, day)) {
      return false;
    }
    return check(d, K1) == d[9] && check(d, K2) == d[10];
  }

  private static int check(int[] d, int[] weights) {
    int sum = 0;
    for (int i = 0; i < weights.length; i++) {
      sum += d[i] * weights[i];
    }
    int k = 11 - sum % 11;
    return k == 11 ? 0 : k;
  }
}
