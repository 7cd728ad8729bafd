package dev.custos.engine.internal.validate;

/**
 * Implements the CMS National Provider Identifier check digit: Luhn over the 10 digits with the
 * card issuer prefix 80840 prepended.
 */
final class UsNpi implements Validator {
  private static final int[] PREFIX = {8, 0, 8, 4, 0};

  @Override
  public String name() {
    return "us_npi";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 10, " -");
    if (d == null || d.length != 10) {
      return false;
    }
    int[] full = new int[15];
    System.arraycopy(PREFIX, 0, full, 0, 5);
    System.arraycopy(d, 0, full, 5, 10);
    return Luhn.check(full);
  }
}
