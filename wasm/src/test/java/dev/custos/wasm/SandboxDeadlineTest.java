package dev.custos.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import dev.custos.wasm.WasmCallException.Kind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Deadline interrupts land only inside their call and never leak to the caller. */
class SandboxDeadlineTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void interruptNeverOutlivesItsCall(boolean compiled) {
    var limits = SandboxLimits.builder().callTimeout(Duration.ofMillis(1)).build();
    var random = new SplittableRandom(42);
    int timeouts = 0;
    try (var sandbox =
        Sandbox.builder(Wat.module("modules/busy.wat", compiled))
            .limits(limits)
            .meterRegistry(registry)
            .build()) {
      for (int i = 0; i < 300; i++) {
        long n = random.nextLong(1, compiled ? 4_000_000 : 200_000);
        try {
          assertThat(sandbox.call("busy", n)).containsExactly(0L);
        } catch (WasmCallException e) {
          assertThat(e.kind()).isEqualTo(Kind.TIMEOUT);
          timeouts++;
        }
        assertThat(Thread.currentThread().isInterrupted()).as("interrupted after call %d", i).isFalse();
      }
    }
    assertThat(registry.get("custos.wasm.errors").tag("kind", "timeout").counter().count())
        .isEqualTo(timeouts);
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void interruptFromElsewhereEndsTheCallAndIsKept(boolean compiled) {
    try (var sandbox =
        Sandbox.builder(Wat.module("hostile/infinite-loop.wat", compiled))
            .meterRegistry(registry)
            .build()) {
      Thread.currentThread().interrupt();
      try {
        assertThatThrownBy(() -> sandbox.call("spin"))
            .asInstanceOf(type(WasmCallException.class))
            .satisfies(
                e -> {
                  assertThat(e.kind()).isEqualTo(Kind.TIMEOUT);
                  assertThat(e).hasMessageContaining("interrupted");
                });
        assertThat(Thread.currentThread().isInterrupted()).isTrue();
      } finally {
        Thread.interrupted();
      }
    }
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void nestedCallTimesOutAloneAndTheOuterCallGoesOn(boolean compiled) {
    try (var outer = sandbox("modules/busy.wat", compiled, Duration.ofSeconds(10));
        var inner = sandbox("hostile/infinite-loop.wat", compiled, Duration.ofMillis(20))) {
      long[] result =
          outer.withInstance(
              instance -> {
                assertThatThrownBy(() -> inner.call("spin"))
                    .asInstanceOf(type(WasmCallException.class))
                    .extracting(WasmCallException::kind)
                    .isEqualTo(Kind.TIMEOUT);
                assertThat(Thread.currentThread().isInterrupted()).isFalse();
                return instance.call("busy", 1000);
              });
      assertThat(result).containsExactly(0L);
      assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void outerDeadlineEndsANestedCallWithALaterOne(boolean compiled) {
    try (var outer = sandbox("modules/busy.wat", compiled, Duration.ofMillis(20));
        var inner = sandbox("hostile/infinite-loop.wat", compiled, Duration.ofSeconds(10))) {
      long started = System.nanoTime();
      assertThatThrownBy(() -> outer.withInstance(instance -> inner.call("spin")))
          .asInstanceOf(type(WasmCallException.class))
          .extracting(WasmCallException::kind)
          .isEqualTo(Kind.TIMEOUT);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
      assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }
  }

  private Sandbox sandbox(String resource, boolean compiled, Duration timeout) {
    return Sandbox.builder(Wat.module(resource, compiled))
        .limits(SandboxLimits.builder().callTimeout(timeout).build())
        .meterRegistry(registry)
        .build();
  }
}
