package dev.custos.engine.internal.validate;

/**
 * Implements the Australian Medicare card number check: first digit 2-6, weights 1, 3, 7, 9 over
 * 8 digits mod 10 equal to the 9th, then an issue number and an optional individual reference.
 */
final class AuMedicare implements Validator {
  private static final int[] WEIGHTS = {1, 3, 7, 9, 1, 3, 7, 9};

  @Override
  public String name() {
    return "au_medicare";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 11, " -/");
    if (d == null || (d.length != 10 && d.length != 11) || d[0] < 2 || d[0] > 6) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 8; i++) {
      sum += d[i] * WEIGHTS[i];
    }
    return sum % 10 == d[8];
  }
}
