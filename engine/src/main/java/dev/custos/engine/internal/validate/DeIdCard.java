package dev.custos.engine.internal.validate;

/**
 * Implements the German identity card (Personalausweis, since 2010) document number: nine
 * characters from the digits and the letters C F G H J K L M N P R T V W X Y Z, then a check digit
 * computed with the ICAO 9303 weights 7, 3, 1 (letters A=10 ... Z=35).
 */
final class DeIdCard implements Validator {
  private static final String LETTERS = "CFGHJKLMNPRTVWXYZ";

  @Override
  public String name() {
    return "de_id_card";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 10, "");
    if (s == null || s.length() != 10 || !Chars.isDigit(s.charAt(9))) {
      return false;
    }
    for (int i = 0; i < 9; i++) {
      char c = s.charAt(i);
      if (!Chars.isDigit(c) && LETTERS.indexOf(c) < 0) {
        return false;
      }
    }
    return Icao.check(s, 9) == s.charAt(9) - '0';
  }
}
