package dev.custos.engine.internal.scan;

import dev.custos.engine.Evidence;
import dev.custos.engine.EvidenceKey;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Makes masked previews and keyed hashes for one stream. A value found again (the same email in
 * every record of a page, the same value under two detectors) is hashed once: the last {@value
 * #CACHED} distinct values and their hashes are kept, so memory stays bounded by the longest
 * match. Not thread-safe.
 */
final class EvidenceMaker {
  private static final int MAX_STARS = 16;
  private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  /** How many recent values keep their hash. */
  static final int CACHED = 16;

  private final EvidenceKey key;
  private String @Nullable [] cachedValue;
  private final String[] cachedHash = new String[CACHED];
  private int next;
  private int computed;

  EvidenceMaker(EvidenceKey key) {
    this.key = key;
  }

  Evidence evidence(byte[] bytes, int offset, int length, String normalized) {
    return Evidence.of(preview(bytes, offset, length), hash(normalized));
  }

  /** Returns the first 32 hex digits (128 bits) of HMAC-SHA256(key, normalized value). */
  String hash(String normalized) {
    String[] values = cachedValue;
    if (values == null) {
      values = new String[CACHED];
      cachedValue = values;
    }
    for (int i = 0; i < CACHED; i++) {
      if (normalized.equals(values[i])) {
        return cachedHash[i];
      }
    }
    String hash = hex128(key.hmac(normalized.getBytes(StandardCharsets.UTF_8)));
    computed++;
    values[next] = normalized;
    cachedHash[next] = hash;
    next = (next + 1) % CACHED;
    return hash;
  }

  /** Returns the first 16 bytes of {@code digest} as 32 lower-case hex digits. */
  static String hex128(byte[] digest) {
    byte[] out = new byte[32];
    for (int i = 0; i < 16; i++) {
      int b = digest[i] & 0xff;
      out[2 * i] = HEX_DIGITS[b >>> 4];
      out[2 * i + 1] = HEX_DIGITS[b & 0xf];
    }
    return new String(out, StandardCharsets.ISO_8859_1);
  }

  /** Returns how many hashes this maker computed (for tests). */
  int computed() {
    return computed;
  }

  /**
   * Returns stars for the letters and digits of the value, at most 16, then its last letters or
   * digits: 4 of them for values of 12 or more, 2 for 8 to 11, none for shorter ones.
   */
  static String preview(byte[] bytes, int offset, int length) {
    int n = 0;
    for (int i = offset; i < offset + length; i++) {
      int b = bytes[i];
      if (b < 0) {
        return previewOfText(bytes, offset, length);
      }
      if (isAsciiAlphanumeric(b)) {
        n++;
      }
    }
    int keep = n >= 12 ? 4 : n >= 8 ? 2 : 0;
    int stars = Math.max(1, Math.min(n - keep, MAX_STARS));
    char[] out = new char[stars + keep];
    java.util.Arrays.fill(out, 0, stars, '*');
    for (int i = offset + length - 1, k = out.length - 1; k >= stars; i--) {
      if (isAsciiAlphanumeric(bytes[i])) {
        out[k--] = (char) bytes[i];
      }
    }
    return new String(out);
  }

  private static boolean isAsciiAlphanumeric(int b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
  }

  /** The general case: the value holds non-ASCII UTF-8, whose letters and digits count too. */
  static String previewOfText(byte[] bytes, int offset, int length) {
    String value = new String(bytes, offset, length, StandardCharsets.UTF_8);
    int[] alnum = value.codePoints().filter(Character::isLetterOrDigit).toArray();
    int n = alnum.length;
    int keep = n >= 12 ? 4 : n >= 8 ? 2 : 0;
    int stars = Math.max(1, Math.min(n - keep, MAX_STARS));
    StringBuilder sb = new StringBuilder(stars + keep);
    for (int i = 0; i < stars; i++) {
      sb.append('*');
    }
    for (int i = n - keep; i < n; i++) {
      sb.appendCodePoint(alnum[i]);
    }
    return sb.toString();
  }
}
