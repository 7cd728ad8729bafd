package dev.custos.engine.internal.validate;

/**
 * Implements the Italian partita IVA: 11 digits (with or without the IT prefix), an office code in
 * digits 8-10 (001-100, 120, 121, 888 or 999) and a Luhn check digit.
 */
final class ItVat implements Validator {
  @Override
  public String name() {
    return "it_vat_number";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 13, " ");
    if (s == null) {
      return false;
    }
    if (s.startsWith("IT")) {
      s = s.substring(2);
    }
    int[] d = Chars.digits(s, 11, "");
    if (d == null || d.length != 11 || Chars.number(d, 0, 7) == 0) {
      return false;
    }
    int office = Chars.number(d, 7, 3);
    boolean officeOk =
        (office >= 1 && office <= 100) || office == 120 || office == 121 || office == 888
            || office == 999;
    return officeOk && Luhn.check(d);
  }
}
