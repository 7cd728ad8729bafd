package dev.custos.engine.internal.validate;

/**
 * Implements the Swedish organisationsnummer (NNNNNN-NNNN, optionally prefixed 16): a group digit
 * 1-3 or 5-9, a third digit of at least 2 (so it never reads as a birth month), Luhn check digit.
 */
final class SeOrgnr implements Validator {
  @Override
  public String name() {
    return "se_orgnr";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 12, " -");
    if (d == null || (d.length != 10 && d.length != 12)) {
      return false;
    }
    if (d.length == 12) {
      if (d[0] != 1 || d[1] != 6) {
        return false;
      }
      d = java.util.Arrays.copyOfRange(d, 2, 12);
    }
    return d[0] != 0 && d[0] != 4 && d[2] >= 2 && Luhn.check(d);
  }
}
