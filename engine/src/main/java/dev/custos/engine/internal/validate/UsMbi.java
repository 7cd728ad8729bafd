package dev.custos.engine.internal.validate;

/**
 * Implements the CMS Medicare Beneficiary Identifier format: 11 characters, optionally printed as
 * XXXX-XXX-XXXX, letters excluding S, L, O, I, B and Z.
 */
final class UsMbi extends StructuralCheck {
  /** Per position: 'N' digit 1-9, 'D' digit, 'A' letter, 'X' letter or digit. */
  private static final String LAYOUT = "NAXDAXDAADD";

  @Override
  public String name() {
    return "us_mbi";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int len = value.length();
    boolean dashed;
    if (len == 11) {
      dashed = false;
    } else if (len == 13 && value.charAt(4) == '-' && value.charAt(8) == '-') {
      dashed = true;
    } else {
      return false;
    }
    int pos = 0;
    for (int i = 0; i < len; i++) {
      if (dashed && (i == 4 || i == 8)) {
        continue;
      }
      if (!fits(value.charAt(i), LAYOUT.charAt(pos++))) {
        return false;
      }
    }
    return true;
  }

  private static boolean fits(char c, char kind) {
    boolean digit = Chars.isDigit(c);
    boolean letter = Chars.isUpper(c) && "SLOIBZ".indexOf(c) < 0;
    switch (kind) {
      case 'N':
        return digit && c != '0';
      case 'D':
        return digit;
      case 'A':
        return letter;
      default:
        return digit || letter;
    }
  }
}
