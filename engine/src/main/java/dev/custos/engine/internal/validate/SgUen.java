package dev.custos.engine.internal.validate;

/**
 * Checks the structure of a Singapore Unique Entity Number (ACRA): a business (eight digits and a
 * letter), a local company (a year from 1800, five digits and a letter), or another entity (T, S or
 * R for the century, two year digits, a two-letter entity type from ACRA's list, four digits and a
 * letter). The check letters' algorithms are not published by ACRA, so passing this does not raise
 * confidence.
 */
final class SgUen extends StructuralCheck {
  private static final String ENTITY_TYPES =
      "LP LL FC PF RF MQ MM NB CC CS MB FM GS DP CP NR CM CD MD HS VH CH MH CL XL CX RP TU TC FB FN"
          + " PA PB SS MC SM GA GB";

  @Override
  public String name() {
    return "sg_uen";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 10, "");
    if (s == null || s.isEmpty() || !Chars.isUpper(s.charAt(s.length() - 1))) {
      return false;
    }
    if (s.length() == 9) {
      return allDigits(s, 0, 8);
    }
    if (s.length() != 10) {
      return false;
    }
    if (allDigits(s, 0, 9)) {
      int year = Integer.parseInt(s.substring(0, 4));
      return year >= 1800 && year <= 2099;
    }
    char century = s.charAt(0);
    return (century == 'T' || century == 'S' || century == 'R')
        && allDigits(s, 1, 3)
        && Chars.isUpper(s.charAt(3))
        && Chars.isUpper(s.charAt(4))
        && ENTITY_TYPES.contains(s.substring(3, 5))
        && allDigits(s, 5, 9);
  }

  private static boolean allDigits(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (!Chars.isDigit(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }
}
