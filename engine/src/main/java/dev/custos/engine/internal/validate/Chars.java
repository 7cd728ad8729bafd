package dev.custos.engine.internal.validate;

import org.jspecify.annotations.Nullable;

/** Extracts the core of a matched value (its digits or letters) and checks calendar dates. */
final class Chars {
  /** The separators most validators ignore. */
  static final String SEPARATORS = " -./";

  private Chars() {}

  /**
   * Returns the digits of {@code value}, skipping characters in {@code separators}, or {@code null}
   * if any other character occurs or there are more than {@code max} digits. Stops early, so it
   * runs in time linear in the value and allocates at most {@code max} ints.
   */
  static int @Nullable [] digits(CharSequence value, int max, String separators) {
    int[] out = new int[max];
    int n = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c >= '0' && c <= '9') {
        if (n == max) {
          return null;
        }
        out[n++] = c - '0';
      } else if (separators.indexOf(c) < 0) {
        return null;
      }
    }
    return n == max ? out : java.util.Arrays.copyOf(out, n);
  }

  /** Returns {@link #digits(CharSequence, int, String)} with the default separators. */
  static int @Nullable [] digits(CharSequence value, int max) {
    return digits(value, max, SEPARATORS);
  }

  /**
   * Returns the ASCII letters (upper-cased) and digits of {@code value}, skipping characters in
   * {@code separators}, or {@code null} if any other character occurs or there are more than
   * {@code max} of them.
   */
  static @Nullable String alnum(CharSequence value, int max, String separators) {
    StringBuilder out = new StringBuilder(Math.min(max, 64));
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c >= 'a' && c <= 'z') {
        c = (char) (c - 'a' + 'A');
      }
      if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) {
        if (out.length() == max) {
          return null;
        }
        out.append(c);
      } else if (separators.indexOf(c) < 0) {
        return null;
      }
    }
    return out.toString();
  }

  /** Returns {@link #alnum(CharSequence, int, String)} with the default separators. */
  static @Nullable String alnum(CharSequence value, int max) {
    return alnum(value, max, SEPARATORS);
  }

  static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  static boolean isUpper(char c) {
    return c >= 'A' && c <= 'Z';
  }

  /** Returns the number formed by {@code count} digits starting at {@code from}. */
  static int number(int[] digits, int from, int count) {
    int n = 0;
    for (int i = from; i < from + count; i++) {
      n = n * 10 + digits[i];
    }
    return n;
  }

  /** Returns whether year, month and day form a date of the proleptic Gregorian calendar. */
  static boolean isDate(int year, int month, int day) {
    if (month < 1 || month > 12 || day < 1) {
      return false;
    }
    return day <= daysInMonth(year, month);
  }

  static int daysInMonth(int year, int month) {
    switch (month) {
      case 2:
        return isLeap(year) ? 29 : 28;
      case 4:
      case 6:
      case 9:
      case 11:
        return 30;
      default:
        return 31;
    }
  }

  static boolean isLeap(int year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  }
}
