package dev.custos.engine.internal.validate;

/**
 * Checks a PEM-armored private key (RFC 7468 textual encoding, or an RFC 4880 OpenPGP armor, with
 * RFC 1421 style header lines such as Proc-Type, Version or Comment skipped): BEGIN and END lines
 * whose labels end in "PRIVATE KEY" (or "PRIVATE KEY BLOCK"), and a body that is base64 of at
 * least 64 bytes. Line breaks may be real or escaped as in a JSON string ({@code \n}, {@code
 * \r\n}); an OpenPGP armor's CRC-24 line ({@code =} and four base64 characters) after the body
 * is skipped.
 */
final class PrivateKey implements Validator {
  private static final String BEGIN = "-----BEGIN ";
  private static final String END = "-----END ";
  private static final String LABEL_END = "PRIVATE KEY-----";
  private static final String PGP_LABEL_END = "PRIVATE KEY BLOCK-----";
  private static final int MIN_BYTES = 64;

  @Override
  public String name() {
    return "private_key";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = value.toString();
    int begin = s.indexOf(BEGIN);
    if (begin < 0) {
      return false;
    }
    int beginLabelEnd = s.indexOf("-----", begin + BEGIN.length());
    if (beginLabelEnd < 0 || !isPrivateKeyLabel(s, beginLabelEnd)) {
      return false;
    }
    int bodyStart = beginLabelEnd + 5;
    int end = s.indexOf(END, bodyStart);
    if (end < 0) {
      return false;
    }
    int endLabelEnd = s.indexOf("-----", end + END.length());
    if (endLabelEnd < 0 || !isPrivateKeyLabel(s, endLabelEnd)) {
      return false;
    }
    return bodyBytes(s, bodyStart, end) >= MIN_BYTES;
  }

  /** Returns whether the armor label ending at {@code labelEnd} is a private key's (PEM or PGP). */
  private static boolean isPrivateKeyLabel(String s, int labelEnd) {
    return s.startsWith(LABEL_END, labelEnd - "PRIVATE KEY".length())
        || s.startsWith(PGP_LABEL_END, labelEnd - "PRIVATE KEY BLOCK".length());
  }

  /** Returns how many bytes the base64 body decodes to, or -1 if it is not valid base64. */
  private static int bodyBytes(String s, int from, int to) {
    String body = s.substring(from, to).replace("\\r", "\r").replace("\\n", "\n");
    int chars = 0;
    int padding = 0;
    boolean checksumSeen = false;
    int lineStart = 0;
    while (lineStart < body.length()) {
      int lineEnd = body.indexOf('\n', lineStart);
      if (lineEnd < 0) {
        lineEnd = body.length();
      }
      if (!hasColon(body, lineStart, lineEnd)) {
        int first = firstNonBlank(body, lineStart, lineEnd);
        if (first < lineEnd && isChecksumLine(body, first, lineEnd)) {
          if (checksumSeen) {
            return -1;
          }
          checksumSeen = true;
        } else {
          for (int i = first; i < lineEnd; i++) {
            char c = body.charAt(i);
            if (c == ' ' || c == '\t' || c == '\r') {
              continue;
            }
            if (checksumSeen) {
              return -1;
            }
            if (c == '=') {
              padding++;
            } else if (padding > 0 || !isBase64(c)) {
              return -1;
            }
            chars++;
          }
        }
      }
      lineStart = lineEnd + 1;
    }
    if (chars % 4 != 0 || padding > 2) {
      return -1;
    }
    return chars / 4 * 3 - padding;
  }

  private static int firstNonBlank(String s, int from, int to) {
    int i = from;
    while (i < to && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\r')) {
      i++;
    }
    return i;
  }

  /** Returns whether a line is an OpenPGP armor checksum: '=' and four base64 characters. */
  private static boolean isChecksumLine(String s, int first, int lineEnd) {
    int end = lineEnd;
    while (end > first && (s.charAt(end - 1) == '\r' || s.charAt(end - 1) == ' ')) {
      end--;
    }
    if (end - first != 5 || s.charAt(first) != '=') {
      return false;
    }
    for (int i = first + 1; i < end; i++) {
      if (!isBase64(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean hasColon(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (s.charAt(i) == ':') {
        return true;
      }
    }
    return false;
  }

  private static boolean isBase64(char c) {
    return (c >= 'A' && c <= 'Z')
        || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9')
        || c == '+'
        || c == '/';
  }
}
