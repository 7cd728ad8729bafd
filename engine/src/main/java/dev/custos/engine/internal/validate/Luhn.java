package dev.custos.engine.internal.validate;

/** The Luhn (mod 10) check over the digits of a value; other characters are ignored. */
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
      int d = c - '0';
      if (doubleIt) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      digits++;
      doubleIt = !doubleIt;
    }
    return digits > 1 && sum % 10 == 0;
  }
}
