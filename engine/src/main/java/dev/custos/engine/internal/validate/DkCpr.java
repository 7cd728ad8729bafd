package dev.custos.engine.internal.validate;

/**
 * Checks a Danish CPR number (DDMMYY-SSSS): the birth date must exist in the century the seventh
 * digit gives (CPR office rules). The mod 11 check was abandoned in 2007, so passing this does not
 * raise confidence.
 */
final class DkCpr extends StructuralCheck {
  @Override
  public String name() {
    return "dk_cpr";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 10, " -");
    if (d == null || d.length != 10) {
      return false;
    }
    int yy = Chars.number(d, 4, 2);
    int century;
    if (d[6] <= 3) {
      century = 1900;
    } else if (d[6] == 4 || d[6] == 9) {
      century = yy <= 36 ? 2000 : 1900;
    } else {
      century = yy <= 57 ? 2000 : 1800;
    }
    return Chars.isDate(century + yy, Chars.number(d, 2, 2), Chars.number(d, 0, 2));
  }
}
