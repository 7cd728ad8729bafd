package dev.custos.engine.internal.validate;

/**
 * Implements the Singapore NRIC/FIN check letter (ICA): weights 2, 7, 6, 5, 4, 3, 2, an offset by
 * series, and the letter tables for S/T, F/G and M.
 */
final class SgNric implements Validator {
  private static final int[] WEIGHTS = {2, 7, 6, 5, 4, 3, 2};
  private static final String ST = "JZIHGFEDCBA";
  private static final String FG = "XWUTRQPNMLK";
  private static final String M = "KLJNPQRTUWX";

  @Override
  public String name() {
    return "sg_nric";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 9, "");
    if (s == null || s.length() != 9) {
      return false;
    }
    char series = s.charAt(0);
    int sum;
    switch (series) {
      case 'S':
      case 'F':
        sum = 0;
        break;
      case 'T':
      case 'G':
        sum = 4;
        break;
      case 'M':
        sum = 3;
        break;
      default:
        return false;
    }
    for (int i = 0; i < 7; i++) {
      char c = s.charAt(i + 1);
      if (!Chars.isDigit(c)) {
        return false;
      }
      sum += (c - '0') * WEIGHTS[i];
    }
    int r = sum % 11;
    char expected;
    if (series == 'S' || series == 'T') {
      expected = ST.charAt(r);
    } else if (series == 'F' || series == 'G') {
      expected = FG.charAt(r);
    } else {
      expected = M.charAt(10 - r);
    }
    return s.charAt(8) == expected;
  }
}
