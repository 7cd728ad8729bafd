package dev.custos.engine.internal.validate;

/**
 * Implements the Italian codice fiscale (DM 23/12/1976): layout, month letter, day, omocodia
 * substitutions and the odd/even table check character.
 */
final class ItFiscalCode implements Validator {
  /** Values of characters in odd (1-based) positions, for A-Z; digits 0-9 map like A-J. */
  private static final int[] ODD = {
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23
  };

  private static final String MONTHS = "ABCDEHLMPRST";
  private static final String OMOCODIA = "LMNPQRSTUV";
  private static final int[] DIGIT_POSITIONS = {6, 7, 9, 10, 12, 13, 14};

  @Override
  public String name() {
    return "it_fiscal_code";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 16, "");
    if (s == null || s.length() != 16) {
      return false;
    }
    for (int i : new int[] {0, 1, 2, 3, 4, 5, 8, 11, 15}) {
      if (!Chars.isUpper(s.charAt(i))) {
        return false;
      }
    }
    for (int i : DIGIT_POSITIONS) {
      char c = s.charAt(i);
      if (!Chars.isDigit(c) && OMOCODIA.indexOf(c) < 0) {
        return false;
      }
    }
    if (MONTHS.indexOf(s.charAt(8)) < 0) {
      return false;
    }
    int day = digit(s.charAt(9)) * 10 + digit(s.charAt(10));
    if (!((day >= 1 && day <= 31) || (day >= 41 && day <= 71))) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 15; i++) {
      char c = s.charAt(i);
      int v = Chars.isDigit(c) ? c - '0' : c - 'A';
      sum += i % 2 == 0 ? ODD[v] : v;
    }
    return s.charAt(15) == (char) ('A' + sum % 26);
  }

  private static int digit(char c) {
    return Chars.isDigit(c) ? c - '0' : OMOCODIA.indexOf(c);
  }
}
