package dev.custos.engine.internal.validate;

/**
 * Implements the US Social Security number structure published by the Social Security
 * Administration: area not 000, 666 or 900-999, group not 00, serial not 0000.
 */
final class UsSsn extends StructuralCheck {
  @Override
  public String name() {
    return "us_ssn";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 9, " -");
    if (d == null || d.length != 9) {
      return false;
    }
    int area = Chars.number(d, 0, 3);
    int group = Chars.number(d, 3, 2);
    int serial = Chars.number(d, 5, 4);
    if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) {
      return false;
    }
    int all = Chars.number(d, 0, 9);
    // Widely published placeholder numbers. 078-05-1120 stays valid on purpose: it is our canary.
    return all != 123456789 && all != 219099999;
  }
}
