package dev.custos.engine.internal.validate;

/**
 * Checks a PEM-armored private key (RFC 7468 textual encoding, or an RFC 4880 OpenPGP armor, with RFC 1421 style header lines
 * such as Proc-Type skipped): BEGIN and END lines whose labels end in "PRIVATE KEY", and a body
 * that is base64 of at least 64 bytes.
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
    int chars = 0;
    int padding = 0;
    int lineStart = from;
    while (lineStart < to) {
      int lineEnd = s.indexOf('\n', lineStart);
      if (lineEnd < 0 || lineEnd > to) {
        lineEnd = to;
      }
      if (!hasColon(s, lineStart, lineEnd)) {
        for (int i = lineStart; i < lineEnd; i++) {
          char c = s.charAt(i);
          if (c == ' ' || c == '\t' || c == '\r') {
            continue;
          }
          if (c == '=') {
            padding++;
          } else if (padding > 0 || !isBase64(c)) {
            return -1;
          }
          chars++;
        }
      }
      lineStart = lineEnd + 1;
    }
    if (chars % 4 != 0 || padding > 2) {
      return -1;
    }
    return chars / 4 * 3 - padding;
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
