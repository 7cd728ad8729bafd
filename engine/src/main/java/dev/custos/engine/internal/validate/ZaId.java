package dev.custos.engine.internal.validate;

/**
 * Implements the South African identity number (YYMMDD SSSS C A Z): a birth date, a citizenship
 * digit (0 citizen, 1 permanent resident, 2 refugee) and a Luhn check digit.
 */
final class ZaId implements Validator {
  @Override
  public String name() {
    return "za_id_number";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 13, " ");
    if (d == null || d.length != 13 || d[10] > 2) {
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
