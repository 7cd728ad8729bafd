package dev.custos.engine.internal.validate;

/**
 * Implements payment card number checks: ISO/IEC 7812 issuer identification number ranges of the
 * major brands, their lengths, and the Luhn check digit.
 */
final class CreditCard implements Validator {
  @Override
  public String name() {
    return "credit_card";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 19);
    if (d == null || d.length < 13 || !Luhn.check(d)) {
      return false;
    }
    return brandAccepts(d);
  }

  private static boolean brandAccepts(int[] d) {
    int len = d.length;
    int p2 = Chars.number(d, 0, 2);
    int p3 = Chars.number(d, 0, 3);
    int p4 = Chars.number(d, 0, 4);
    if (d[0] == 4) { // Visa
      return len == 13 || len == 16 || len == 19;
    }
    if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) { // Mastercard
      return len == 16;
    }
    if (p2 == 34 || p2 == 37) { // American Express
      return len == 15;
    }
    if ((p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65) && len >= 16) { // Discover
      return true;
    }
    if (((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39) && len >= 14) { // Diners
      return true;
    }
    if (p4 >= 3528 && p4 <= 3589 && len >= 16) { // JCB
      return true;
    }
    if (p2 == 62 && len >= 16) { // UnionPay
      return true;
    }
    return p2 == 50 || (p2 >= 56 && p2 <= 69); // Maestro, 12 to 19 digits
  }
}
