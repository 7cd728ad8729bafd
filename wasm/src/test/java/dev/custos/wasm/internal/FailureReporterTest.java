package dev.custos.wasm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.wasm.WasmCallException;
import dev.custos.wasm.WasmCallException.Kind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Failures are always counted but logged at most once per interval per kind. */
class FailureReporterTest {
  private final AtomicLong nanos = new AtomicLong(1_000);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final FailureReporter reporter =
      new FailureReporter("plugin", registry, Duration.ofSeconds(10), nanos::get);

  private static WasmCallException failure(Kind kind) {
    return new WasmCallException(kind, "plugin", "failed");
  }

  @Test
  void repeatedFailuresAreLoggedOncePerIntervalAndAllCounted() {
    assertThat(reporter.failed(failure(Kind.TRAP))).isTrue();
    assertThat(reporter.failed(failure(Kind.TRAP))).isFalse();
    assertThat(reporter.failed(failure(Kind.TRAP))).isFalse();
    assertThat(reporter.suppressed(Kind.TRAP)).isEqualTo(2);

    // Another kind has its own budget.
    assertThat(reporter.failed(failure(Kind.TIMEOUT))).isTrue();

    nanos.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(reporter.failed(failure(Kind.TRAP))).isTrue();
    assertThat(reporter.suppressed(Kind.TRAP)).isZero();

    assertThat(
            registry.get("custos.wasm.errors").tag("module", "plugin").tag("kind", "trap").counter().count())
        .isEqualTo(4);
    assertThat(
            registry.get("custos.wasm.errors").tag("module", "plugin").tag("kind", "timeout").counter().count())
        .isEqualTo(1);
  }
}
