package dev.custos.engine.internal.scan;

import dev.custos.engine.RedactionStyle;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** Rewrites the bytes of one finding in a redaction style. Stateless. */
final class Rewriter {
  private Rewriter() {}

  private static boolean isAlphanumeric(int b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
  }

  /**
   * Rewrites {@code [offset, offset + length)} in place-length for {@code MASK} and {@code
   * PARTIAL}: letters, digits and non-ASCII bytes become {@code *}, other bytes stay. Inside a JSON
   * string ({@code jsonString}), an escape sequence is masked whole or kept whole, so the output
   * stays valid JSON.
   */
  static byte[] maskInPlace(byte[] bytes, int offset, int length, boolean keepLastFour, boolean jsonString) {
    byte[] out = new byte[length];
    int keepFrom = length;
    if (keepLastFour) {
      int alnum = 0;
      for (int i = 0; i < length; i++) {
        if (isAlphanumeric(bytes[offset + i] & 0xff)) {
          alnum++;
        }
      }
      if (alnum >= 8) {
        int seen = 0;
        for (int i = length - 1; i >= 0; i--) {
          if (isAlphanumeric(bytes[offset + i] & 0xff) && ++seen == 4) {
            keepFrom = i;
            break;
          }
        }
      }
    }
    int i = 0;
    while (i < length) {
      int b = bytes[offset + i] & 0xff;
      if (jsonString && b == '\\') {
        int escape = i + 1 < length && bytes[offset + i + 1] == 'u' ? 6 : 2;
        if (i + escape <= length) {
          for (int k = 0; k < escape; k++) {
            out[i + k] = '*';
          }
        } else {
          System.arraycopy(bytes, offset + i, out, i, length - i);
          escape = length - i;
        }
        i += escape;
        continue;
      }
      out[i] = (i < keepFrom && (isAlphanumeric(b) || b >= 0x80)) ? (byte) '*' : (byte) b;
      i++;
    }
    return out;
  }

  /**
   * Returns the replacement for a whole JSON number token: a string of the same byte length, or
   * for {@code HASH} the quoted {@code label} (which is null for the other styles).
   */
  static byte[] numberToken(
      byte[] bytes, int offset, int length, RedactionStyle style, @Nullable String label) {
    if (style == RedactionStyle.HASH) {
      return ("\"" + Objects.requireNonNull(label) + "\"").getBytes(StandardCharsets.US_ASCII);
    }
    byte[] out = new byte[length];
    out[0] = '"';
    out[length - 1] = '"';
    int inner = length - 2;
    int keep = style == RedactionStyle.PARTIAL && inner >= 8 ? 4 : 0;
    for (int i = 0; i < inner; i++) {
      out[1 + i] = '*';
    }
    // Keep the last digits of the number (they are the last bytes of the token).
    for (int k = 0; k < keep; k++) {
      out[length - 2 - k] = bytes[offset + length - 1 - k];
    }
    return out;
  }

  /**
   * Rewrites {@code [offset, offset + length)} of form-urlencoded bytes, which encode whole decoded
   * bytes, for {@code MASK} and {@code PARTIAL}: a decoded letter, digit or non-ASCII byte becomes
   * {@code *}, written {@code *} where it was one byte and {@code %2A} where it was {@code %XX};
   * other bytes ({@code +}, {@code %40}, {@code -}, a literal {@code %}) stay. The length is kept and
   * the result decodes to the masked value; a literal {@code %} stays literal, since a rewritten
   * byte is never a hex digit. {@code keepLastFour} keeps the last four decoded letters or digits as written,
   * when there are at least eight.
   */
  static byte[] maskFormEncoded(byte[] bytes, int offset, int length, boolean keepLastFour) {
    byte[] out = new byte[length];
    int alphanumeric = 0;
    for (int i = 0; i < length; i += unitLength(bytes, offset + i, length - i)) {
      if (isAlphanumeric(decodedUnit(bytes, offset + i, length - i))) {
        alphanumeric++;
      }
    }
    int keep = keepLastFour && alphanumeric >= 8 ? 4 : 0;
    int seen = 0;
    for (int i = 0; i < length; ) {
      int n = unitLength(bytes, offset + i, length - i);
      int b = decodedUnit(bytes, offset + i, length - i);
      boolean alnum = isAlphanumeric(b);
      if (alnum) {
        seen++;
      }
      boolean kept = alnum && seen > alphanumeric - keep;
      if ((alnum || b >= 0x80) && !kept) {
        if (n == 3) {
          out[i] = '%';
          out[i + 1] = '2';
          out[i + 2] = 'A';
        } else {
          out[i] = '*';
        }
      } else {
        System.arraycopy(bytes, offset + i, out, i, n);
      }
      i += n;
    }
    return out;
  }

  /** Returns 3 for a {@code %XX} escape at {@code offset}, else 1. */
  private static int unitLength(byte[] bytes, int offset, int remaining) {
    return bytes[offset] == '%' && remaining >= 3 && isHex(bytes[offset + 1]) && isHex(bytes[offset + 2])
        ? 3
        : 1;
  }

  private static int decodedUnit(byte[] bytes, int offset, int remaining) {
    if (unitLength(bytes, offset, remaining) == 3) {
      return Character.digit(bytes[offset + 1], 16) << 4 | Character.digit(bytes[offset + 2], 16);
    }
    int b = bytes[offset] & 0xff;
    return b == '+' ? ' ' : b;
  }

  private static boolean isHex(byte b) {
    return Character.digit(b, 16) >= 0;
  }

  /** Returns {@code text} percent-encoded: every byte but {@code A-Z a-z 0-9 - . _ ~} as {@code %XX}. */
  static byte[] percentEncode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(bytes.length * 3);
    for (byte value : bytes) {
      int b = value & 0xff;
      if (isAlphanumeric(b) || b == '-' || b == '.' || b == '_' || b == '~') {
        out.write(b);
      } else {
        out.write('%');
        out.write("0123456789ABCDEF".charAt(b >> 4));
        out.write("0123456789ABCDEF".charAt(b & 0xf));
      }
    }
    return out.toByteArray();
  }

  /** Returns {@code [category:hash8]}. */
  static String label(String category, String hash) {
    return "[" + category + ":" + hash.substring(0, 8) + "]";
  }
}
