package dev.custos.proxy.internal.authn;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
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
import com.linecorp.armeria.common.RequestHeaders;
import dev.custos.proxy.AuthnConfig;
import dev.custos.proxy.Identity;
import dev.custos.proxy.JwtClaimsCheck;
import dev.custos.proxy.internal.identity.IdentityHasher;
import java.net.MalformedURLException;
import java.text.ParseException;
import java.time.Clock;
import java.util.HashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Verifies a JWT with nimbus-jose-jwt: signature under an allowed algorithm (a JWT without one,
 * {@code alg: none}, is always refused, and HMAC is possible only with a configured secret, so a
 * public key can never serve as an HMAC secret), then {@code iss}, {@code aud}, {@code exp},
 * {@code nbf}, {@code iat} within the clock skew, and the maximum lifetime. Keys from a URL are
 * cached, fetched again when the cache expires, and early (rate limited) when a token names an
 * unknown key id, which is how key rotation is picked up. Thread-safe; {@link #verify} may block
 * on a key fetch when {@link #remote()}.
 */
final class JwtVerifier {
  private static final int FETCH_TIMEOUT_MILLIS = 2_000;
  private static final int FETCH_SIZE_LIMIT = 512 * 1024;

  private final AuthnConfig.Jwt config;
  private final IdentityHasher hasher;
  private final Set<JWSAlgorithm> algorithms;
  private final DefaultJWTProcessor<SecurityContext> processor;

  JwtVerifier(AuthnConfig.Jwt config, IdentityHasher hasher, Clock clock) {
    this.config = config;
    this.hasher = hasher;
    Set<JWSAlgorithm> algs = new HashSet<>();
    for (String a : config.algorithms()) {
      algs.add(JWSAlgorithm.parse(a));
    }
    this.algorithms = Set.copyOf(algs);
    JWKSource<SecurityContext> keys;
    if (config.jwksUrl() != null) {
      try {
        keys = JWKSourceBuilder.<SecurityContext>create(config.jwksUrl().toURL(),
                new DefaultResourceRetriever(FETCH_TIMEOUT_MILLIS, FETCH_TIMEOUT_MILLIS,
                    FETCH_SIZE_LIMIT))
            .cache(config.jwksCacheTtl().toMillis(), FETCH_TIMEOUT_MILLIS * 2L)
            .refreshAheadCache(false)
            .rateLimited(config.jwksRefreshMinInterval().toMillis())
            .retrying(false)
            .build();
      } catch (MalformedURLException e) {
        throw new IllegalArgumentException("jwks_url: not a URL (expected: http or https)");
      }
    } else if (config.jwksFile() != null) {
      keys = new ImmutableJWKSet<>(AuthnFiles.jwks(config.jwksFile()));
    } else {
      keys = new ImmutableSecret<>(AuthnFiles.secret(config.secret()));
    }
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
    p.setJWTClaimsSetVerifier(JwtClaimsCheck.of(config.issuer(), config.audiences(),
        config.clockSkew(), config.maxLifetime(), clock));
    p.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT,
        new JOSEObjectType("at+jwt"), null));
    this.processor = p;
  }

  /** Returns whether verifying may fetch keys over the network. */
  boolean remote() {
    return config.jwksUrl() != null;
  }

  /** Returns the token in the request, or null. */
  @Nullable String token(RequestHeaders headers) {
    String value = headers.get(config.header());
    if (value == null) {
      return null;
    }
    String token = value.strip();
    if (token.regionMatches(true, 0, "Bearer ", 0, 7)) {
      token = token.substring(7).strip();
    }
    return token.isEmpty() ? null : token;
  }

  /** Returns the hashed identity the token claims, unverified, or null; for counting abuse. */
  @Nullable String claimed(RequestHeaders headers) {
    String token = token(headers);
    if (token == null) {
      return null;
    }
    try {
      return claimed(JWTParser.parse(token));
    } catch (ParseException | RuntimeException e) {
      return null;
    }
  }

  private @Nullable String claimed(JWT jwt) {
    try {
      Object v = jwt.getJWTClaimsSet().getClaim(config.claim());
      return v instanceof String s && !s.isEmpty()
          ? hasher.identity(Identity.Kind.JWT, s, false).key() : null;
    } catch (ParseException | RuntimeException e) {
      return null;
    }
  }

  Attempt verify(RequestHeaders headers) {
    String token = token(headers);
    if (token == null) {
      return Attempt.missing(AuthnConfig.Method.JWT);
    }
    JWT jwt;
    try {
      jwt = JWTParser.parse(token);
    } catch (ParseException | RuntimeException e) {
      return failed("malformed", null);
    }
    String claimed = claimed(jwt);
    if (jwt instanceof PlainJWT) {
      return failed("alg_none", claimed);
    }
    if (!(jwt instanceof SignedJWT signed)) {
      return failed("unsupported", claimed);
    }
    if (!algorithms.contains(signed.getHeader().getAlgorithm())) {
      return failed("algorithm", claimed);
    }
    JWTClaimsSet claims;
    try {
      claims = processor.process(signed, null);
    } catch (JwtClaimsCheck.Rejected e) {
      return failed(reason(e.failure()), claimed);
    } catch (BadJWSException e) {
      return failed("bad_signature", claimed);
    } catch (BadJWTException e) {
      return failed("claims", claimed);
    } catch (BadJOSEException e) {
      return failed("unknown_key", claimed);
    } catch (RateLimitReachedException e) {
      return failed("unknown_key", claimed);
    } catch (KeySourceException e) {
      return Attempt.unavailable(AuthnConfig.Method.JWT, "jwks_unavailable");
    } catch (JOSEException | RuntimeException e) {
      return failed("bad_signature", claimed);
    }
    Object name = claims.getClaim(config.claim());
    if (!(name instanceof String s) || s.isEmpty()) {
      return failed("claim", null);
    }
    return Attempt.ok(AuthnConfig.Method.JWT, hasher.identity(Identity.Kind.JWT, s, true), s,
        claims.toJSONObject());
  }

  private static Attempt failed(String reason, @Nullable String claimed) {
    return Attempt.failed(AuthnConfig.Method.JWT, reason, claimed);
  }

  /** Returns the reason counted for a failed claims check. */
  private static String reason(JwtClaimsCheck.Failure failure) {
    return switch (failure) {
      case NO_EXPIRY -> "no_expiry";
      case EXPIRED -> "expired";
      case NOT_YET_VALID, ISSUED_IN_FUTURE -> "not_yet_valid";
      case ISSUER -> "issuer";
      case AUDIENCE -> "audience";
      case LIFETIME -> "lifetime";
    };
  }
}
