package dev.custos.engine.internal.scan;

import dev.custos.engine.DetectorDefinition.Normalization;

/**
 * Precision rules that look at a candidate together with the bytes around it, applied by category
 * (or, for numbers, by normalization) to every detector, built-in or custom:
 *
 * <ul>
 *   <li>An IPv4-looking dotted quad is a version when it is part of a longer dotted number ({@code
 *       1.2.3.4.5}), carries a suffix ({@code 1.2.3.4-beta}), follows a version word ({@code
 *       version}, {@code release}, {@code update}, {@code v}…) with no IP word nearer, or stands in
 *       parentheses after a package name ({@code pkg (1.13.11.1)}).
 *   <li>An IPv6 address must be well formed (one {@code ::} at most, eight groups without one,
 *       fewer with one) and must not be part of a longer colon-separated list; colon-separated
 *       byte pairs (certificate fingerprints) are not addresses. The same adjacency rule holds for
 *       MAC addresses.
 *   <li>{@code user@host:path} is an SSH (scp) location and {@code scheme://user@host} a URL's
 *       user info, not email addresses.
 *   <li>A number normalized to its digits (an id, a card, a phone) is not found inside a longer
 *       numeric token: a decimal fraction, a dotted run or scientific notation ({@code 1e10}).
 * </ul>
 *
 * Offsets index the scanner's window {@code b[0, limit)}; bytes outside it count as absent.
 * Stateless; each check reads a bounded number of bytes.
 */
final class Surroundings {
  /** Bytes before a dotted quad searched for a version word. */
  private static final int VERSION_LOOKBACK = 32;

  private static final String[] VERSION_WORDS = {
    "version", "versions", "ver", "v", "since", "release", "released", "releases", "rev", "revision",
    "build", "update", "updated", "updates", "upgrade", "upgraded", "upgrades", "bump", "bumped",
    "bumps", "firmware", "kernel", "patch", "tag", "changelog", "sdk", "api", "chrome", "firefox",
    "safari", "edge", "mozilla", "applewebkit", "gecko", "opera", "agent"
  };

  private static final String[] IP_WORDS = {
    "ip", "ips", "ipv4", "addr", "address", "host", "client", "remote", "server", "peer", "from",
    "src", "dst", "source", "destination", "gateway", "forwarded", "proxy", "nameserver", "dns",
    "inet", "subnet", "route"
  };

  private Surroundings() {}

  /** Returns whether the rules drop the candidate {@code [start, end)} of this category. */
  static boolean rejects(
      String category, Normalization normalization, byte[] b, int limit, int start, int end) {
    switch (category) {
      case "ip_address":
        return contains(b, start, end, ':')
            ? !isIpv6(b, start, end) || inColonList(b, limit, start, end)
            : isVersion(b, limit, start, end);
      case "mac_address":
        return inColonList(b, limit, start, end);
      case "email":
        return isSshLocation(b, limit, start, end);
      default:
        return normalization == Normalization.DIGITS && inLongerNumber(b, limit, start, end);
    }
  }

  /** Returns whether a JSON number token holds a fraction or an exponent (so is not an id). */
  static boolean isNonIntegerNumber(byte[] b, int limit, int first, int end) {
    for (int i = Math.max(0, first); i < Math.min(end, limit); i++) {
      int c = b[i];
      if (c == '.' || c == 'e' || c == 'E') {
        return true;
      }
    }
    return false;
  }

  // ---- IPv4 versus versions ----

  static boolean isVersion(byte[] b, int limit, int start, int end) {
    int before = start > 0 ? b[start - 1] : -1;
    int before2 = start > 1 ? b[start - 2] : -1;
    int after = end < limit ? b[end] : -1;
    int after2 = end + 1 < limit ? b[end + 1] : -1;
    if ((before == '.' && isDigit(before2)) || (after == '.' && isDigit(after2))) {
      return true;
    }
    if ((after == '-' || after == '+' || after == '~') && isLetter(after2)) {
      return true;
    }
    if (after == '-' && isDigit(after2)) {
      // A Debian revision (1.2.5.1-2) unless another quad follows (an address range).
      int i = end + 1;
      while (i < limit && isDigit(b[i])) {
        i++;
      }
      if (i >= limit || b[i] != '.') {
        return true;
      }
    }
    if (after == '/' && isDigit(after2)) {
      // A CIDR block (10.0.0.0/8) names a network, not a host.
      return true;
    }
    if ((before == 'v' || before == 'V') && !isWordByte(before2)) {
      return true;
    }
    if (before == '(' || (before == ' ' && before2 == '(')) {
      int p = before == '(' ? start - 2 : start - 3;
      while (p >= 0 && b[p] == ' ') {
        p--;
      }
      int wordEnd = p + 1;
      boolean hostLike = false;
      while (p >= 0 && (isWordByte(b[p]) || b[p] == '-' || b[p] == '+' || b[p] == '.')) {
        hostLike |= b[p] == '.';
        p--;
      }
      if (wordEnd > p + 1 && !hostLike && (after == ')' || after == ',' || after == '-')
          && !isAnyWord(b, p + 1, wordEnd, IP_WORDS)) {
        return true;
      }
    }
    // The nearest word before the quad decides: a version word means a version, an IP word an IP.
    int from = Math.max(0, start - VERSION_LOOKBACK);
    int i = start - 1;
    while (true) {
      while (i >= from && !isLetterOrDigit(b[i])) {
        i--;
      }
      if (i < from) {
        return false;
      }
      int wordEnd = i + 1;
      while (i >= 0 && isLetterOrDigit(b[i])) {
        i--;
      }
      if (isAnyWord(b, i + 1, wordEnd, IP_WORDS)) {
        return false;
      }
      if (isAnyWord(b, i + 1, wordEnd, VERSION_WORDS)) {
        return true;
      }
    }
  }

