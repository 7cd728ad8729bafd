package dev.custos.engine.internal.validate;

/**
 * Implements the Mexican CURP (18 characters, RENAPO): four letters, a birth date YYMMDD, sex H, M
 * or X, a two-letter state code, three internal consonants, a differentiator (a digit for births
 * before 2000, a letter from 2000) and a check digit: (10 − Σ value × (18 − position) mod 10)
 * mod 10 over the alphabet 0-9 A-N Ñ O-Z.
 */
final class MxCurp implements Validator {
  private static final String ALPHABET = "0123456789ABCDEFGHIJKLMN\u00d1OPQRSTUVWXYZ";
  private static final String STATES =
      "AS BC BS CC CL CM CS CH DF DG GT GR HG JC MC MN MS NT NL OC PL QT QR SP SL SR TC TS TL VZ YN"
          + " ZS NE";

  @Override
  public String name() {
    return "mx_curp";
  }

  @Override
  public boolean isValid(CharSequence value) {
    if (value.length() != 18) {
      return false;
    }
    String s = value.toString();
    for (int i = 0; i < 18; i++) {
      char c = s.charAt(i);
      boolean digitSlot = (i >= 4 && i <= 9) || i == 17;
      if (digitSlot ? !Chars.isDigit(c) : (i != 16 && !Chars.isUpper(c))) {
        return false;
      }
    }
    char diff = s.charAt(16);
    if (!Chars.isDigit(diff) && !Chars.isUpper(diff)) {
      return false;
    }
    if ("HMX".indexOf(s.charAt(10)) < 0 || !STATES.contains(s.substring(11, 13))) {
      return false;
    }
    int yy = (s.charAt(4) - '0') * 10 + (s.charAt(5) - '0');
    int year = (Chars.isDigit(diff) ? 1900 : 2000) + yy;
    int month = (s.charAt(6) - '0') * 10 + (s.charAt(7) - '0');
    int day = (s.charAt(8) - '0') * 10 + (s.charAt(9) - '0');
    if (!Chars.isDate(year, month, day)) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 17; i++) {
      sum += ALPHABET.indexOf(s.charAt(i)) * (18 - i);
    }
    return (10 - sum % 10) % 10 == s.charAt(17) - '0';
  }
}
