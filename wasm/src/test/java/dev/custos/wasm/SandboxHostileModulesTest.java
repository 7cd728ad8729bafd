package dev.custos.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import dev.custos.wasm.WasmCallException.Kind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Hostile modules fail their own call only, on both the compiler and the interpreter. */
class SandboxHostileModulesTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private Sandbox sandbox(String resource, boolean compiled, SandboxLimits limits) {
    WasmModule module = Wat.module(resource, compiled);
    assertThat(module.compiled()).isEqualTo(compiled);
    return Sandbox.builder(module).limits(limits).meterRegistry(registry).build();
  }

  private Sandbox sandbox(String resource, boolean compiled) {
    return sandbox(resource, compiled, SandboxLimits.ofDefault());
  }

  private double errors(String module, String kind) {
    var counter =
        registry.find("custos.wasm.errors").tag("module", module).tag("kind", kind).counter();
    return counter == null ? 0 : counter.count();
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void infiniteLoopTimesOutAtTheDeadlineAndLeavesTheThreadUninterrupted(boolean compiled) {
    var limits = SandboxLimits.builder().callTimeout(Duration.ofMillis(50)).build();
    try (var sandbox = sandbox("hostile/infinite-loop.wat", compiled, limits)) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> sandbox.call("spin"))
          .asInstanceOf(type(WasmCallException.class))
          .satisfies(
              e -> {
                assertThat(e.kind()).isEqualTo(Kind.TIMEOUT);
                assertThat(e.module()).isEqualTo("infinite-loop");
              });
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(50)).isLessThan(Duration.ofSeconds(5));
      assertThat(Thread.currentThread().isInterrupted()).isFalse();

      assertThatThrownBy(() -> sandbox.call("spin"))
          .asInstanceOf(type(WasmCallException.class))
          .extracting(WasmCallException::kind)
          .isEqualTo(Kind.TIMEOUT);
      assertThat(Thread.currentThread().isInterrupted()).isFalse();
      assertThat(errors("infinite-loop", "timeout")).isEqualTo(2);
      assertThat(registry.get("custos.wasm.instances.replaced").counter().count()).isEqualTo(2);
    }
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void callAfterATimeoutRunsOnAFreshInstance(boolean compiled) {
    var limits = SandboxLimits.builder().callTimeout(Duration.ofMillis(50)).build();
    try (var sandbox = sandbox("modules/busy.wat", compiled, limits)) {
      assertThatThrownBy(() -> sandbox.call("busy", Long.MAX_VALUE))
          .asInstanceOf(type(WasmCallException.class))
          .extracting(WasmCallException::kind)
          .isEqualTo(Kind.TIMEOUT);
      assertThat(sandbox.call("busy", 1000)).containsExactly(0L);
      assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void unboundedMemoryGrowthSeesFailureAtTheLimit(boolean compiled) {
    var limits = SandboxLimits.builder().maxMemoryPages(64).build();
    try (var sandbox = sandbox("hostile/grow-forever.wat", compiled, limits)) {
      int pages =
          sandbox.withInstance(
              instance -> {
                long[] result = instance.call("grow");
                assertThat(instance.memory().pages()).isEqualTo(64);
                return (int) result[0];
              });
      assertThat(pages).isEqualTo(64);
      assertThat(sandbox.call("grow")).containsExactly(64L);
    }
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void outOfBoundsLoadTraps(boolean compiled) {
    try (var sandbox = sandbox("hostile/out-of-bounds.wat", compiled)) {
      assertThatThrownBy(() -> sandbox.call("peek"))
          .asInstanceOf(type(WasmCallException.class))
          .satisfies(
              e -> {
                assertThat(e.kind()).isEqualTo(Kind.TRAP);
                assertThat(e).hasMessageContaining("out of bounds memory access");
              });
      assertThat(errors("out-of-bounds", "trap")).isEqualTo(1);
    }
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void hugeDeclaredMemoryFailsInstantiationWithMemoryLimit(boolean compiled) {
    try (var sandbox = sandbox("hostile/huge-memory.wat", compiled)) {
      assertThatThrownBy(() -> sandbox.call("size"))
          .asInstanceOf(type(WasmCallException.class))
          .satisfies(
              e -> {
                assertThat(e.kind()).isEqualTo(Kind.MEMORY_LIMIT);
                assertThat(e).hasMessageContaining("4096").hasMessageContaining("256");
              });
      assertThat(errors("huge-memory", "memory_limit")).isEqualTo(1);
    }
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void unreachableTraps(boolean compiled) {
    try (var sandbox = sandbox("hostile/unreachable.wat", compiled)) {
      assertThatThrownBy(() -> sandbox.call("boom"))
          .asInstanceOf(type(WasmCallException.class))
          .extracting(WasmCallException::kind)
          .isEqualTo(Kind.TRAP);
      assertThatThrownBy(() -> sandbox.call("boom")).isInstanceOf(WasmCallException.class);
      assertThat(errors("unreachable", "trap")).isEqualTo(2);
      assertThat(errors("unreachable", "timeout")).isZero();
    }
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void endlessRecursionTraps(boolean compiled) {
    try (var sandbox = sandbox("hostile/recursion.wat", compiled)) {
      assertThatThrownBy(() -> sandbox.call("down", 0))
          .asInstanceOf(type(WasmCallException.class))
          .extracting(WasmCallException::kind)
          .isEqualTo(Kind.TRAP);
    }
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void ungrantedWasiImportFailsToLinkNamingTheImport(boolean compiled) {
    WasmModule module = Wat.module("hostile/wasi-fd-write.wat", compiled);
    assertThat(module.imports())
        .containsExactly(new WasmImport("wasi_snapshot_preview1", "fd_write"));
    assertThatThrownBy(() -> Sandbox.builder(module).meterRegistry(registry).build())
        .asInstanceOf(type(WasmLinkException.class))
        .satisfies(
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.LINK);
              assertThat(e.unresolved())
                  .isEqualTo(new WasmImport("wasi_snapshot_preview1", "fd_write"));
              assertThat(e)
                  .hasMessageContaining("wasi-fd-write")
                  .hasMessageContaining("wasi_snapshot_preview1.fd_write");
            });
    assertThat(errors("wasi-fd-write", "link")).isEqualTo(1);
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void importedMemoryIsNeverGranted(boolean compiled) {
    WasmModule module = Wat.module("hostile/imported-memory.wat", compiled);
    assertThatThrownBy(() -> Sandbox.builder(module).meterRegistry(registry).build())
        .isInstanceOf(WasmLinkException.class)
        .hasMessageContaining("env.memory");
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void hugeDeclaredTableFailsInstantiationWithMemoryLimit(boolean compiled) {
    try (var sandbox = sandbox("hostile/huge-table.wat", compiled)) {
      assertThatThrownBy(() -> sandbox.call("size"))
          .asInstanceOf(type(WasmCallException.class))
          .extracting(WasmCallException::kind)
          .isEqualTo(Kind.MEMORY_LIMIT);
    }
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void unboundedTableGrowthSeesFailureAtTheCap(boolean compiled) {
    try (var sandbox = sandbox("hostile/grow-table.wat", compiled)) {
      sandbox.withInstance(
          instance -> {
            assertThat((int) instance.call("grow")[0]).isEqualTo(1);
            assertThat((int) instance.call("grow")[0]).isEqualTo(-1);
            return null;
          });
    }
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void trappingStartFunctionFailsInstantiation(boolean compiled) {
    try (var sandbox = sandbox("hostile/start-traps.wat", compiled)) {
      assertThatThrownBy(() -> sandbox.call("f"))
          .asInstanceOf(type(WasmCallException.class))
          .extracting(WasmCallException::kind)
          .isEqualTo(Kind.INSTANTIATION);
    }
  }

  @ParameterizedTest(name = "compiled={0}")
  @ValueSource(booleans = {true, false})
  void endlessStartFunctionTimesOutDuringInstantiation(boolean compiled) {
    var limits = SandboxLimits.builder().callTimeout(Duration.ofMillis(50)).build();
    try (var sandbox = sandbox("hostile/start-spins.wat", compiled, limits)) {
      assertThatThrownBy(() -> sandbox.call("f"))
          .asInstanceOf(type(WasmCallException.class))
          .extracting(WasmCallException::kind)
          .isEqualTo(Kind.TIMEOUT);
      assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }
  }
}
