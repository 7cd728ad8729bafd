package dev.custos.engine.internal.validate;

/** Implements the NHS number check digit (NHS Data Dictionary): modulus 11 with weights 10 to 2. */
final class UkNhs implements Validator {
  @Override
  public String name() {
    return "uk_nhs";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 10, " -");
    if (d == null || d.length != 10) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 9; i++) {
      sum += d[i] * (10 - i);
    }
    int check = 11 - sum % 11;
    if (check == 11) {
      check = 0;
    }
    return check != 10 && check == d[9];
  }
}
