package dev.custos.engine.internal.validate;

/**
 * Checks the structure of a DVLA (Great Britain) driving licence number: five surname characters
 * (letters, padded with 9s that no letter follows), the decade digit, the birth month (plus 50 for
 * women), the day, the year digit, two initials (padded with 9), an arbitrary digit and two check
 * letters; the month and day must form a date. DVLA does not publish the check letters' algorithm,
 * so passing this does not raise confidence.
 */
final class UkDrivingLicence extends StructuralCheck {
  @Override
  public String name() {
    return "uk_driving_licence";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 18, " ");
    if (s == null || (s.length() != 16 && s.length() != 18)) {
      return false;
    }
    if (!padded(s, 0, 5) || !padded(s, 11, 2) || !Chars.isUpper(s.charAt(0))) {
      return false;
    }
    for (int i = 5; i < 11; i++) {
      if (!Chars.isDigit(s.charAt(i))) {
        return false;
      }
    }
    if (!Chars.isDigit(s.charAt(13)) || !Chars.isUpper(s.charAt(14))
        || !Chars.isUpper(s.charAt(15))) {
      return false;
    }
    if (s.length() == 18 && !(Chars.isDigit(s.charAt(16)) && Chars.isDigit(s.charAt(17)))) {
      return false;
    }
    int month = (s.charAt(6) - '0') * 10 + (s.charAt(7) - '0');
    if (month > 50) {
      month -= 50;
    }
    int day = (s.charAt(8) - '0') * 10 + (s.charAt(9) - '0');
    // Leap years are not known from one year digit: accept 29 February.
    return Chars.isDate(2000, month, day);
  }

  /** Returns whether {@code s[from, from+count)} is letters followed by nothing but 9s. */
  private static boolean padded(String s, int from, int count) {
    boolean padding = false;
    for (int i = from; i < from + count; i++) {
      char c = s.charAt(i);
      if (c == '9') {
        padding = true;
      } else if (!Chars.isUpper(c) || padding) {
        return false;
      }
    }
    return true;
  }
}
