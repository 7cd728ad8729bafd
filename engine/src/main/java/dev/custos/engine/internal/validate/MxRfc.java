package dev.custos.engine.internal.validate;

/**
 * Implements the Mexican RFC (SAT): three letters (companies) or four (individuals), a date
 * YYMMDD, two homoclave characters and a check character: 11 − (Σ value × (13 − position) mod 11)
 * over the alphabet 0-9 A-N &amp; O-Z space Ñ, the 12-character form padded with a leading space;
 * 11 is written 0 and 10 is written A.
 */
final class MxRfc implements Validator {
  private static final String ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ \u00d1";

  @Override
  public String name() {
    return "mx_rfc";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = value.toString().replace("-", "").replace(" ", "");
    if (s.length() != 12 && s.length() != 13) {
      return false;
    }
    int letters = s.length() - 9;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          i < letters
              ? Chars.isUpper(c) || c == '&'
              : i < letters + 6 ? Chars.isDigit(c) : Chars.isDigit(c) || Chars.isUpper(c);
      if (!ok) {
        return false;
      }
    }
    int month = Chars.number(digitsAt(s, letters + 2), 0, 2);
    int day = Chars.number(digitsAt(s, letters + 4), 0, 2);
    if (!Chars.isDate(2000, month, day)) {
      return false;
    }
    String padded = s.length() == 12 ? " " + s : s;
    int sum = 0;
    for (int i = 0; i < 12; i++) {
      sum += ALPHABET.indexOf(padded.charAt(i)) * (13 - i);
    }
    int r = 11 - sum % 11;
    char expected = r == 11 ? '0' : r == 10 ? 'A' : (char) ('0' + r);
    return padded.charAt(12) == expected;
  }

  private static int[] digitsAt(String s, int from) {
    return new int[] {s.charAt(from) - '0', s.charAt(from + 1) - '0'};
  }
}
