package dev.custos.engine.internal.validate;

/**
 * Checks the JWS compact serialization of a JSON Web Token (RFC 7515, RFC 7519): three base64url
 * segments whose header decodes to a JSON object naming "alg" and whose payload decodes to a JSON
 * object. Decodes on the fly without allocating.
 */
final class Jwt implements Validator {
  private static final byte[] ALG = {'"', 'a', 'l', 'g', '"'};

  @Override
  public String name() {
    return "jwt";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int len = value.length();
    int dot1 = -1;
    int dot2 = -1;
    for (int i = 0; i < len; i++) {
      char c = value.charAt(i);
      if (c == '.') {
        if (dot1 < 0) {
          dot1 = i;
        } else if (dot2 < 0) {
          dot2 = i;
        } else {
          return false;
        }
      } else if (sextet(c) < 0) {
        return false;
      }
    }
    if (dot2 < 0 || dot1 == 0 || dot2 == dot1 + 1) {
      return false;
    }
    if (!lengthOk(dot1) || !lengthOk(dot2 - dot1 - 1) || !lengthOk(len - dot2 - 1)) {
      return false;
    }
    Segment header = new Segment(value, 0, dot1);
    Segment payload = new Segment(value, dot1 + 1, dot2);
    return startsWithBrace(header) && header.contains(ALG) && startsWithBrace(payload);
  }

  private static boolean lengthOk(int n) {
    return n % 4 != 1;
  }

  private static boolean startsWithBrace(Segment s) {
    for (int i = 0; i < s.length(); i++) {
      int b = s.byteAt(i);
      if (b == '{') {
        return true;
      }
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
        return false;
      }
    }
    return false;
  }

  static int sextet(char c) {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    }
    if (c == '-') {
      return 62;
    }
    return c == '_' ? 63 : -1;
  }

  /** A view of base64url text (validated, unpadded) as the bytes it decodes to. */
  private static final class Segment {
    private final CharSequence text;
    private final int from;
    private final int chars;

    Segment(CharSequence text, int from, int to) {
      this.text = text;
      this.from = from;
      this.chars = to - from;
    }

    int length() {
      return chars * 6 / 8;
    }

    int byteAt(int i) {
      int bit = i * 8;
      int c = bit / 6;
      int shift = bit % 6;
      int hi = sextet(text.charAt(from + c));
      int lo = c + 1 < chars ? sextet(text.charAt(from + c + 1)) : 0;
      return ((hi << 6 | lo) >> (4 - shift)) & 0xff;
    }

    boolean contains(byte[] needle) {
      int n = length();
      for (int i = 0; i + needle.length <= n; i++) {
        int k = 0;
        while (k < needle.length && byteAt(i + k) == needle[k]) {
          k++;
        }
        if (k == needle.length) {
          return true;
        }
      }
      return false;
    }
  }
}
