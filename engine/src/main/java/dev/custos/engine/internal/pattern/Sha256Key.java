package dev.custos.engine.internal.pattern;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * A SHA-256 digest used as a map key (compared by content): how the build-time caches of
 * automata and catalog trees name what they hold. Immutable.
 */
public final class Sha256Key {
  /** Digest length in bytes. */
  public static final int LENGTH = 32;

  private final byte[] bytes;
  private final int hash;

  private Sha256Key(byte[] bytes) {
    this.bytes = bytes;
    this.hash = Arrays.hashCode(bytes);
  }

  /**
   * Wraps a digest read back from a cache file.
   *
   * @throws IllegalArgumentException when it is not {@value #LENGTH} bytes long
   */
  public static Sha256Key ofDigest(byte[] digest) {
    if (digest.length != LENGTH) {
      throw new IllegalArgumentException(
          "digest: " + digest.length + " bytes (expected: " + LENGTH + ", a SHA-256)");
    }
    return new Sha256Key(digest.clone());
  }

  /** Returns the key of {@code content}. */
  public static Sha256Key of(byte[] content) {
    return new Sha256Key(newDigest().digest(content));
  }

  /** Returns a fresh SHA-256 {@link MessageDigest}. */
  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 (expected: available in every Java runtime)", e);
    }
  }

  /** Returns a copy of the digest. */
  public byte[] bytes() {
    return bytes.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Sha256Key && Arrays.equals(((Sha256Key) o).bytes, bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return "Sha256Key{" + String.format("%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2], bytes[3]) + "…}";
  }
}
