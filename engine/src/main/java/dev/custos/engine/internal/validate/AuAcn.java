package dev.custos.engine.internal.validate;

/** Implements the Australian Company Number check (ASIC): weights 8 to 1, complement of mod 10. */
final class AuAcn implements Validator {
  @Override
  public String name() {
    return "au_acn";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 9, " -");
    if (d == null || d.length != 9 || Chars.number(d, 0, 9) == 0) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 8; i++) {
      sum += d[i] * (8 - i);
    }
    return (10 - sum % 10) % 10 == d[8];
  }
}
