package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.internal.policy.Cidr;
import java.util.List;

/**
 * Where the proxy finds who a message goes to, the {@code Identity} a per-identity budget counts
 * for. A policy lists sources in order; the first that yields an identity wins. Immutable and
 * thread-safe; {@code toString()} shows only configuration (header and claim names, CIDRs).
 */
public sealed interface IdentitySource
    permits IdentitySource.Jwt, IdentitySource.Header, IdentitySource.ClientIp {

  /** Returns a JWT source reading claim {@code sub} from the {@code Authorization} header. */
  static IdentitySource jwt() {
    return new Jwt(Jwt.DEFAULT_HEADER, Jwt.DEFAULT_CLAIM);
  }

  /** Returns a JWT source reading a claim from a header. */
  static IdentitySource jwt(String header, String claim) {
    return new Jwt(header, claim);
  }

  /** Returns a source that takes a header's value (such as an API key) as the identity. */
  static IdentitySource header(String name) {
    return new Header(name);
  }

  /** Returns a source that takes the client's IP address, trusting no forwarding proxy. */
  static IdentitySource clientIp() {
    return new ClientIp(List.of());
  }

  /** Returns a source that takes the client's IP address, behind these trusted proxies. */
  static IdentitySource clientIp(List<String> trustedProxies) {
    return new ClientIp(trustedProxies);
  }

  /**
   * A claim of a JSON Web Token carried in a header ({@code from: jwt}); the proxy verifies the
   * token and strips an optional {@code Bearer } prefix.
   *
   * @param header the header name, {@code Authorization} by default
   * @param claim the claim naming the principal, {@code sub} by default
   */
  record Jwt(String header, String claim) implements IdentitySource {
    /** The header read by default. */
    public static final String DEFAULT_HEADER = "Authorization";
    /** The claim read by default. */
    public static final String DEFAULT_CLAIM = "sub";

    /**
     * Creates a JWT source.
     *
     * @throws IllegalArgumentException for a header name that is not an HTTP token, or an empty
     *     claim
     */
    public Jwt {
      Header.checkName("header", header);
      requireNonNull(claim, "claim");
      if (claim.isEmpty()) {
        throw new IllegalArgumentException("claim: '' (expected: a claim name such as sub)");
      }
    }
  }

  /**
   * A request header whose value is the identity ({@code from: header}), such as an API key; the
   * proxy keeps only its hash.
   *
   * @param name the header name
   */
  record Header(String name) implements IdentitySource {
    /**
     * Creates a header source.
     *
     * @throws IllegalArgumentException for a name that is not an HTTP token
     */
    public Header {
      checkName("name", name);
    }

    static void checkName(String what, String name) {
      requireNonNull(name, what);
      boolean ok = !name.isEmpty();
      for (int i = 0; ok && i < name.length(); i++) {
        char c = name.charAt(i);
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      }
      if (!ok) {
        throw new IllegalArgumentException(
            what + ": '" + name + "' (expected: an HTTP header name such as X-Api-Key)");
      }
    }
  }

  /**
   * The client's IP address ({@code from: client_ip}). When the peer is in one of the trusted
   * proxies' CIDR blocks, the proxy takes the address from {@code X-Forwarded-For} instead.
   *
   * @param trustedProxies CIDR blocks such as {@code 10.0.0.0/8}; empty to trust none
   */
  record ClientIp(List<String> trustedProxies) implements IdentitySource {
    /**
     * Creates a client IP source.
     *
     * @throws IllegalArgumentException for a block that is not CIDR notation
     */
    public ClientIp {
      trustedProxies = List.copyOf(requireNonNull(trustedProxies, "trustedProxies"));
      for (String cidr : trustedProxies) {
        if (!Cidr.isValid(cidr)) {
          throw new IllegalArgumentException("trusted_proxies: '" + cidr
              + "' (expected: a CIDR block such as 10.0.0.0/8 or fd00::/8)");
        }
      }
    }
  }
}
