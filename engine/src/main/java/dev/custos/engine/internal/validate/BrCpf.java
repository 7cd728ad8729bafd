package dev.custos.engine.internal.validate;

/** Implements the Brazilian CPF (Receita Federal): two mod 11 check digits, not all one digit. */
final class BrCpf implements Validator {
  @Override
  public String name() {
    return "br_cpf";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int[] d = Chars.digits(value, 11, " -./");
    if (d == null || d.length != 11) {
      return false;
    }
    boolean allSame = true;
    for (int i = 1; i < 11; i++) {
      allSame &= d[i] == d[0];
    }
    return !allSame && d[9] == checkDigit(d, 9) && d[10] == checkDigit(d, 10);
  }

  private static int checkDigit(int[] d, int count) {
    int sum = 0;
    for (int i = 0; i < count; i++) {
      sum += d[i] * (count + 1 - i);
    }
    int r = sum % 11;
    return r < 2 ? 0 : 11 - r;
  }
}
