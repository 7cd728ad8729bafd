package dev.custos.engine.internal.validate;

/**
 * Implements the German tax identification number (Steuer-IdNr, §139b AO): 11 digits, no leading
 * zero, among the first ten exactly one digit appearing twice or three times (never three in a
 * row), and an ISO/IEC 7064 MOD 11,10 check digit.
 */
final class DeTaxId implements Validator {
  @Override
  public String name() {
    return "de_tax_id";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 11, " /");
    if (d == null || d.length != 11 || d[0] == 0) {
      return false;
    }
    int[] counts = new int[10];
    for (int i = 0; i < 10; i++) {
      counts[d[i]]++;
    }
    int repeated = 0;
    for (int c : counts) {
      if (c > 3) {
        return false;
      }
      if (c > 1) {
        repeated++;
      }
    }
    if (repeated != 1) {
      return false;
    }
    for (int i = 0; i + 2 < 10; i++) {
      if (d[i] == d[i + 1] && d[i] == d[i + 2]) {
        return false;
      }
    }
    return Iso7064.mod11x10(d, 10) == d[10];
  }
}
