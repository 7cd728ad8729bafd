package dev.custos.engine.internal.validate;

/**
 * Implements the Turkish T.C. Kimlik No: 11 digits, no leading zero, a tenth digit equal to
 * (7 × (odd positions 1-9) − (even positions 2-8)) mod 10 and an eleventh equal to the sum of the
 * first ten mod 10.
 */
final class TrTcKimlik implements Validator {
  @Override
  public String name() {
    return "tr_tc_kimlik";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 11, " ");
    if (d == null || d.length != 11 || d[0] == 0) {
      return false;
    }
    int odd = d[0] + d[2] + d[4] + d[6] + d[8];
    int even = d[1] + d[3] + d[5] + d[7];
    int tenth = Math.floorMod(odd * 7 - even, 10);
    int sum = odd + even + d[9];
    return tenth == d[9] && sum % 10 == d[10];
  }
}
