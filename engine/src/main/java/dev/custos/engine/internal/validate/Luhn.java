package dev.custos.engine.internal.validate;

/**
 * Implements the Luhn mod 10 check (ISO/IEC 7812-1, Annex B) over the digits of a value; other
 * characters are ignored.
 */
final class Luhn implements Validator {
  @Override
  public String name() {
    return "luhn";
  }

  @Override
  public boolean isValid(CharSequence value) {
    return check(value);
  }

  static boolean check(CharSequence value) {
    int sum = 0;
    int digits = 0;
    boolean doubleIt = false;
    for (int i = value.length() - 1; i >= 0; i--) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        continue;
      }
      sum = (sum + weighted(c - '0', doubleIt)) % 10;
      digits = digits < 2 ? digits + 1 : 2;
      doubleIt = !doubleIt;
    }
    return digits > 1 && sum == 0;
  }

  /** Returns whether {@code digits} (most significant first) pass the Luhn check. */
  static boolean check(int[] digits) {
    int sum = 0;
    boolean doubleIt = false;
    for (int i = digits.length - 1; i >= 0; i--) {
      sum += weighted(digits[i], doubleIt);
      doubleIt = !doubleIt;
    }
    return digits.length > 1 && sum % 10 == 0;
  }

  private static int weighted(int d, boolean doubleIt) {
    if (!doubleIt) {
      return d;
    }
    int x = d * 2;
    return x > 9 ? x - 9 : x;
  }
}
