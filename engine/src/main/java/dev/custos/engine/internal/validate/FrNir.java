package dev.custos.engine.internal.validate;

/**
 * Implements the French social security number (NIR / numéro INSEE): sex 1, 2 (or 3, 4, 7, 8 for
 * temporary numbers), year, month (01-12, or 20 and 30-42 and 50-99 when unknown), department (two
 * digits, 2A or 2B for Corsica, counted as 19 and 18), commune, order number, and a two-digit key
 * equal to 97 − (the 13-digit number mod 97).
 */
final class FrNir implements Validator {
  @Override
  public String name() {
    return "fr_nir";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 15, " ");
    if (s == null || s.length() != 15) {
      return false;
    }
    long number = 0;
    for (int i = 0; i < 13; i++) {
      char c = s.charAt(i);
      int v;
      if (Chars.isDigit(c)) {
        v = c - '0';
      } else if (i == 6 && s.charAt(5) == '2' && (c == 'A' || c == 'B')) {
        // 2A is counted as 19, 2B as 18: replace the pair's value.
        number = number / 10 * 10 + 1;
        v = c == 'A' ? 9 : 8;
      } else {
        return false;
      }
      number = number * 10 + v;
    }
    char sex = s.charAt(0);
    if ("123478".indexOf(sex) < 0) {
      return false;
    }
    int month = (s.charAt(3) - '0') * 10 + (s.charAt(4) - '0');
    if (month == 0 || (month > 12 && month != 20 && month < 30) || (month > 42 && month < 50)) {
      return false;
    }
    if (!Chars.isDigit(s.charAt(13)) || !Chars.isDigit(s.charAt(14))) {
      return false;
    }
    int key = (s.charAt(13) - '0') * 10 + (s.charAt(14) - '0');
    return key >= 1 && key == 97 - (int) (number % 97);
  }
}
