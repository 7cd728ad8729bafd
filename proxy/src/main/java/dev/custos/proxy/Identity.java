package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

/**
 * Who a message goes to or comes from: the caller, as the first of the policy's identity sources
 * that yields one found it. Immutable.
 *
 * <p>{@link #key()} is what budgets count by and what logs and events show: the kind and a keyed
 * hash, so neither an API key nor a principal name is ever written out. An API key is not kept at
 * all: its identity holds only the hash.
 *
 * @param kind where the identity came from
 * @param key {@code kind:hash} (16 hex digits of HMAC-SHA256 under the deployment's evidence key),
 *     or {@code anonymous}
 * @param verified whether the identity was proven by the authentication layer (a verified JWT,
 *     client certificate or API key); decoded-only JWT claims, header values and client addresses
 *     are not
 */
public record Identity(Kind kind, String key, boolean verified) {
  /** The identity of a caller no source could name. */
  public static final Identity ANONYMOUS = new Identity(Kind.ANONYMOUS, "anonymous", false);

  /** Where an identity came from. */
  public enum Kind {
    /** A claim of a JSON Web Token: decoded only, or verified by the authentication layer. */
    JWT,
    /** The URI SAN (such as a SPIFFE id) of a verified client certificate. */
    MTLS,
    /** The name of a verified API key. */
    API_KEY,
    /** A request header such as an API key. */
    HEADER,
    /** The client's IP address. */
    CLIENT_IP,
    /** None of the sources applied. */
    ANONYMOUS;

    private final String id = name().toLowerCase(java.util.Locale.ROOT);

    /** Returns the id used in keys, logs and configuration. */
    public String id() {
      return id;
    }
  }

  /** Checks the parts. */
  public Identity {
    requireNonNull(kind, "kind");
    requireNonNull(key, "key");
  }

  @Override
  public String toString() {
    return key + (verified ? " (verified)" : "");
  }
}
