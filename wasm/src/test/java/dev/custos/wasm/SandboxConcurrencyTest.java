package dev.custos.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import dev.custos.wasm.WasmCallException.Kind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Threads calling at once each get their own instance. */
class SandboxConcurrencyTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @Test
  void concurrentCallersEachCountOnTheirOwnInstance() throws Exception {
    int threads = 8;
    int calls = 300;
    try (var sandbox =
        Sandbox.builder(Wat.module("modules/counter.wat", true)).meterRegistry(registry).build()) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        var start = new CountDownLatch(1);
        List<Future<List<Long>>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          results.add(
              pool.submit(
                  () -> {
                    start.await();
                    var seen = new ArrayList<Long>();
                    for (int i = 0; i < calls; i++) {
                      seen.add(sandbox.call("next")[0]);
                    }
                    return seen;
                  }));
        }
        start.countDown();
        for (var result : results) {
          List<Long> seen = result.get(30, TimeUnit.SECONDS);
          assertThat(seen).hasSize(calls);
          for (int i = 0; i < calls; i++) {
            assertThat(seen.get(i)).isEqualTo(i + 1L);
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void threadsBeyondMaxInstancesAreRefusedUntilAHolderDies() throws Exception {
    var limits = SandboxLimits.builder().maxInstances(1).build();
    try (var sandbox =
        Sandbox.builder(Wat.module("modules/counter.wat", true))
            .limits(limits)
            .meterRegistry(registry)
            .build()) {
      Thread holder = new Thread(() -> sandbox.call("next"));
      holder.start();
      holder.join();
      // The holder is dead: its instance is reclaimed when a new thread needs one.
      assertThat(sandbox.call("next")).containsExactly(1L);

      var refused = new ArrayList<Throwable>();
      Thread other =
          new Thread(
              () -> {
                try {
                  sandbox.call("next");
                } catch (WasmCallException e) {
                  refused.add(e);
                }
              });
      other.start();
      other.join();
      assertThat(refused)
          .singleElement()
          .asInstanceOf(type(WasmCallException.class))
          .extracting(WasmCallException::kind)
          .isEqualTo(Kind.INSTANTIATION);
      assertThat(sandbox.call("next")).containsExactly(2L);
    }
  }

  @Test
  void instancesAreMadeLazilyPerThread() {
    try (var sandbox =
        Sandbox.builder(Wat.module("modules/counter.wat", false)).meterRegistry(registry).build()) {
      assertThat(sandbox.call("next")).containsExactly(1L);
      assertThat(sandbox.call("next")).containsExactly(2L);
      assertThatThrownBy(() -> sandbox.call("missing"))
          .asInstanceOf(type(WasmCallException.class))
          .extracting(WasmCallException::kind)
          .isEqualTo(Kind.ABI);
      // The failed call replaced the instance: counting starts again.
      assertThat(sandbox.call("next")).containsExactly(1L);
    }
  }
}
