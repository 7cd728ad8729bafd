package dev.custos.proxy.internal.telemetry.commandplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.ResponseHeaders;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The retry delay: exponential, capped, jittered, and never sooner than Retry-After. */
class RetryDelayTest {
  private static final Duration INITIAL = Duration.ofMillis(500);
  private static final Duration MAX = Duration.ofSeconds(60);

  @Test
  void theDelayDoublesPerFailureUpToTheCapWithJitterInTheUpperHalf() {
    Random random = new Random(13);
    for (int failures = 1; failures <= 100; failures++) {
      long base = Math.min(MAX.toNanos(),
          INITIAL.toNanos() << Math.min(failures - 1, 30));
      for (int i = 0; i < 50; i++) {
        long d = CommandSender.delayNanos(failures, INITIAL, MAX, null, random);
        assertThat(d).isBetween(base / 2, base);
      }
    }
    // Jitter: two proxies failing together do not wait the same time.
    long a = CommandSender.delayNanos(8, INITIAL, MAX, null, new Random(1));
    long b = CommandSender.delayNanos(8, INITIAL, MAX, null, new Random(2));
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void retryAfterIsHonouredButNeverShortensTheBackoffAndIsCappedAtAnHour() {
    Random random = new Random(5);
    long tenMinutes = TimeUnit.MINUTES.toNanos(10);
    assertThat(CommandSender.delayNanos(1, INITIAL, MAX, tenMinutes, random))
        .isEqualTo(tenMinutes);
    assertThat(CommandSender.delayNanos(20, INITIAL, MAX, 0L, random))
        .isGreaterThanOrEqualTo(MAX.toNanos() / 2);
    assertThat(CommandSender.delayNanos(1, INITIAL, MAX, TimeUnit.DAYS.toNanos(3), random))
        .isEqualTo(TimeUnit.HOURS.toNanos(1));
  }

  private static AggregatedHttpResponse answer(String retryAfter) {
    return AggregatedHttpResponse.of(ResponseHeaders.builder(HttpStatus.SERVICE_UNAVAILABLE)
        .add(HttpHeaderNames.RETRY_AFTER, retryAfter).build());
  }

  @Test
  void retryAfterIsReadInSecondsOrAsAnHttpDate() {
    assertThat(CommandSender.retryAfter(answer("120"))).isEqualTo(TimeUnit.SECONDS.toNanos(120));
    assertThat(CommandSender.retryAfter(answer(" 0 "))).isZero();
    String inAMinute = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        ZonedDateTime.now(ZoneOffset.UTC).plusMinutes(1));
    assertThat(CommandSender.retryAfter(answer(inAMinute)))
        .isBetween(TimeUnit.SECONDS.toNanos(50), TimeUnit.SECONDS.toNanos(61));
    String past = "Wed, 21 Oct 2015 07:28:00 GMT";
    assertThat(CommandSender.retryAfter(answer(past))).isZero();
    assertThat(CommandSender.retryAfter(answer("soon"))).isNull();
    assertThat(CommandSender.retryAfter(answer("-5"))).isNull();
    assertThat(CommandSender.retryAfter(AggregatedHttpResponse.of(HttpStatus.OK))).isNull();
  }
}
