package dev.custos.engine.internal.validate;

/**
 * Implements the German VAT identification number (USt-IdNr): DE, nine digits without a leading
 * zero, the last an ISO/IEC 7064 MOD 11,10 check digit.
 */
final class DeVat implements Validator {
  @Override
  public String name() {
    return "de_vat_id";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 11, " ");
    if (s == null || s.length() != 11 || !s.startsWith("DE")) {
      return false;
    }
    int[] d = Chars.digits(s.substring(2), 9, "");
    return d != null && d.length == 9 && d[0] != 0 && Iso7064.mod11x10(d, 8) == d[8];
  }
}
