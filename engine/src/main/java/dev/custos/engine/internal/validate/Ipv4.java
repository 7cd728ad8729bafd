package dev.custos.engine.internal.validate;

/**
 * Checks an IPv4 address in dotted-decimal form (RFC 791, RFC 6943 section 3.1.1 strict form):
 * four octets 0-255 without leading zeros; 0.0.0.0 and 255.255.255.255 are rejected.
 */
final class Ipv4 extends StructuralCheck {
  @Override
  public String name() {
    return "ipv4";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int len = value.length();
    if (len < 7 || len > 15) {
      return false;
    }
    int octets = 0;
    int current = 0;
    int width = 0;
    boolean allZero = true;
    boolean allOnes = true;
    for (int i = 0; i <= len; i++) {
      char c = i == len ? '.' : value.charAt(i);
      if (Chars.isDigit(c)) {
        if (width == 1 && current == 0) {
          return false;
        }
        current = current * 10 + (c - '0');
        width++;
        if (current > 255) {
          return false;
        }
      } else if (c == '.') {
        if (width == 0 || octets == 4) {
          return false;
        }
        allZero &= current == 0;
        allOnes &= current == 255;
        octets++;
        current = 0;
        width = 0;
      } else {
        return false;
      }
    }
    return octets == 4 && !allZero && !allOnes;
  }
}
