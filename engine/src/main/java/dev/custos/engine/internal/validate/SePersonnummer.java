package dev.custos.engine.internal.validate;

/**
 * Implements the Swedish personnummer and samordningsnummer (Skatteverket SKV 704): a valid date
 * (day plus 60 for coordination numbers) and Luhn over the 10-digit form.
 */
final class SePersonnummer implements Validator {
  @Override
  public String name() {
    return "se_personnummer";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int len = value.length();
    int[] d = new int[12];
    int n = 0;
    for (int i = 0; i < len; i++) {
      char c = value.charAt(i);
      if (Chars.isDigit(c)) {
        if (n == 12) {
          return false;
        }
        d[n++] = c - '0';
      } else if ((c == '-' || c == '+') && i == len - 5) {
        continue;
      } else {
        return false;
      }
    }
    if (n != 10 && n != 12) {
      return false;
    }
    int off = n - 10;
    int month = Chars.number(d, off + 2, 2);
    int day = Chars.number(d, off + 4, 2);
    if (day > 60) {
      day -= 60;
    }
    boolean dateOk;
    if (n == 12) {
      int year = Chars.number(d, 0, 4);
      dateOk = year >= 1800 && Chars.isDate(year, month, day);
    } else {
      // Without the century, 29 February is possible whenever the two-digit year allows it.
      int yy = Chars.number(d, 0, 2);
      dateOk = Chars.isDate(2000 + yy, month, day) || Chars.isDate(1900 + yy, month, day);
    }
    if (!dateOk) {
      return false;
    }
    int[] ten = new int[10];
    System.arraycopy(d, off, ten, 0, 10);
    return Luhn.check(ten);
  }
}