  // ---- IPv6 and colon lists ----

  /** Returns whether {@code [start, end)} is a well-formed IPv6 address (RFC 4291 section 2.2). */
  static boolean isIpv6(byte[] b, int start, int end) {
    int groups = 0;
    int empty = 0;
    boolean allPairs = true;
    int groupStart = start;
    for (int i = start; i <= end; i++) {
      if (i < end && b[i] != ':') {
        if (!isHex(b[i]) || i - groupStart >= 4) {
          return false;
        }
        continue;
      }
      int width = i - groupStart;
      if (width == 0) {
        empty++;
      } else {
        groups++;
        allPairs &= width == 2;
      }
      groupStart = i + 1;
    }
    if (empty == 0) {
      return groups == 8 && !allPairs;
    }
    if (groups == 2 && end - start == 4 && !isDigit(b[start]) && !isDigit(b[end - 1])) {
      // "B::C" is a Perl or C++ name; an address as short as that has a digit (fe80::1, ::1).
      return false;
    }
    return empty == 1 && groups <= 7;
  }

  /** Returns whether a colon- or dash-separated hex list continues before or after the candidate. */
  static boolean inColonList(byte[] b, int limit, int start, int end) {
    int before = start > 0 ? b[start - 1] : -1;
    int before2 = start > 1 ? b[start - 2] : -1;
    int after = end < limit ? b[end] : -1;
    int after2 = end + 1 < limit ? b[end + 1] : -1;
    return ((before == ':' || before == '-') && isHex(before2))
        || ((after == ':' || after == '-') && isHex(after2))
        || before == ':'
        || (after == ':' && after2 == ':');
  }

  // ---- email versus SSH locations ----

  static boolean isSshLocation(byte[] b, int limit, int start, int end) {
    int after = end < limit ? b[end] : -1;
    int after2 = end + 1 < limit ? b[end + 1] : -1;
    if (after == ':' && (isWordByte(after2) || after2 == '/' || after2 == '~' || after2 == '.')) {
      return true;
    }
    return start >= 3 && b[start - 1] == '/' && b[start - 2] == '/' && b[start - 3] == ':';
  }

  // ---- numbers ----

  static boolean inLongerNumber(byte[] b, int limit, int start, int end) {
    if (start < limit && (b[start] == '+' || b[start] == '-') && start + 1 < end) {
      // A signed number: "1.2e+51824153016" is an exponent and "30+20221128" a version, not a
      // phone number.
      int before = start > 0 ? b[start - 1] : -1;
      int before2 = start > 1 ? b[start - 2] : -1;
      if (((before == 'e' || before == 'E') && isDigit(before2)) || isWordByte(before)
          || before == '.') {
        return true;
      }
      start++;
    }
    if (start >= limit || end > limit || !isDigit(b[start]) || !isDigit(b[end - 1])) {
      return false;
    }
    int before = start > 0 ? b[start - 1] : -1;
    int before2 = start > 1 ? b[start - 2] : -1;
    int before3 = start > 2 ? b[start - 3] : -1;
    int after = end < limit ? b[end] : -1;
    int after2 = end + 1 < limit ? b[end + 1] : -1;
    int after3 = end + 2 < limit ? b[end + 2] : -1;
    if ((before == '.' || before == ',') && isDigit(before2)) {
      return true;
    }
    if ((after == '.' || after == ',') && isDigit(after2)) {
      return true;
    }
    if ((before == 'e' || before == 'E') && isDigit(before2)) {
      return true;
    }
    if ((before == '+' || before == '-') && (before2 == 'e' || before2 == 'E') && isDigit(before3)) {
      return true;
    }
    return (after == 'e' || after == 'E')
        && (isDigit(after2) || ((after2 == '+' || after2 == '-') && isDigit(after3)));
  }

  // ---- bytes ----

  private static boolean contains(byte[] b, int start, int end, char c) {
    for (int i = start; i < end; i++) {
      if (b[i] == c) {
        return true;
      }
    }
    return false;
  }

  private static boolean isAnyWord(byte[] b, int from, int to, String[] words) {
    for (String w : words) {
      if (w.length() == to - from) {
        boolean same = true;
        for (int k = 0; k < w.length() && same; k++) {
          int c = b[from + k];
          same = (c >= 'A' && c <= 'Z' ? c + 32 : c) == w.charAt(k);
        }
        if (same) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isLetter(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean isLetterOrDigit(int c) {
    return isDigit(c) || isLetter(c);
  }

  private static boolean isWordByte(int c) {
    return isLetterOrDigit(c) || c == '_';
  }

  private static boolean isHex(int c) {
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
}
