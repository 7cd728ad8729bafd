package dev.custos.engine.internal.validate;

/**
 * Implements the Portuguese Cartão de Cidadão document number (DDDDDDDD C AAT): the civil id
 * number, its check digit, a two-letter version and a final check digit, verified together with
 * the doubling mod 10 rule of the card's technical specification (letters A=10 ... Z=35).
 */
final class PtCitizenCard implements Validator {
  @Override
  public String name() {
    return "pt_citizen_card";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 12, " ");
    if (s == null || s.length() != 12 || !Chars.isUpper(s.charAt(9))
        || !Chars.isUpper(s.charAt(10)) || !Chars.isDigit(s.charAt(11))) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 12; i++) {
      char c = s.charAt(11 - i);
      if (i > 2 && !Chars.isDigit(c)) {
        return false;
      }
      int v = Chars.isDigit(c) ? c - '0' : c - 'A' + 10;
      if (i % 2 == 1) {
        v *= 2;
        if (v > 9) {
          v -= 9;
        }
      }
      sum += v;
    }
    return sum % 10 == 0;
  }
}
