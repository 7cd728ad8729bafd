package dev.custos.engine.internal.validate;

/** Implements the Spanish foreigner number (NIE) control letter: X/Y/Z as 0/1/2, then as the NIF. */
final class EsNie implements Validator {
  @Override
  public String name() {
    return "es_nie";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 9);
    if (s == null || s.length() != 9) {
      return false;
    }
    int prefix = "XYZ".indexOf(s.charAt(0));
    if (prefix < 0) {
      return false;
    }
    return EsNif.checkLetter((char) ('0' + prefix) + s.substring(1), 0);
  }
}
