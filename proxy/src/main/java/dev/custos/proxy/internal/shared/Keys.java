package dev.custos.proxy.internal.shared;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Builds Redis keys from hashes only: every caller-derived part (identity, limit key, nonce) goes
 * through SHA-256, so a key never holds a raw value even when the part was not hashed before.
 */
final class Keys {
  private static final HexFormat HEX = HexFormat.of();

  private Keys() {}

  /** Returns the first 128 bits of SHA-256 over the parts, separated by NUL, in hex. */
  static String digest(String... parts) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
    for (String p : parts) {
      sha.update(p.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
    }
    return HEX.formatHex(sha.digest(), 0, 16);
  }

  static byte[] bytes(String key) {
    return key.getBytes(StandardCharsets.UTF_8);
  }
}
