package dev.custos.proxy.internal.inspect;

import org.jspecify.annotations.Nullable;

/**
 * Makes a finding's path (a JSON path, a form field, a multipart part, a protobuf field path) safe
 * to write in a findings event. A path is made of names chosen by whoever wrote the message (JSON
 * keys, part names, field names) and of positions ({@code [3]}); a name can itself be sensitive
 * (an object keyed by e-mail addresses or card numbers), so each name is written only when its
 * shape cannot hold a protected value, and as {@code [*]} otherwise.
 *
 * <p>The rule: a name is kept when it is 1 to {@value #MAX_NAME} characters of ASCII letters,
 * digits, {@code _} and {@code -} only (no {@code @}, dot, {@code +}, space, colon or anything
 * else), holds at most {@value #MAX_DIGITS} digits, and, when it has 16 characters or more, holds
 * no digit and at most a third upper-case letters (a token, a key id or a hash has digits or mixed
 * case; {@code creditCardNumber} does not). No e-mail address, card number, telephone number,
 * national id, IBAN, access key or token passes it. Positions ({@code [3]}) are kept. A path is cut
 * after {@value #MAX_SEGMENTS} segments ({@code [...]} marks the cut), and whatever does not parse
 * as a path is {@code [*]}. Thread-safe (stateless).
 */
public final class FindingPaths {
  static final int MAX_NAME = 40;
  static final int MAX_DIGITS = 4;
  static final int MAX_SEGMENTS = 24;
  static final String HIDDEN = "[*]";

  private FindingPaths() {}

  /**
   * Returns {@code path} with every name that might hold a value replaced by {@code [*]}: the
   * same string when it has nothing to replace (the usual case, which builds nothing).
   */
  static @Nullable String safe(@Nullable String path) {
    if (path == null || path.isEmpty() || path.charAt(0) != '$') {
      return path == null ? null : "$" + HIDDEN;
    }
    return keptWhole(path) ? path : rewritten(path);
  }

  /** Returns {@code path} (which starts with {@code $}) rebuilt with every unsafe name hidden. */
  static String rewritten(String path) {
    StringBuilder out = new StringBuilder(path.length());
    out.append('$');
    int i = 1;
    int segments = 0;
    while (i < path.length()) {
      if (segments == MAX_SEGMENTS) {
        out.append("[...]");
        break;
      }
      char c = path.charAt(i);
      if (c == '.') {
        int j = i + 1;
        while (j < path.length() && path.charAt(j) != '.' && path.charAt(j) != '[') {
          j++;
        }
        String name = path.substring(i + 1, j);
        out.append(keeps(name) ? "." + name : HIDDEN);
        i = j;
      } else if (c == '[' && i + 1 < path.length() && path.charAt(i + 1) == '\'') {
        StringBuilder name = new StringBuilder();
        int j = i + 2;
        boolean closed = false;
        while (j < path.length()) {
          char k = path.charAt(j);
          if (k == '\\' && j + 1 < path.length()) {
            name.append(path.charAt(j + 1));
            j += 2;
          } else if (k == '\'' && j + 1 < path.length() && path.charAt(j + 1) == ']') {
            closed = true;
            j += 2;
            break;
          } else {
            name.append(k);
            j++;
          }
        }
        if (!closed) {
          out.append(HIDDEN);
          break;
        }
        out.append(keeps(name.toString()) ? "['" + name + "']" : HIDDEN);
        i = j;
      } else if (c == '[') {
        int j = i + 1;
        while (j < path.length() && path.charAt(j) >= '0' && path.charAt(j) <= '9') {
          j++;
        }
        if (j == i + 1 || j - i - 1 > 9 || j >= path.length() || path.charAt(j) != ']') {
          out.append(HIDDEN);
          break;
        }
        out.append(path, i, j + 1);
        i = j + 1;
      } else {
        out.append(HIDDEN);
        break;
      }
      segments++;
    }
    return out.toString();
  }

  /**
   * Returns whether {@link #safe} would return {@code path} as it is: at most {@value
   * #MAX_SEGMENTS} segments, each a dotted name that {@link #keeps} or a position. A quoted name
   * ({@code ['a b']}) is left to the full rewrite, which unescapes it.
   */
  static boolean keptWhole(String path) {
    int n = path.length();
    int i = 1;
    int segments = 0;
    while (i < n) {
      if (segments == MAX_SEGMENTS) {
        return false;
      }
      char c = path.charAt(i);
      int j = i + 1;
      if (c == '.') {
        while (j < n && path.charAt(j) != '.' && path.charAt(j) != '[') {
          j++;
        }
        if (!keeps(path, i + 1, j)) {
          return false;
        }
        i = j;
      } else if (c == '[') {
        while (j < n && path.charAt(j) >= '0' && path.charAt(j) <= '9') {
          j++;
        }
        if (j == i + 1 || j - i - 1 > 9 || j >= n || path.charAt(j) != ']') {
          return false;
        }
        i = j + 1;
      } else {
        return false;
      }
      segments++;
    }
    return true;
  }

  /**
   * Returns whether a name's shape cannot hold a protected value (see the class comment); also
   * the rule of each word of a findings event's service ({@code FindingsEvent.isSafeService}).
   */
  public static boolean keeps(String name) {
    return keeps(name, 0, name.length());
  }

  /** Returns whether {@code s[from, to)}, as a name, {@link #keeps(String)}. */
  private static boolean keeps(String s, int from, int to) {
    int n = to - from;
    if (n <= 0 || n > MAX_NAME) {
      return false;
    }
    int digits = 0;
    int upper = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        digits++;
      } else if (c >= 'A' && c <= 'Z') {
        upper++;
      } else if (!(c >= 'a' && c <= 'z') && c != '_' && c != '-') {
        return false;
      }
    }
    if (digits > MAX_DIGITS) {
      return false;
    }
    return n < 16 || (digits == 0 && upper * 3 <= n);
  }

  /**
   * Returns a findings-event location with the field name in it made safe: {@code header:x-card}
   * and {@code query:card} keep a name that passes the rule, and become {@code header:[*]} or
   * {@code query:[*]} otherwise; other locations ({@code body}, {@code path}) are returned as they
   * are.
   */
  static String safeLocation(String location) {
    int colon = location.indexOf(':');
    if (colon < 0 || location.startsWith("websocket:")) {
      return location;
    }
    String name = location.substring(colon + 1);
    return keeps(name) ? location : location.substring(0, colon + 1) + HIDDEN;
  }
}
