package dev.custos.proxy.internal.l4;

/**
 * Finds where the MSG part of a syslog message starts, so that the header is kept and only the
 * message is scanned. RFC 5424: {@code <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID
 * SP MSGID SP STRUCTURED-DATA [SP MSG]}. RFC 3164 (its format is a convention, read leniently):
 * {@code <PRI>}, then a {@code Mmm dd hh:mm:ss} timestamp and a host name when present, then a tag
 * such as {@code app[123]:}. Anything that is neither starts the message at its first byte.
 */
final class SyslogHeader {
  private SyslogHeader() {}

  /** Returns the offset of the MSG part in {@code m} ({@code m.length} when there is none). */
  static int messageStart(byte[] m) {
    int len = m.length;
    if (len == 0 || m[0] != '<') {
      return 0;
    }
    int j = 1;
    while (j < len && j <= 4 && isDigit(m[j])) {
      j++;
    }
    if (j == 1 || j >= len || m[j] != '>') {
      return 0;
    }
    j++;
    if (j < len && m[j] >= '1' && m[j] <= '9') {
      int k = j;
      while (k < len && k - j < 3 && isDigit(m[k])) {
        k++;
      }
      if (k < len && m[k] == ' ') {
        return rfc5424(m, k + 1);
      }
    }
    return rfc3164(m, j);
  }

  private static int rfc5424(byte[] m, int pos) {
    int len = m.length;
    for (int field = 0; field < 5; field++) {
      int sp = indexOf(m, (byte) ' ', pos, len);
      if (sp < 0) {
        return len;
      }
      pos = sp + 1;
    }
    if (pos >= len) {
      return len;
    }
    if (m[pos] == '-') {
      pos++;
    } else {
      while (pos < len && m[pos] == '[') {
        boolean quoted = false;
        int k = pos + 1;
        for (; k < len; k++) {
          byte b = m[k];
          if (quoted && b == '\\') {
            k++;
          } else if (b == '"') {
            quoted = !quoted;
          } else if (!quoted && b == ']') {
            break;
          }
        }
        if (k >= len) {
          return len;
        }
        pos = k + 1;
      }
    }
    return pos < len && m[pos] == ' ' ? pos + 1 : pos;
  }

  private static int rfc3164(byte[] m, int pos) {
    int len = m.length;
    if (len - pos >= 16 && m[pos + 3] == ' ' && m[pos + 6] == ' ' && m[pos + 9] == ':'
        && m[pos + 12] == ':' && m[pos + 15] == ' ') {
      pos += 16;
      int sp = indexOf(m, (byte) ' ', pos, Math.min(len, pos + 256));
      if (sp > pos) {
        pos = sp + 1;
      }
    }
    int k = pos;
    while (k < len && k - pos < 48 && m[k] != ' ' && m[k] != ':' && m[k] != '[') {
      k++;
    }
    if (k < len && k > pos && m[k] == '[') {
      int close = indexOf(m, (byte) ']', k, Math.min(len, k + 24));
      if (close < 0) {
        return pos;
      }
      k = close + 1;
    }
    if (k < len && k > pos && m[k] == ':') {
      k++;
      return k < len && m[k] == ' ' ? k + 1 : k;
    }
    return pos;
  }

  private static boolean isDigit(byte b) {
    return b >= '0' && b <= '9';
  }

  private static int indexOf(byte[] m, byte b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (m[i] == b) {
        return i;
      }
    }
    return -1;
  }
}
