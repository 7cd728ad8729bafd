package dev.custos.engine.internal.scan;

import dev.custos.engine.RedactionStyle;
import java.nio.charset.StandardCharsets;

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

  /** Returns the replacement for a whole JSON number token: a string of the same byte length. */
  static byte[] numberToken(byte[] bytes, int offset, int length, RedactionStyle style, String label) {
    if (style == RedactionStyle.HASH) {
      return ("\"" + label + "\"").getBytes(StandardCharsets.US_ASCII);
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

  /** Returns {@code [category:hash8]}. */
  static byte[] hashLabel(String category, String hash) {
    return label(category, hash).getBytes(StandardCharsets.US_ASCII);
  }

  static String label(String category, String hash) {
    return "[" + category + ":" + hash.substring(0, 8) + "]";
  }
}
