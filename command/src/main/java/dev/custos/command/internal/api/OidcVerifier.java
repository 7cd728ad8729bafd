package dev.custos.command.internal.api;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.custos.command.CommandConfig;
import dev.custos.proxy.JwtClaimsCheck;
import java.net.MalformedURLException;
import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies OIDC JWTs with nimbus-jose-jwt: a signature under an allowed asymmetric algorithm by
 * a key of the issuer's JWKS ({@code alg: none} and HMAC are never accepted, so a public key can
 * never serve as an HMAC secret), {@code iss}, {@code aud}, {@code exp} (required) and
 * {@code nbf} and {@code iat} within the clock skew, checked by the proxy's
 * {@link JwtClaimsCheck} as for {@code authn.jwt}; then maps the roles claim to a {@link Role}. Keys from a URL
 * are cached, refreshed ahead of expiry, and fetched again early (rate limited) when a token
 * names an unknown key id. Thread-safe; {@link #verify} blocks on a key fetch when
 * {@link #remote()}, so it then runs off the event loops.
 */
final class OidcVerifier {
  private static final int FETCH_TIMEOUT_MILLIS = 3_000;
  private static final int FETCH_SIZE_LIMIT = 512 * 1024;
  private static final long UNKNOWN_KEY_REFETCH_MILLIS = 30_000;
  private static final int MAX_NAME_LENGTH = 256;

  private final CommandConfig.Oidc config;
  private final Set<JWSAlgorithm> algorithms;
  private final DefaultJWTProcessor<SecurityContext> processor;

  OidcVerifier(CommandConfig.Oidc config, Clock clock) {
    this.config = config;
    Set<JWSAlgorithm> algs = new LinkedHashSet<>();
    for (String a : config.algorithms()) {
      algs.add(JWSAlgorithm.parse(a));
    }
    this.algorithms = Set.copyOf(algs);
    JWKSource<SecurityContext> keys;
    if (config.jwksUrl() != null) {
      try {
        // At least a minute (CommandConfig.Oidc): refresh ahead, refresh timeout and the
        // early-fetch interval all fit well inside it.
        long ttl = config.jwksCache().toMillis();
        keys = JWKSourceBuilder.<SecurityContext>create(config.jwksUrl().toURL(),
                new DefaultResourceRetriever(FETCH_TIMEOUT_MILLIS, FETCH_TIMEOUT_MILLIS,
                    FETCH_SIZE_LIMIT))
            .cache(ttl, Math.min(FETCH_TIMEOUT_MILLIS * 2L, ttl / 4))
            .refreshAheadCache(Math.min(ttl / 4, 30_000L), false)
            .rateLimited(Math.min(UNKNOWN_KEY_REFETCH_MILLIS, ttl / 2))
            .retrying(false)
            .build();
      } catch (MalformedURLException e) {
        throw new IllegalArgumentException("oidc: jwks_url: not a URL (expected: http or https)");
      }
    } else {
      keys = new ImmutableJWKSet<>(Jwks.load(config.jwksFile()));
    }
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
    p.setJWTClaimsSetVerifier(JwtClaimsCheck.of(config.issuer(), config.audiences(),
        config.clockSkew(), null, clock));
    p.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT,
        new JOSEObjectType("at+jwt"), null));
    this.processor = p;
  }

  /** Returns whether verifying may fetch keys over the network. */
  boolean remote() {
    return config.jwksUrl() != null;
  }

  /** Returns whether a bearer credential has the shape of a JWT (three dot-separated parts). */
  static boolean looksLikeJwt(String credential) {
    int first = credential.indexOf('.');
    return first > 0 && credential.indexOf('.', first + 1) > first;
  }

  /** What verifying a token decided. */
  sealed interface Outcome {}

  /** The token is valid and grants a role. */
  record Accepted(Caller caller) implements Outcome {}

  /**
   * The token is refused.
   *
   * @param status 401 (not a valid token), 403 (valid, but no role) or 503 (keys unavailable)
   * @param reason what was wrong, never a claim's value
   */
  record Refused(int status, String reason) implements Outcome {}

  /** Verifies a token; blocks on a key fetch when {@link #remote()}. */
  Outcome verify(String token) {
    JWT jwt;
    try {
      jwt = JWTParser.parse(token);
    } catch (ParseException | RuntimeException e) {
      return new Refused(401, "JWT malformed (expected: a signed JWT)");
    }
    if (jwt instanceof PlainJWT) {
      return new Refused(401, "JWT not signed, alg none (expected: one of " + algorithms()
          + ")");
    }
    if (!(jwt instanceof SignedJWT signed)) {
      return new Refused(401, "JWT encrypted (expected: a signed JWT)");
    }
    if (!algorithms.contains(signed.getHeader().getAlgorithm())) {
      return new Refused(401, "JWT algorithm " + signed.getHeader().getAlgorithm()
          + " not accepted (expected: one of " + algorithms() + ")");
    }
    JWTClaimsSet claims;
    try {
      claims = processor.process(signed, null);
    } catch (JwtClaimsCheck.Rejected e) {
      return new Refused(401, reason(e.failure()));
    } catch (BadJWSException e) {
      return new Refused(401, "JWT signature invalid (expected: signed by a key of the"
          + " issuer's JWKS)");
    } catch (BadJWTException e) {
      return new Refused(401, "JWT claims invalid (expected: iss, aud, exp as configured)");
    } catch (RateLimitReachedException e) {
      return new Refused(401, "JWT key id unknown (expected: a key of the issuer's JWKS)");
    } catch (KeySourceException e) {
      return new Refused(503, "the issuer's JWKS cannot be fetched (expected: a retry)");
    } catch (BadJOSEException e) {
      return new Refused(401, "JWT key unknown (expected: signed by a key of the issuer's"
          + " JWKS)");
    } catch (JOSEException | RuntimeException e) {
      return new Refused(401, "JWT signature invalid (expected: signed by a key of the"
          + " issuer's JWKS)");
    }
    Object name = claims.getClaim(config.nameClaim());
    if (!(name instanceof String n) || n.isEmpty() || n.length() > MAX_NAME_LENGTH
        || n.chars().anyMatch(Character::isISOControl)) {
      return new Refused(401, "JWT claim " + config.nameClaim() + " missing or malformed"
          + " (expected: a name of 1 to " + MAX_NAME_LENGTH + " printable characters)");
    }
    List<String> roles = roles(claims.getClaims());
    if (roles.stream().anyMatch(config.adminRoles()::contains)) {
      return new Accepted(new Caller(n, Role.ADMIN));
    }
    if (roles.stream().anyMatch(config.readRoles()::contains)) {
      return new Accepted(new Caller(n, Role.READ));
    }
    return new Refused(403, "JWT grants no role of this API (expected: claim "
        + config.rolesClaim() + " holding one of " + config.readRoles() + " or "
        + config.adminRoles() + ")");
  }

  /** Returns the roles the claims hold at the dotted path, or none. */
  private List<String> roles(Map<String, Object> claims) {
    Object node = claims;
    for (String part : config.rolesClaim().split("\\.")) {
      if (!(node instanceof Map<?, ?> m)) {
        return List.of();
      }
      node = m.get(part);
    }
    List<String> out = new ArrayList<>();
    if (node instanceof String s) {
      for (String r : s.trim().split(" +")) {
        out.add(r);
      }
    } else if (node instanceof List<?> l) {
      for (Object o : l) {
        if (o instanceof String s) {
          out.add(s);
        }
      }
    }
    return out;
  }

  private String algorithms() {
    return String.join(", ", config.algorithms());
  }

  /** Returns what a failed claims check says, naming the check, never a claim's value. */
  private String reason(JwtClaimsCheck.Failure failure) {
    long skew = config.clockSkew().toSeconds();
    return switch (failure) {
      case NO_EXPIRY -> "JWT without exp (expected: an expiry time)";
      case EXPIRED -> "JWT expired (expected: exp in the future, with " + skew
          + " s of clock skew)";
      case NOT_YET_VALID -> "JWT not valid yet (expected: nbf in the past, with " + skew
          + " s of clock skew)";
      case ISSUED_IN_FUTURE -> "JWT issued in the future (expected: iat in the past, with "
          + skew + " s of clock skew)";
      case ISSUER -> "JWT issuer not accepted (expected: iss " + config.issuer() + ")";
      case AUDIENCE -> "JWT audience not accepted (expected: aud holding one of "
          + config.audiences() + ")";
      case LIFETIME -> "JWT lifetime too long (expected: exp closer to iat)";
    };
  }
}
