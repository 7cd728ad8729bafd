package dev.custos.engine.internal.validate;

/**
 * Implements the Canadian Social Insurance Number check: Luhn over 9 digits, first digit not 0 or
 * 8 (Employment and Social Development Canada).
 */
final class CaSin implements Validator {
  @Override
  public String name() {
    return "ca_sin";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 9, " -");
    return d != null && d.length == 9 && d[0] != 0 && d[0] != 8 && Luhn.check(d);
  }
}
