package dev.custos.engine.internal.validate;

/**
 * Checks that a value is a calendar date (ISO 8601 calendar, years 1900-2099) in one of the forms
 * YYYY-MM-DD, YYYY/MM/DD, DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY or DD-MM-YYYY; day and month may have
 * one or two digits.
 */
final class DateOfBirth extends StructuralCheck {
  @Override
  public String name() {
    return "date";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int len = value.length();
    if (len < 8 || len > 10) {
      return false;
    }
    int[] parts = new int[3];
    int[] widths = new int[3];
    char sep = 0;
    int part = 0;
    for (int i = 0; i < len; i++) {
      char c = value.charAt(i);
      if (Chars.isDigit(c)) {
        parts[part] = parts[part] * 10 + (c - '0');
        widths[part]++;
      } else if (c == '-' || c == '/' || c == '.') {
        if (part == 2 || (sep != 0 && c != sep) || widths[part] == 0) {
          return false;
        }
        sep = c;
        part++;
      } else {
        return false;
      }
    }
    if (part != 2 || widths[2] == 0) {
      return false;
    }
    if (widths[0] == 4 && widths[1] <= 2 && widths[2] <= 2 && sep != '.') {
      return isDate(parts[0], parts[1], parts[2]);
    }
    if (widths[2] == 4 && widths[0] <= 2 && widths[1] <= 2) {
      boolean dayFirst = isDate(parts[2], parts[1], parts[0]);
      boolean monthFirst = sep == '/' && isDate(parts[2], parts[0], parts[1]);
      return dayFirst || monthFirst;
    }
    return false;
  }

  private static boolean isDate(int year, int month, int day) {
    return year >= 1900 && year <= 2099 && Chars.isDate(year, month, day);
  }
}
