package dev.custos.engine.internal.validate;

/**
 * Implements the Indian GSTIN: a two-digit state code (01-38, 97 or 99), the holder's PAN, an
 * entity number (1-9, A-Z), the letter Z, and a mod 36 check character (alternating weights 1 and
 * 2, each product reduced to quotient plus remainder by 36).
 */
final class InGstin implements Validator {
  private static final String CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  private static final Validator PAN = new InPan();

  @Override
  public String name() {
    return "in_gstin";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 15, "");
    if (s == null || s.length() != 15 || !Chars.isDigit(s.charAt(0))
        || !Chars.isDigit(s.charAt(1))) {
      return false;
    }
    int state = (s.charAt(0) - '0') * 10 + (s.charAt(1) - '0');
    if (!((state >= 1 && state <= 38) || state == 97 || state == 99)) {
      return false;
    }
    if (!PAN.isValid(s.substring(2, 12)) || s.charAt(12) == '0' || s.charAt(13) != 'Z') {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 14; i++) {
      int v = CHARS.indexOf(s.charAt(i)) * (i % 2 == 0 ? 1 : 2);
      sum += v / 36 + v % 36;
    }
    return s.charAt(14) == CHARS.charAt((36 - sum % 36) % 36);
  }
}
