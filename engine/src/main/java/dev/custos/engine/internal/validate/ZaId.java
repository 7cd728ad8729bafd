package dev.custos.engine.internal.validate;

/**
 * Implements the South African identity number (YYMMDD SSSS C A Z): a birth date, a citizenship
 * digit C (0 citizen, 1 permanent resident, 2 refugee), a digit A that is 8 or 9 since the race
 * digit was retired and old numbers reissued, and a Luhn check digit Z.
 */
final class ZaId implements Validator {
  @Override
  public String name() {
    return "za_id_number";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 13, " ");
    if (d == null || d.length != 13 || d[10] > 2 || d[11] < 8) {
      return false;
    }
    int yy = Chars.number(d, 0, 2);
    int month = Chars.number(d, 2, 2);
    int day = Chars.number(d, 4, 2);
    // The century is not encoded: accept the date if it exists in either century.
    boolean date = Chars.isDate(1900 + yy, month, day) || Chars.isDate(2000 + yy, month, day);
    return date && Luhn.check(d);
  }
}
