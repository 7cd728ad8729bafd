package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.JWTClaimsSetVerifier;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Checks a JWT's registered claims the same way wherever Custos accepts a JWT (the proxy's
 * {@code authn.jwt} and the command plane's OIDC): {@code exp} required and not past,
 * {@code nbf} and {@code iat} not in the future, each within the clock skew; {@code iss} equal
 * to the issuer; {@code aud} holding one of the audiences; and, when set, a lifetime
 * ({@code exp} minus {@code iat}, or {@code nbf}) no longer than the maximum. The signature is
 * the caller's {@code DefaultJWTProcessor}'s business; this is its claims verifier. A failed
 * check throws {@link Rejected} naming the {@link Failure}, never a claim's value. Immutable and
 * thread-safe.
 */
public final class JwtClaimsCheck implements JWTClaimsSetVerifier<SecurityContext> {
  /** Which check a token failed. */
  public enum Failure {
    /** No {@code exp}. */
    NO_EXPIRY,
    /** {@code exp} is past, beyond the skew. */
    EXPIRED,
    /** {@code nbf} is in the future, beyond the skew. */
    NOT_YET_VALID,
    /** {@code iat} is in the future, beyond the skew. */
    ISSUED_IN_FUTURE,
    /** {@code iss} is not the issuer. */
    ISSUER,
    /** {@code aud} holds none of the audiences. */
    AUDIENCE,
    /** {@code exp} minus {@code iat} (or {@code nbf}) exceeds the maximum lifetime. */
    LIFETIME
  }

  /** A claims check that failed; its message names the check, never a claim's value. */
  public static final class Rejected extends BadJWTException {
    private static final long serialVersionUID = 1L;
    private final Failure failure;

    Rejected(Failure failure) {
      super("JWT rejected: " + failure);
      this.failure = failure;
    }

    /** Returns the check that failed. */
    public Failure failure() {
      return failure;
    }
  }

  private final String issuer;
  private final Set<String> audiences;
  private final Duration clockSkew;
  private final @Nullable Duration maxLifetime;
  private final Clock clock;

  private JwtClaimsCheck(String issuer, Set<String> audiences, Duration clockSkew,
      @Nullable Duration maxLifetime, Clock clock) {
    this.issuer = issuer;
    this.audiences = audiences;
    this.clockSkew = clockSkew;
    this.maxLifetime = maxLifetime;
    this.clock = clock;
  }

  /**
   * Returns a check.
   *
   * @param issuer the accepted {@code iss}
   * @param audiences the accepted {@code aud} values, at least one
   * @param clockSkew the tolerance on {@code exp}, {@code nbf} and {@code iat}, not negative
   * @param maxLifetime the longest accepted lifetime, or null for no limit
   * @param clock the time the token is checked against
   */
  public static JwtClaimsCheck of(String issuer, Collection<String> audiences, Duration clockSkew,
      @Nullable Duration maxLifetime, Clock clock) {
    requireNonNull(issuer, "issuer");
    requireNonNull(clockSkew, "clockSkew");
    requireNonNull(clock, "clock");
    Set<String> aud = Set.copyOf(requireNonNull(audiences, "audiences"));
    if (aud.isEmpty()) {
      throw new IllegalArgumentException("audiences: empty (expected: at least one)");
    }
    if (clockSkew.isNegative()) {
      throw new IllegalArgumentException("clockSkew: " + clockSkew + " (expected: >= 0)");
    }
    if (maxLifetime != null && (maxLifetime.isNegative() || maxLifetime.isZero())) {
      throw new IllegalArgumentException("maxLifetime: " + maxLifetime + " (expected: > 0)");
    }
    return new JwtClaimsCheck(issuer, aud, clockSkew, maxLifetime, clock);
  }

  @Override
  public void verify(JWTClaimsSet claims, @Nullable SecurityContext context) throws Rejected {
    Instant now = clock.instant();
    Date exp = claims.getExpirationTime();
    if (exp == null) {
      throw new Rejected(Failure.NO_EXPIRY);
    }
    if (now.minus(clockSkew).isAfter(exp.toInstant())) {
      throw new Rejected(Failure.EXPIRED);
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && now.plus(clockSkew).isBefore(nbf.toInstant())) {
      throw new Rejected(Failure.NOT_YET_VALID);
    }
    Date iat = claims.getIssueTime();
    if (iat != null && now.plus(clockSkew).isBefore(iat.toInstant())) {
      throw new Rejected(Failure.ISSUED_IN_FUTURE);
    }
    if (!issuer.equals(claims.getIssuer())) {
      throw new Rejected(Failure.ISSUER);
    }
    List<String> aud = claims.getAudience();
    if (aud == null || aud.stream().noneMatch(audiences::contains)) {
      throw new Rejected(Failure.AUDIENCE);
    }
    if (maxLifetime != null) {
      Instant start = iat != null ? iat.toInstant() : nbf != null ? nbf.toInstant() : now;
      if (Duration.between(start, exp.toInstant()).compareTo(maxLifetime) > 0) {
        throw new Rejected(Failure.LIFETIME);
      }
    }
  }
}
