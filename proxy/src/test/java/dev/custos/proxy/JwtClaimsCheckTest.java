package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.custos.proxy.JwtClaimsCheck.Failure;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The claims checks the proxy's {@code authn.jwt} and the command plane's OIDC share. */
class JwtClaimsCheckTest {
  private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
  private static final Duration SKEW = Duration.ofSeconds(60);
  private static final JwtClaimsCheck CHECK = JwtClaimsCheck.of("https://issuer.test",
      List.of("orders", "payments"), SKEW, Duration.ofHours(1), Clock.fixed(NOW, ZoneOffset.UTC));
  private static final JwtClaimsCheck UNLIMITED = JwtClaimsCheck.of("https://issuer.test",
      List.of("orders"), SKEW, null, Clock.fixed(NOW, ZoneOffset.UTC));

  private static JWTClaimsSet claims(UnaryOperator<JWTClaimsSet.Builder> change) {
    return change.apply(new JWTClaimsSet.Builder().issuer("https://issuer.test")
        .audience("orders").subject("alice").issueTime(Date.from(NOW.minusSeconds(10)))
        .expirationTime(Date.from(NOW.plusSeconds(300)))).build();
  }

  private static Date at(long secondsFromNow) {
    return Date.from(NOW.plusSeconds(secondsFromNow));
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("no exp", claims(b -> b.expirationTime(null)), Failure.NO_EXPIRY),
        Arguments.of("exp past beyond the skew", claims(b -> b.issueTime(at(-600))
            .expirationTime(at(-61))), Failure.EXPIRED),
        Arguments.of("nbf future beyond the skew", claims(b -> b.notBeforeTime(at(61))),
            Failure.NOT_YET_VALID),
        Arguments.of("iat future beyond the skew", claims(b -> b.issueTime(at(61))),
            Failure.ISSUED_IN_FUTURE),
        Arguments.of("another issuer", claims(b -> b.issuer("https://evil.test")),
            Failure.ISSUER),
        Arguments.of("no issuer", claims(b -> b.issuer(null)), Failure.ISSUER),
        Arguments.of("another audience", claims(b -> b.audience("billing")),
            Failure.AUDIENCE),
        Arguments.of("no audience", claims(b -> b.audience((String) null)), Failure.AUDIENCE),
        Arguments.of("lifetime over the maximum from iat", claims(b -> b.issueTime(at(-10))
            .expirationTime(at(3591))), Failure.LIFETIME),
        Arguments.of("lifetime over the maximum from nbf", claims(b -> b.issueTime(null)
            .notBeforeTime(at(-10)).expirationTime(at(3591))), Failure.LIFETIME));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void aTokenFailingOneCheckIsRejectedNamingThatCheck(String name, JWTClaimsSet claims,
      Failure failure) {
    JwtClaimsCheck.Rejected e = catchThrowableOfType(JwtClaimsCheck.Rejected.class,
        () -> CHECK.verify(claims, null));

    assertThat(e).isNotNull();
    assertThat(e.failure()).isEqualTo(failure);
    assertThat(e.getMessage()).doesNotContain("alice", "evil", "billing");
  }

  @Test
  void timesWithinTheSkewAndAnyListedAudienceAreAccepted() {
    assertThatCode(() -> CHECK.verify(claims(b -> b.issueTime(at(60)).notBeforeTime(at(60))
        .expirationTime(at(600))), null)).doesNotThrowAnyException();
    assertThatCode(() -> CHECK.verify(claims(b -> b.issueTime(at(-600))
        .expirationTime(at(-60))), null)).doesNotThrowAnyException();
    assertThatCode(() -> CHECK.verify(claims(b -> b.audience(List.of("billing", "payments"))),
        null)).doesNotThrowAnyException();
  }

  @Test
  void withoutAMaximumLifetimeALongLivedTokenIsAccepted() {
    assertThatCode(() -> UNLIMITED.verify(claims(b -> b.expirationTime(at(86_400 * 365))),
        null)).doesNotThrowAnyException();
  }

  @Test
  void badSettingsAreRefusedNamingTheSetting() {
    Clock clock = Clock.systemUTC();
    assertThatIllegalArgumentException().isThrownBy(() -> JwtClaimsCheck.of("i", List.of(),
        SKEW, null, clock)).withMessageContaining("audiences");
    assertThatIllegalArgumentException().isThrownBy(() -> JwtClaimsCheck.of("i", List.of("a"),
        Duration.ofSeconds(-1), null, clock)).withMessageContaining("clockSkew");
    assertThatIllegalArgumentException().isThrownBy(() -> JwtClaimsCheck.of("i", List.of("a"),
        SKEW, Duration.ZERO, clock)).withMessageContaining("maxLifetime");
  }
}
