package dev.custos.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.custos.wasm.WasmCallException.Kind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Host code reaches instance memory and per-instance state; misuse fails the call as ABI. */
class SandboxHostFunctionsTest {
  private static final FunctionType EMIT = FunctionType.of(List.of(ValType.I32, ValType.I32), List.of());
  private static final String CANARY = "4111-1111-4444-1111";

  /** State a host keeps per instance: what the module emitted. */
  static final class Emitted {
    final List<String> values = new ArrayList<>();
  }

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private Sandbox detector() {
    HostGrants grants =
        HostGrants.builder()
            .function(
                "env",
                "emit",
                EMIT,
                (instance, args) -> {
                  byte[] bytes = instance.read(args[0], args[1]);
                  instance.state(Emitted.class).values.add(new String(bytes, StandardCharsets.UTF_8));
                  return null;
                })
            .build();
    return Sandbox.builder(Wat.module("modules/detector.wat", true))
        .grants(grants)
        .instanceState(Emitted::new)
        .meterRegistry(registry)
        .failureMode(FailureMode.FAIL_OPEN)
        .build();
  }

  private static long copyIn(SandboxInstance instance, byte[] bytes) {
    long ptr = instance.call("alloc", bytes.length)[0];
    instance.write(ptr, bytes);
    return ptr;
  }

  @Test
  void detectorReadsBytesCopiedIntoModuleMemory() {
    try (var sandbox = detector()) {
      byte[] input = CANARY.getBytes(StandardCharsets.UTF_8);
      long hits =
          sandbox.withInstance(
              instance -> {
                long ptr = copyIn(instance, input);
                return instance.call("detect", ptr, input.length)[0];
              });
      assertThat(hits).isEqualTo(5);
      assertThat(sandbox.failureMode()).isEqualTo(FailureMode.FAIL_OPEN);
    }
  }

  @Test
  void hostFunctionsSeeTheirInstanceState() {
    try (var sandbox = detector()) {
      byte[] input = "hello".getBytes(StandardCharsets.UTF_8);
      List<String> emitted =
          sandbox.withInstance(
              instance -> {
                long ptr = copyIn(instance, input);
                instance.call("report", ptr, input.length);
                return instance.state(Emitted.class).values;
              });
      assertThat(emitted).containsExactly("hello");
    }
  }

  @Test
  void eachThreadHasItsOwnState() throws Exception {
    try (var sandbox = detector()) {
      Object mine = sandbox.withInstance(SandboxInstance::state);
      Object again = sandbox.withInstance(SandboxInstance::state);
      Object theirs = CompletableFuture.supplyAsync(() -> sandbox.withInstance(SandboxInstance::state)).get();
      assertThat(again).isSameAs(mine);
      assertThat(theirs).isNotNull().isNotSameAs(mine);
    }
  }

  @Test
  void outOfRangePointerIsAnAbiFailureWithoutMemoryContents() {
    try (var sandbox = detector()) {
      byte[] input = CANARY.getBytes(StandardCharsets.UTF_8);
      Object before = sandbox.withInstance(SandboxInstance::state);
      assertThatThrownBy(
              () ->
                  sandbox.withInstance(
                      instance -> {
                        copyIn(instance, input);
                        return instance.call("report", 1024, 1 << 30);
                      }))
          .asInstanceOf(type(WasmCallException.class))
          .satisfies(
              e -> {
                assertThat(e.kind()).isEqualTo(Kind.ABI);
                assertThat(e.module()).isEqualTo("detector");
                assertThat(e.getMessage()).doesNotContain(CANARY).doesNotContain("4444");
              });
      assertThat(registry.get("custos.wasm.errors").tag("kind", "abi").counter().count()).isEqualTo(1);
      Object after = sandbox.withInstance(SandboxInstance::state);
      assertThat(after).isNotSameAs(before);
    }
  }

  @Test
  void rawChicoryHostFunctionsCanBeGranted() {
    var calls = new ArrayList<Long>();
    var emit =
        new HostFunction(
            "env",
            "emit",
            EMIT,
            (instance, args) -> {
              calls.add(args[1]);
              return null;
            });
    try (var sandbox =
        Sandbox.builder(Wat.module("modules/detector.wat", false))
            .grants(HostGrants.of(emit))
            .meterRegistry(registry)
            .build()) {
      sandbox.call("report", 0, 7);
      assertThat(calls).containsExactly(7L);
    }
  }

  @Test
  void grantWithAnotherSignatureFailsToLink() {
    var grants =
        HostGrants.builder()
            .function("env", "emit", FunctionType.of(List.of(ValType.I64), List.of()), (i, a) -> null)
            .build();
    assertThatThrownBy(
            () ->
                Sandbox.builder(Wat.module("modules/detector.wat", true))
                    .grants(grants)
                    .meterRegistry(registry)
                    .build())
        .asInstanceOf(type(WasmLinkException.class))
        .satisfies(
            e -> {
              assertThat(e.unresolved()).isEqualTo(new WasmImport("env", "emit"));
              assertThat(e).hasMessageContaining("expected:");
            });
  }

  @Test
  void instanceCannotBeUsedAfterItsCall() {
    try (var sandbox = detector()) {
      SandboxInstance escaped = sandbox.withInstance(instance -> instance);
      assertThatThrownBy(() -> escaped.call("alloc", 1)).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void reentrantCallOnTheSameThreadIsRefused() {
    try (var sandbox = detector()) {
      assertThatThrownBy(() -> sandbox.withInstance(instance -> sandbox.call("alloc", 1)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("same thread");
    }
  }

  @Test
  void closedSandboxRefusesCalls() {
    var sandbox = detector();
    sandbox.close();
    assertThatThrownBy(() -> sandbox.call("alloc", 1)).isInstanceOf(IllegalStateException.class);
  }
}
