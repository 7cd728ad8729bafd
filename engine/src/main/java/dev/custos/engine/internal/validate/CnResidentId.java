package dev.custos.engine.internal.validate;

/**
 * Implements the Chinese resident identity number (GB 11643-1999): a six-digit region code
 * starting 1-8, a birth date YYYYMMDD (1900 onwards), a sequence number and an ISO/IEC 7064
 * MOD 11-2 check character (0-9 or X).
 */
final class CnResidentId implements Validator {
  @Override
  public String name() {
    return "cn_resident_id";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 18, "");
    if (s == null || s.length() != 18) {
      return false;
    }
    int[] d = Chars.digits(s.substring(0, 17), 17, "");
    if (d == null || d.length != 17 || d[0] < 1 || d[0] > 8) {
      return false;
    }
    int year = Chars.number(d, 6, 4);
    if (year < 1900 || year > 2099
        || !Chars.isDate(year, Chars.number(d, 10, 2), Chars.number(d, 12, 2))) {
      return false;
    }
    int check = Iso7064.mod11x2(d, 17);
    char last = s.charAt(17);
    return check == 10 ? last == 'X' : last == '0' + check;
  }
}
