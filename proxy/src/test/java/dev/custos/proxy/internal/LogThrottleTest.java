package dev.custos.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LogThrottleTest {
  @Test
  void oneLinePassesPerIntervalAndTheNextOneCarriesTheCountHeldBack() {
    LogThrottle throttle = new LogThrottle(Duration.ofHours(1));
    assertThat(throttle.tryAcquire()).isZero();
    assertThat(throttle.tryAcquire()).isEqualTo(-1);
    assertThat(throttle.tryAcquire()).isEqualTo(-1);

    LogThrottle open = new LogThrottle(Duration.ZERO);
    assertThat(open.tryAcquire()).isZero();
    assertThat(open.tryAcquire()).isZero();
  }

  @Test
  void linesHeldBackAreCountedForTheNextOneLetThrough() throws Exception {
    LogThrottle throttle = new LogThrottle(Duration.ofMillis(50));
    assertThat(throttle.tryAcquire()).isZero();
    for (int i = 0; i < 5; i++) {
      assertThat(throttle.tryAcquire()).isEqualTo(-1);
    }
    long held;
    do {
      Thread.onSpinWait();
      held = throttle.tryAcquire();
    } while (held < 0);
    assertThat(held).isGreaterThanOrEqualTo(5);
  }
}
