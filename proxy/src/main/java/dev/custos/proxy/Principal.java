package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Set;

/**
 * Who the authentication layer proved a caller to be, for the layers after it (authorization).
 * Immutable. Its {@link #toString()} shows the identity key and methods, not the name.
 *
 * @param name the verified name: the JWT's identity claim, the client certificate's URI SAN
 *     (such as {@code spiffe://…}) or the API key's name, from the first method of the route's
 *     requirement that succeeded
 * @param methods the methods that succeeded
 * @param identity the verified identity budgets and findings use
 * @param claims the verified JWT's claims as JSON values (strings, numbers, booleans, lists,
 *     maps), empty without a JWT; for authorization only, never logged
 */
public record Principal(String name, Set<AuthnConfig.Method> methods, Identity identity,
    Map<String, Object> claims) {
  /** Checks the parts. */
  public Principal {
    requireNonNull(name, "name");
    methods = Set.copyOf(requireNonNull(methods, "methods"));
    requireNonNull(identity, "identity");
    claims = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(
        requireNonNull(claims, "claims")));
  }

  /** Creates a principal without JWT claims. */
  public Principal(String name, Set<AuthnConfig.Method> methods, Identity identity) {
    this(name, methods, identity, Map.of());
  }

  @Override
  public String toString() {
    return "Principal{" + identity + ", " + methods + "}";
  }
}
