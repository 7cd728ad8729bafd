package dev.custos.wasm.proxywasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.wabt.Wat2Wasm;
import dev.custos.wasm.SandboxLimits;
import dev.custos.wasm.WasmCallException;
import dev.custos.wasm.WasmLinkException;
import dev.custos.wasm.WasmModule;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs proxy-wasm VMs inside the sandbox: grants, per-instance VMs, deadlines, replacement. */
class ProxyWasmSandboxTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private ProxyWasmSandbox sandbox(String wat, String config) {
    ProxyWasmPlugin plugin =
        ProxyWasmPlugin.builder(
                ProxyWasmFilterConfig.of("example", config.getBytes(StandardCharsets.UTF_8)))
            .meterRegistry(registry)
            .build();
    WasmModule module = WasmModule.of("example", Wat2Wasm.parse(wat));
    return ProxyWasmSandbox.builder(plugin, module)
        .limits(SandboxLimits.builder().callTimeout(Duration.ofMillis(200)).build())
        .meterRegistry(registry)
        .build();
  }

  @Test
  void exampleFilterRunsOnTheSandboxInstance() {
    try (ProxyWasmSandbox sandbox =
        sandbox(ProxyWasmExampleFilterTest.EXAMPLE, "{\"header\":\"x-checked\"}")) {
      RecordingStreamHost host = new RecordingStreamHost().request("GET", "/hello");
      host.headers(HeaderMapType.RESPONSE_HEADERS, List.of(Map.entry(":status", "200")));
      Action action =
          sandbox.withVm(
              ProxyWasmHost.none(),
              vm -> {
                try (ProxyWasmStream stream = vm.newStream(host)) {
                  stream.onRequestHeaders(true);
                  return stream.onResponseHeaders(false);
                }
              });
      assertThat(action).isEqualTo(Action.CONTINUE);
      assertThat(host.headers(HeaderMapType.RESPONSE_HEADERS))
          .contains(Map.entry("x-checked", "yes"));
      ProxyWasmVm first = sandbox.withVm(ProxyWasmHost.none(), vm -> vm);
      assertThat((Object) sandbox.<ProxyWasmVm>withVm(ProxyWasmHost.none(), vm -> vm)).isSameAs(first);
    }
  }

  @Test
  void trappingVmIsCountedAndReplaced() {
    String wat =
        """
        (module
          (memory (export "memory") 1)
          (func (export "proxy_abi_version_0_2_1"))
          (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
          (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
          (func (export "proxy_on_context_create") (param i32 i32))
          (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
            (loop $l (br $l)) (i32.const 0)))
        """;
    try (ProxyWasmSandbox sandbox = sandbox(wat, "")) {
      ProxyWasmVm first = sandbox.withVm(ProxyWasmHost.none(), vm -> vm);
      assertThatThrownBy(
              () ->
                  sandbox.withVm(
                      ProxyWasmHost.none(),
                      vm -> vm.newStream(new RecordingStreamHost()).onRequestHeaders(true)))
          .isInstanceOfSatisfying(
              WasmCallException.class,
              e -> assertThat(e.kind()).isEqualTo(WasmCallException.Kind.TIMEOUT));
      assertThat((Object) sandbox.<ProxyWasmVm>withVm(ProxyWasmHost.none(), vm -> vm)).isNotSameAs(first);
      assertThat(
              registry.get("custos.wasm.errors").tag("kind", "timeout").counter().count())
          .isEqualTo(1);
    }
  }

  @Test
  void importOutsideTheProxyWasmHostIsRefusedAtBuild() {
    String wat =
        """
        (module
          (import "custos" "exec" (func (param i32) (result i32)))
          (func (export "proxy_abi_version_0_2_1")))
        """;
    assertThatThrownBy(() -> sandbox(wat, ""))
        .isInstanceOf(WasmLinkException.class)
        .hasMessageContaining("custos.exec");
  }

  @Test
  void unsupportedAbiFailsTheCheckStart() {
    assertThatThrownBy(() -> sandbox("(module (func (export \"proxy_abi_version_0_1_0\")))", ""))
        .isInstanceOfSatisfying(
            WasmCallException.class,
            e -> assertThat(e.kind()).isEqualTo(WasmCallException.Kind.INSTANTIATION));
  }
}
