package dev.custos.engine.internal.validate;

/**
 * Implements the Finnish personal identity code (henkilötunnus, Population Information Act): date,
 * century sign, individual number and the mod 31 check character.
 */
final class FiHetu implements Validator {
  private static final String CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY";

  @Override
  public String name() {
    return "fi_hetu";
  }

  @Override
  public boolean isValid(CharSequence value) {
    if (value.length() != 11) {
      return false;
    }
    int n = 0;
    for (int i = 0; i < 10; i++) {
      if (i == 6) {
        continue;
      }
      char c = value.charAt(i);
      if (!Chars.isDigit(c)) {
        return false;
      }
      n = n * 10 + (c - '0');
    }
    int century = century(value.charAt(6));
    if (century < 0) {
      return false;
    }
    int dd = n / 10_000_000;
    int mm = n / 100_000 % 100;
    int yy = n / 1000 % 100;
    int individual = n % 1000;
    if (individual < 2 || !Chars.isDate(century + yy, mm, dd)) {
      return false;
    }
    char check = Character.toUpperCase(value.charAt(10));
    return check == CHECK.charAt(n % 31);
  }

  private static int century(char sign) {
    if (sign == '+') {
      return 1800;
    }
    if (sign == '-' || (sign >= 'U' && sign <= 'Y')) {
      return 1900;
    }
    if (sign >= 'A' && sign <= 'F') {
      return 2000;
    }
    return -1;
  }
}
