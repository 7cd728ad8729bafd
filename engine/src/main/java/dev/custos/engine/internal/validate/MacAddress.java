package dev.custos.engine.internal.validate;

/**
 * Checks an IEEE 802 MAC-48 address as six octets in the IEEE form (01-23-45-67-89-AB), with colons,
 * or in dotted groups of four (0123.4567.89ab); all-zero and broadcast addresses are rejected.
 */
final class MacAddress extends StructuralCheck {
  @Override
  public String name() {
    return "mac_address";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int len = value.length();
    int step;
    char sep;
    if (len == 17) {
      step = 3;
      sep = value.charAt(2);
      if (sep != ':' && sep != '-') {
        return false;
      }
    } else if (len == 14) {
      step = 5;
      sep = '.';
    } else if (len == 12) {
      step = 0;
      sep = 0;
    } else {
      return false;
    }
    boolean allZero = true;
    boolean allF = true;
    for (int i = 0; i < len; i++) {
      char c = value.charAt(i);
      if (step != 0 && i % step == step - 1) {
        if (c != sep) {
          return false;
        }
        continue;
      }
      int v = hex(c);
      if (v < 0) {
        return false;
      }
      allZero &= v == 0;
      allF &= v == 15;
    }
    return !allZero && !allF;
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
