package dev.custos.engine.internal.policy;

/**
 * Checks the syntax of CIDR blocks such as {@code 10.0.0.0/8} and {@code fd00::/8}, without any
 * name lookup. Thread-safe.
 */
public final class Cidr {
  private Cidr() {}

  /** Returns whether the text is an IPv4 or IPv6 address, a {@code /}, and a prefix length. */
  public static boolean isValid(String cidr) {
    int slash = cidr.indexOf('/');
    if (slash < 0) {
      return false;
    }
    String address = cidr.substring(0, slash);
    String prefix = cidr.substring(slash + 1);
    int bits;
    if (isIpv4(address)) {
      bits = 32;
    } else if (isIpv6(address)) {
      bits = 128;
    } else {
      return false;
    }
    if (prefix.isEmpty() || prefix.length() > 3 || !prefix.chars().allMatch(Cidr::isDigit)) {
      return false;
    }
    return Integer.parseInt(prefix) <= bits;
  }

  static boolean isIpv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Cidr::isDigit)
          || Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  static boolean isIpv6(String s) {
    int doubleColon = s.indexOf("::");
    if (doubleColon >= 0 && s.indexOf("::", doubleColon + 1) >= 0) {
      return false;
    }
    String[] halves = doubleColon >= 0
        ? new String[] {s.substring(0, doubleColon), s.substring(doubleColon + 2)}
        : new String[] {s};
    int groups = 0;
    for (int h = 0; h < halves.length; h++) {
      if (halves[h].isEmpty()) {
        continue;
      }
      String[] parts = halves[h].split(":", -1);
      for (int i = 0; i < parts.length; i++) {
        String p = parts[i];
        boolean lastOfAll = h == halves.length - 1 && i == parts.length - 1;
        if (lastOfAll && p.contains(".")) {
          if (!isIpv4(p)) {
            return false;
          }
          groups += 2;
        } else if (p.isEmpty() || p.length() > 4 || !p.chars().allMatch(Cidr::isHex)) {
          return false;
        } else {
          groups++;
        }
      }
    }
    return doubleColon >= 0 ? groups <= 7 : groups == 8;
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isHex(int c) {
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
}
