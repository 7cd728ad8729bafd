package dev.custos.proxy.internal.identity;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.EvidenceKey;
import dev.custos.proxy.Identity;
import java.nio.charset.StandardCharsets;

/**
 * Turns an identity's value into its {@link Identity#key()}: the kind and 16 hex digits of
 * HMAC-SHA256 over the kind and the value under the deployment's evidence key. Each thread keeps
 * the last client IP identity it made (a caller usually sends more than one request, and requests
 * run on a few event loops), so a repeated address costs a comparison rather than an HMAC. Other
 * kinds (a header may carry a secret) are hashed every time and never kept. Thread-safe.
 */
public final class IdentityHasher {
  private static final int HASH_HEX_DIGITS = 16;
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  /** The last client IP identity made on this thread, and by which hasher. */
  private static final ThreadLocal<Last> LAST = new ThreadLocal<>();

  private static final class Last {
    final IdentityHasher hasher;
    final String address;
    final Identity identity;

    Last(IdentityHasher hasher, String address, Identity identity) {
      this.hasher = hasher;
      this.address = address;
      this.identity = identity;
    }
  }

  private final EvidenceKey key;

  /** Creates a hasher under {@code key}. */
  public IdentityHasher(EvidenceKey key) {
    this.key = requireNonNull(key, "key");
  }

  /** Returns the identity of a value; only a client address is kept (see the class comment). */
  public Identity identity(Identity.Kind kind, String value, boolean verified) {
    requireNonNull(kind, "kind");
    requireNonNull(value, "value");
    if (kind != Identity.Kind.CLIENT_IP) {
      return hash(kind, value, verified);
    }
    Last last = LAST.get();
    if (last != null && last.hasher == this && last.identity.verified() == verified
        && last.address.equals(value)) {
      return last.identity;
    }
    Identity made = hash(kind, value, verified);
    LAST.set(new Last(this, value, made));
    return made;
  }

  private Identity hash(Identity.Kind kind, String value, boolean verified) {
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
