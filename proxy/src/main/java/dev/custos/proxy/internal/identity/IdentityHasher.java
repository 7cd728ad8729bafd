package dev.custos.proxy.internal.identity;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.EvidenceKey;
import dev.custos.proxy.Identity;
import java.nio.charset.StandardCharsets;

/**
 * Turns an identity's value into its {@link Identity#key()}: the kind and 16 hex digits of
 * HMAC-SHA256 over the kind and the value under the deployment's evidence key. Thread-safe.
 */
public final class IdentityHasher {
  private static final int HASH_HEX_DIGITS = 16;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final EvidenceKey key;

  /** Creates a hasher under {@code key}. */
  public IdentityHasher(EvidenceKey key) {
    this.key = requireNonNull(key, "key");
  }

  /** Returns the identity of a value; the value itself is not kept. */
  public Identity identity(Identity.Kind kind, String value, boolean verified) {
    requireNonNull(kind, "kind");
    requireNonNull(value, "value");
    byte[] h = key.hmac((kind.id() + '\0' + value).getBytes(StandardCharsets.UTF_8));
    char[] out = new char[HASH_HEX_DIGITS];
    for (int i = 0; i < HASH_HEX_DIGITS / 2; i++) {
      out[2 * i] = HEX[(h[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[h[i] & 0xf];
    }
    return new Identity(kind, kind.id() + ":" + new String(out), verified);
  }

  @Override
  public String toString() {
    return "IdentityHasher{key=" + key + "}";
  }
}
