package dev.custos.engine.internal.validate;

/** Implements the Spanish DNI/NIF control letter (Real Decreto 1553/2005): number mod 23. */
final class EsNif implements Validator {
  static final String LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE";

  @Override
  public String name() {
    return "es_nif";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 9);
    if (s == null || s.length() != 9) {
      return false;
    }
    return checkLetter(s, 0);
  }

  /** Returns whether {@code s} is {@code prefix} followed by 8 digits and their control letter. */
  static boolean checkLetter(String s, int prefix) {
    int n = prefix;
    for (int i = 0; i < 8; i++) {
      char c = s.charAt(i);
      if (!Chars.isDigit(c)) {
        return false;
      }
      n = n * 10 + (c - '0');
    }
    return s.charAt(8) == LETTERS.charAt(n % 23);
  }
}
