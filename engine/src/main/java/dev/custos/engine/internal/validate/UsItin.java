package dev.custos.engine.internal.validate;

/**
 * Implements the IRS Individual Taxpayer Identification Number structure: 9XX-GG-XXXX with the
 * group in 50-65, 70-88, 90-92 or 94-99.
 */
final class UsItin extends StructuralCheck {
  @Override
  public String name() {
    return "us_itin";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 9, " -");
    if (d == null || d.length != 9 || d[0] != 9) {
      return false;
    }
    int g = Chars.number(d, 3, 2);
    return (g >= 50 && g <= 65) || (g >= 70 && g <= 88) || (g >= 90 && g <= 92) || g >= 94;
  }
}
