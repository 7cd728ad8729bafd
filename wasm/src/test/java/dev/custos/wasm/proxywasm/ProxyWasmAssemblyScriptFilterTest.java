package dev.custos.wasm.proxywasm;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Runs the AssemblyScript example (an SDK-built filter: @solo-io/proxy-runtime 0.1.8, ABI 0.2.0,
 * {@code wasi_unstable}, {@code malloc}) from {@code examples/proxy-wasm/assemblyscript}.
 */
class ProxyWasmAssemblyScriptFilterTest {
  private static final WasmModule MODULE = load();

  private static WasmModule load() {
    try {
      return Parser.parse(
          Files.readAllBytes(
              Path.of("../examples/proxy-wasm/assemblyscript/build/example-filter.wasm")));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ProxyWasmVm vm() {
    ProxyWasmPlugin plugin =
        ProxyWasmPlugin.builder(
                ProxyWasmFilterConfig.builder("as-example")
                    .rootId("custos_example")
                    .pluginConfiguration("x-checked".getBytes(StandardCharsets.UTF_8))
                    .build())
            .build();
    return plugin.newVm(
        ProxyWasmHost.none(),
        MODULE,
        imports -> Instance.builder(MODULE).withImportValues(imports).build());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void sdkBuiltFilterAddsTheConfiguredHeaderAndRewritesTheBufferedBody() {
    ProxyWasmVm vm = vm();
    assertThat(vm.abiVersion()).isEqualTo("0.2.0");
    RecordingStreamHost host = new RecordingStreamHost().request("GET", "/doc");
    host.headers(
        HeaderMapType.RESPONSE_HEADERS,
        List.of(Map.entry(":status", "200"), Map.entry("content-length", "22")));
    try (ProxyWasmStream stream = vm.newStream(host)) {
      assertThat(stream.onRequestHeaders(true)).isEqualTo(Action.CONTINUE);
      assertThat(stream.onResponseHeaders(false)).isEqualTo(Action.CONTINUE);
      assertThat(stream.onResponseBody(bytes("the sec"), false)).isEqualTo(Action.PAUSE);
      assertThat(stream.onResponseBody(bytes("ret is a s"), false)).isEqualTo(Action.PAUSE);
      assertThat(stream.onResponseBody(bytes("ecret"), true)).isEqualTo(Action.CONTINUE);
      assertThat(new String(stream.takeBody(Direction.RESPONSE), StandardCharsets.UTF_8))
          .isEqualTo("the ****** is a ******");
    }
    assertThat(host.headers(HeaderMapType.RESPONSE_HEADERS))
        .containsExactly(Map.entry(":status", "200"), Map.entry("x-checked", "yes"));
  }

  @Test
  void sdkBuiltFilterAnswersForbiddenPathsLocally() {
    ProxyWasmVm vm = vm();
    RecordingStreamHost host = new RecordingStreamHost().request("GET", "/forbidden");
    try (ProxyWasmStream stream = vm.newStream(host)) {
      assertThat(stream.onRequestHeaders(true)).isEqualTo(Action.PAUSE);
    }
    assertThat(host.localResponses).hasSize(1);
    assertThat(host.localResponses.get(0).status()).isEqualTo(403);
    assertThat(new String(host.localResponses.get(0).body(), StandardCharsets.UTF_8))
        .isEqualTo("access denied");
  }

  @Test
  void manyStreamsRunOnOneVm() {
    ProxyWasmVm vm = vm();
    for (int i = 0; i < 200; i++) {
      RecordingStreamHost host = new RecordingStreamHost().request("GET", "/doc/" + i);
      host.headers(HeaderMapType.RESPONSE_HEADERS, List.of(Map.entry(":status", "200")));
      try (ProxyWasmStream stream = vm.newStream(host)) {
        stream.onRequestHeaders(true);
        stream.onResponseHeaders(false);
        stream.onResponseBody(bytes("a secret"), true);
        assertThat(stream.takeBody(Direction.RESPONSE)).isEqualTo(bytes("a ******"));
      }
    }
  }
}
