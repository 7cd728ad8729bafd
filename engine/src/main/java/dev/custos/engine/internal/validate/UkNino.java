package dev.custos.engine.internal.validate;

/**
 * Implements the HMRC National Insurance number format: two prefix letters from the allocated
 * set, six digits and a suffix A-D.
 */
final class UkNino implements Validator {
  @Override
  public String name() {
    return "uk_nino";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 9, " ");
    if (s == null || s.length() != 9) {
      return false;
    }
    char a = s.charAt(0);
    char b = s.charAt(1);
    if (!Chars.isUpper(a) || !Chars.isUpper(b) || "DFIQUV".indexOf(a) >= 0) {
      return false;
    }
    if ("DFIOQUV".indexOf(b) >= 0) {
      return false;
    }
    String prefix = s.substring(0, 2);
    switch (prefix) {
      case "BG":
      case "GB":
      case "KN":
      case "NK":
      case "NT":
      case "TN":
      case "ZZ":
        return false;
      default:
        break;
    }
    for (int i = 2; i < 8; i++) {
      if (!Chars.isDigit(s.charAt(i))) {
        return false;
      }
    }
    char suffix = s.charAt(8);
    return suffix >= 'A' && suffix <= 'D';
  }
}
