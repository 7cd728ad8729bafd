package dev.custos.engine.internal.validate;

/**
 * Implements the French VAT number (numéro de TVA intracommunautaire): FR, a two-digit key equal
 * to (12 + 3 × (SIREN mod 97)) mod 97, and a nine-digit SIREN that passes Luhn.
 */
final class FrVat implements Validator {
  @Override
  public String name() {
    return "fr_vat_id";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 13, " ");
    if (s == null || s.length() != 13 || !s.startsWith("FR")) {
      return false;
    }
    int[] d = Chars.digits(s.substring(2), 11, "");
    if (d == null || d.length != 11) {
      return false;
    }
    int[] siren = java.util.Arrays.copyOfRange(d, 2, 11);
    int key = Chars.number(d, 0, 2);
    return Luhn.check(siren) && key == (12 + 3 * (Chars.number(siren, 0, 9) % 97)) % 97;
  }
}
