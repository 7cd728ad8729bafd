package dev.custos.engine.internal.validate;

/** Implements the IRS Employer Identification Number structure: 9 digits with a valid campus prefix. */
final class UsEin extends StructuralCheck {
  @Override
  public String name() {
    return "us_ein";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 9, " -");
    if (d == null || d.length != 9) {
      return false;
    }
    int p = Chars.number(d, 0, 2);
    return (p >= 1 && p <= 6)
        || (p >= 10 && p <= 16)
        || (p >= 20 && p <= 27)
        || (p >= 30 && p <= 48)
        || (p >= 50 && p <= 68)
        || (p >= 71 && p <= 77)
        || (p >= 80 && p <= 88)
        || (p >= 90 && p <= 95)
        || p >= 98;
  }
}
