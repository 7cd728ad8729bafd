package dev.custos.proxy.internal.authn;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.custos.proxy.AuthnConfig;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AbuseGuardTest {
  final AtomicLong nanos = new AtomicLong(1_000);
  final Ticker ticker = nanos::get;
  final AbuseGuard guard = new AbuseGuard(ticker);
  final AuthnConfig.Abuse limits =
      new AuthnConfig.Abuse(3, Duration.ofMinutes(1), Duration.ofMinutes(5));

  void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Test
  void theLimitWithinTheWindowThrottlesForBlockFor() {
    assertThat(guard.failure("ip:a", limits)).isFalse();
    assertThat(guard.failure("ip:a", limits)).isFalse();
    assertThat(guard.failure("ip:a", limits)).isTrue();

    assertThat(guard.blockedFor("ip:a")).isEqualTo(Duration.ofMinutes(5));
    assertThat(guard.blockedFor("ip:b")).isZero();
    advance(Duration.ofMinutes(4));
    assertThat(guard.blockedFor("ip:a")).isEqualTo(Duration.ofMinutes(1));
    advance(Duration.ofMinutes(1));
    assertThat(guard.blockedFor("ip:a")).isZero();
    assertThat(guard.failure("ip:a", limits)).isFalse();
  }

  @Test
  void failuresOlderThanTheWindowSlideOut() {
    guard.failure("ip:a", limits);
    advance(Duration.ofSeconds(40));
    guard.failure("ip:a", limits);
    advance(Duration.ofSeconds(30)); // the first failure is now 70 s old

    assertThat(guard.failure("ip:a", limits)).isFalse();
    assertThat(guard.blockedFor("ip:a")).isZero();
    assertThat(guard.failure("ip:a", limits)).isTrue();
  }

  @Test
  void aLowerLimitAfterAReloadAppliesToTheNextFailure() {
    guard.failure("ip:a", limits);
    guard.failure("ip:a", limits);

    assertThat(guard.failure("ip:a",
        new AuthnConfig.Abuse(2, Duration.ofMinutes(1), Duration.ofMinutes(5)))).isTrue();
  }
}
