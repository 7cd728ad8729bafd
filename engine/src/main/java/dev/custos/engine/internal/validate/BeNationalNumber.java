package dev.custos.engine.internal.validate;

/**
 * Implements the Belgian national register number (YY.MM.DD-SSS.CC): a birth date (month plus 20
 * or 40 for BIS numbers, 00 when unknown), a sequence number, and a key equal to 97 − (the first
 * nine digits mod 97), with a 2 prefixed to the nine digits for people born from 2000.
 */
final class BeNationalNumber implements Validator {
  @Override
  public String name() {
    return "be_national_number";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 11, " -.");
    if (d == null || d.length != 11) {
      return false;
    }
    int month = Chars.number(d, 2, 2) % 20;
    int day = Chars.number(d, 4, 2);
    if (Chars.number(d, 2, 2) > 52 || month > 12 || day > 31) {
      return false;
    }
    long nine = Chars.number(d, 0, 9);
    int key = Chars.number(d, 9, 2);
    int seq = Chars.number(d, 6, 3);
    if (seq == 0 || seq == 999) {
      return false;
    }
    boolean dated = month == 0 || day == 0;
    int yy = Chars.number(d, 0, 2);
    if (key == 97 - (int) (nine % 97)
        && (dated || Chars.isDate(1900 + yy, month, day))) {
      return true;
    }
    return key == 97 - (int) ((2_000_000_000L + nine) % 97)
        && (dated || Chars.isDate(2000 + yy, month, day));
  }
}
