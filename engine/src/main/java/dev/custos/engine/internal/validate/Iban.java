package dev.custos.engine.internal.validate;

import java.util.Map;

/**
 * Implements the IBAN check of ISO 13616: a country code with its registered length, two check
 * digits, and ISO 7064 MOD 97-10 over the rearranged string.
 */
final class Iban implements Validator {
  /** Lengths from the SWIFT IBAN registry. */
  private static final Map<String, Integer> LENGTHS =
      Map.ofEntries(
          Map.entry("AD", 24), Map.entry("AE", 23), Map.entry("AL", 28), Map.entry("AT", 20),
          Map.entry("AZ", 28), Map.entry("BA", 20), Map.entry("BE", 16), Map.entry("BG", 22),
          Map.entry("BH", 22), Map.entry("BI", 27), Map.entry("BR", 29), Map.entry("BY", 28),
          Map.entry("CH", 21), Map.entry("CR", 22), Map.entry("CY", 28), Map.entry("CZ", 24),
          Map.entry("DE", 22), Map.entry("DJ", 27), Map.entry("DK", 18), Map.entry("DO", 28),
          Map.entry("EE", 20), Map.entry("EG", 29), Map.entry("ES", 24), Map.entry("FI", 18),
          Map.entry("FK", 18), Map.entry("FO", 18), Map.entry("FR", 27), Map.entry("GB", 22),
          Map.entry("GE", 22), Map.entry("GI", 23), Map.entry("GL", 18), Map.entry("GR", 27),
          Map.entry("GT", 28), Map.entry("HR", 21), Map.entry("HU", 28), Map.entry("IE", 22),
          Map.entry("IL", 23), Map.entry("IQ", 23), Map.entry("IS", 26), Map.entry("IT", 27),
          Map.entry("JO", 30), Map.entry("KW", 30), Map.entry("KZ", 20), Map.entry("LB", 28),
          Map.entry("LC", 32), Map.entry("LI", 21), Map.entry("LT", 20), Map.entry("LU", 20),
          Map.entry("LV", 21), Map.entry("LY", 25), Map.entry("MC", 27), Map.entry("MD", 24),
          Map.entry("ME", 22), Map.entry("MK", 19), Map.entry("MN", 20), Map.entry("MR", 27),
          Map.entry("MT", 31), Map.entry("MU", 30), Map.entry("NI", 28), Map.entry("NL", 18),
          Map.entry("NO", 15), Map.entry("OM", 23), Map.entry("PK", 24), Map.entry("PL", 28),
          Map.entry("PS", 29), Map.entry("PT", 25), Map.entry("QA", 29), Map.entry("RO", 24),
          Map.entry("RS", 22), Map.entry("RU", 33), Map.entry("SA", 24), Map.entry("SC", 31),
          Map.entry("SD", 18), Map.entry("SE", 24), Map.entry("SI", 19), Map.entry("SK", 24),
          Map.entry("SM", 27), Map.entry("SO", 23), Map.entry("ST", 25), Map.entry("SV", 28),
          Map.entry("TL", 23), Map.entry("TN", 24), Map.entry("TR", 26), Map.entry("UA", 29),
          Map.entry("VA", 22), Map.entry("VG", 24), Map.entry("XK", 20), Map.entry("YE", 30));

  private static final int MAX_LENGTH = 34;

  @Override
  public String name() {
    return "iban";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, MAX_LENGTH, " ");
    if (s == null || s.length() < 5) {
      return false;
    }
    if (!Chars.isUpper(s.charAt(0))
        || !Chars.isUpper(s.charAt(1))
        || !Chars.isDigit(s.charAt(2))
        || !Chars.isDigit(s.charAt(3))) {
      return false;
    }
    Integer expected = LENGTHS.get(s.substring(0, 2));
    if (expected == null || expected != s.length()) {
      return false;
    }
    int check = (s.charAt(2) - '0') * 10 + (s.charAt(3) - '0');
    if (check < 2 || check > 98) {
      return false;
    }
    int r = 0;
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt((k + 4) % s.length());
      if (Chars.isDigit(c)) {
        r = (r * 10 + (c - '0')) % 97;
      } else {
        r = (r * 100 + (c - 'A' + 10)) % 97;
      }
    }
    return r == 1;
  }
}
