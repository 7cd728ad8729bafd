package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The authentication providers of a configuration ({@code authn:} in {@code custos.yaml}): at
 * most one JWT issuer, one client-certificate trust bundle and one set of API keys, and the
 * limits on failed attempts. Routes choose among them with {@link Requirement}. Immutable.
 *
 * <p>No secret is ever part of a configuration: HMAC secrets are named by a file or an
 * environment variable ({@link SecretRef}), and API keys are held as SHA-256 hashes only.
 *
 * @param jwt the JWT provider, or null
 * @param mtls the client-certificate provider, or null
 * @param apiKeys the API-key provider, or null
 * @param abuse when failed attempts throttle their source
 */
public record AuthnConfig(@Nullable Jwt jwt, @Nullable Mtls mtls, @Nullable ApiKeys apiKeys,
    Abuse abuse) {
  /** No providers, default abuse limits. */
  public static final AuthnConfig NONE = new AuthnConfig(null, null, null, Abuse.DEFAULT);

  /** Checks the parts. */
  public AuthnConfig {
    requireNonNull(abuse, "abuse");
  }

  /** Returns the files the providers read (key sets, secrets, bundles), watched for reload. */
  public List<Path> files() {
    List<Path> out = new java.util.ArrayList<>();
    if (jwt != null && jwt.jwksFile() != null) {
      out.add(jwt.jwksFile());
    }
    if (jwt != null && jwt.secret() != null && jwt.secret().file() != null) {
      out.add(jwt.secret().file());
    }
    if (mtls != null) {
      out.add(mtls.trustBundle());
    }
    if (apiKeys != null && apiKeys.file() != null) {
      out.add(apiKeys.file());
    }
    return List.copyOf(out);
  }

  /** Returns whether a provider for {@code method} is configured. */
  public boolean provides(Method method) {
    return switch (requireNonNull(method, "method")) {
      case JWT -> jwt != null;
      case MTLS -> mtls != null;
      case API_KEY -> apiKeys != null;
    };
  }

  /** A way of proving who is calling. */
  public enum Method {
    /** A signed JSON Web Token. */
    JWT,
    /** A client certificate presented in the TLS handshake. */
    MTLS,
    /** An API key in a request header. */
    API_KEY;

    /** Returns the id used in configuration and metrics: {@code jwt}, {@code mtls}, {@code api_key}. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Returns the method of an id. */
    public static Method of(String id) {
      return valueOf(requireNonNull(id, "id").toUpperCase(Locale.ROOT));
    }
  }

  /**
   * Where a secret comes from: a file (its bytes, a final newline dropped) or an environment
   * variable. Holds the name only, never the secret.
   */
  public record SecretRef(@Nullable Path file, @Nullable String env) {
    /** Checks that exactly one source is given. */
    public SecretRef {
      if ((file == null) == (env == null)) {
        throw new IllegalArgumentException("secret: file=" + file + ", env=" + env
            + " (expected: exactly one of them)");
      }
    }
  }

  /**
   * JWT validation.
   *
   * @param issuer the required {@code iss}
   * @param audiences accepted {@code aud} values; a token must name at least one
   * @param jwksUrl where the public keys are fetched from, cached and refreshed
   * @param jwksFile a JWK set file with public keys
   * @param secret an HMAC secret, for HS256/384/512 only
   * @param algorithms the accepted {@code alg} values; never {@code none}, and HMAC only with a
   *     secret
   * @param clockSkew the tolerance on {@code exp}, {@code nbf} and {@code iat}
   * @param maxLifetime the longest accepted {@code exp} minus {@code iat} (or {@code nbf})
   * @param header the request header carrying the token ({@code Bearer } prefix optional)
   * @param claim the claim that names the caller
   * @param jwksCacheTtl how long fetched keys are used before they are fetched again
   * @param jwksRefreshMinInterval the least time between two fetches caused by unknown key ids
   */
  public record Jwt(String issuer, Set<String> audiences, @Nullable URI jwksUrl,
      @Nullable Path jwksFile, @Nullable SecretRef secret, Set<String> algorithms,
      Duration clockSkew, Duration maxLifetime, String header, String claim,
      Duration jwksCacheTtl, Duration jwksRefreshMinInterval) {
    /** Checks the parts. */
    public Jwt {
      requireNonNull(issuer, "issuer");
      audiences = Set.copyOf(requireNonNull(audiences, "audiences"));
      algorithms = Set.copyOf(requireNonNull(algorithms, "algorithms"));
      requireNonNull(clockSkew, "clockSkew");
      requireNonNull(maxLifetime, "maxLifetime");
      requireNonNull(header, "header");
      requireNonNull(claim, "claim");
      requireNonNull(jwksCacheTtl, "jwksCacheTtl");
      requireNonNull(jwksRefreshMinInterval, "jwksRefreshMinInterval");
      int sources = (jwksUrl != null ? 1 : 0) + (jwksFile != null ? 1 : 0) + (secret != null ? 1 : 0);
      if (sources != 1) {
        throw new IllegalArgumentException("jwt keys: " + sources
            + " sources (expected: exactly one of jwks_url, jwks_file, secret)");
      }
      if (audiences.isEmpty()) {
        throw new IllegalArgumentException("audiences: [] (expected: at least one)");
      }
      for (String alg : algorithms) {
        boolean hmac = alg.startsWith("HS");
        if (alg.equalsIgnoreCase("none") || hmac != (secret != null)) {
          throw new IllegalArgumentException("algorithms: " + alg + " (expected: "
              + (secret != null ? "HS256, HS384 or HS512 with a secret" : "an asymmetric algorithm"
              + " with a JWK set") + ")");
        }
      }
    }
  }

  /**
   * Client certificates: the TLS listener asks for one, and a route that requires {@code mtls}
   * accepts a chain that ends at the bundle, whose leaf is not a CA and names the caller with a
   * URI SAN (such as {@code spiffe://…}).
   *
   * @param trustBundle a PEM file with the trusted CA certificates
   */
  public record Mtls(Path trustBundle) {
    /** Checks the parts. */
    public Mtls {
      requireNonNull(trustBundle, "trustBundle");
    }
  }

  /**
   * API keys, held as hashes.
   *
   * @param header the request header carrying the key
   * @param keys the known keys
   * @param file the file keys were read from, or null
   */
  public record ApiKeys(String header, List<ApiKey> keys, @Nullable Path file) {
    /** Checks the parts. */
    public ApiKeys {
      requireNonNull(header, "header");
      keys = List.copyOf(requireNonNull(keys, "keys"));
    }
  }

  /**
   * One API key.
   *
   * @param name the caller's name, for identities and logs
   * @param sha256 the lower-case hex SHA-256 of the key
   * @param routes the routes the key may be used on; {@code *} for every route
   * @param plan the usage plan ({@code limits.plans}) whose rate the key's bucket has, or null
   */
  public record ApiKey(String name, String sha256, Set<String> routes, @Nullable String plan) {
    /** Checks the parts. */
    public ApiKey {
      requireNonNull(name, "name");
      requireNonNull(sha256, "sha256");
      routes = Set.copyOf(requireNonNull(routes, "routes"));
      if (!sha256.matches("[0-9a-f]{64}")) {
        throw new IllegalArgumentException("sha256: " + sha256.length()
            + " characters (expected: 64 lower-case hex digits)");
      }
    }

    /** Creates a key without a usage plan. */
    public ApiKey(String name, String sha256, Set<String> routes) {
      this(name, sha256, routes, null);
    }

    /** Returns whether the key may be used on a route. */
    public boolean allows(String route) {
      return routes.contains("*") || routes.contains(route);
    }
  }

  /**
   * Credential-abuse limits: a client IP or a claimed identity with {@code maxFailures} failed
   * attempts within {@code window} is refused with 429 for {@code blockFor}.
   */
  public record Abuse(int maxFailures, Duration window, Duration blockFor) {
    /** Ten failures a minute block for five minutes. */
    public static final Abuse DEFAULT = new Abuse(10, Duration.ofMinutes(1), Duration.ofMinutes(5));

    /** Checks the limits. */
    public Abuse {
      requireNonNull(window, "window");
      requireNonNull(blockFor, "blockFor");
      if (maxFailures < 1) {
        throw new IllegalArgumentException("maxFailures: " + maxFailures + " (expected: >= 1)");
      }
      if (window.isNegative() || window.isZero() || blockFor.isNegative() || blockFor.isZero()) {
        throw new IllegalArgumentException("window, blockFor: " + window + ", " + blockFor
            + " (expected: > 0)");
      }
    }
  }

  /**
   * What a route requires.
   *
   * @param methods the methods, in the order they are tried
   * @param all whether every method must succeed ({@code require}); else one is enough
   *     ({@code any_of})
   * @param sensitive whether an API key alone is refused
   */
  public record Requirement(List<Method> methods, boolean all, boolean sensitive) {
    /** Checks the parts. */
    public Requirement {
      methods = List.copyOf(requireNonNull(methods, "methods"));
      if (methods.isEmpty()) {
        throw new IllegalArgumentException("methods: [] (expected: at least one)");
      }
      if (sensitive && methods.equals(List.of(Method.API_KEY))) {
        throw new IllegalArgumentException(
            "methods: [api_key] on a sensitive route (expected: another method too)");
      }
    }
  }
}
