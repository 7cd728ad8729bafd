package dev.custos.wasm.proxywasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wabt.Wat2Wasm;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs the example filter (WebAssembly text, ABI 0.2.1) against a recording host. */
class ProxyWasmExampleFilterTest {
  static final String EXAMPLE = load("/proxywasm/example-filter.wat");

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  static String load(String resource) {
    try (InputStream in = ProxyWasmExampleFilterTest.class.getResourceAsStream(resource)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static WasmModule module(String wat) {
    return Parser.parse(Wat2Wasm.parse(wat));
  }

  private ProxyWasmVm vm(String wat, String config) {
    ProxyWasmPlugin plugin =
        ProxyWasmPlugin.builder(
                ProxyWasmFilterConfig.of("example", config.getBytes(StandardCharsets.UTF_8)))
            .meterRegistry(registry)
            .build();
    WasmModule module = module(wat);
    return plugin.newVm(
        ProxyWasmHost.none(), module, imports -> Instance.builder(module).withImportValues(imports).build());
  }

  private ProxyWasmVm example() {
    return vm(EXAMPLE, "{\"header\":\"x-checked\"}");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void responseGetsTheHeaderNamedInThePluginConfiguration() {
    ProxyWasmVm vm = example();
    RecordingStreamHost host = new RecordingStreamHost().request("GET", "/hello");
    host.headers(
        HeaderMapType.RESPONSE_HEADERS,
        List.of(Map.entry(":status", "200"), Map.entry("content-length", "5")));
    try (ProxyWasmStream stream = vm.newStream(host)) {
      assertThat(stream.onRequestHeaders(true)).isEqualTo(Action.CONTINUE);
      assertThat(stream.onResponseHeaders(false)).isEqualTo(Action.CONTINUE);
    }
    assertThat(host.headers(HeaderMapType.RESPONSE_HEADERS))
        .containsExactly(Map.entry(":status", "200"), Map.entry("x-checked", "yes"));
    assertThat(host.localResponses).isEmpty();
    assertThat(vm.abiVersion()).isEqualTo("0.2.1");
  }

  @Test
  void forbiddenPathIsAnsweredLocallyWith403() {
    ProxyWasmVm vm = example();
    RecordingStreamHost host = new RecordingStreamHost().request("GET", "/a/forbidden/b");
    try (ProxyWasmStream stream = vm.newStream(host)) {
      assertThat(stream.onRequestHeaders(true)).isEqualTo(Action.PAUSE);
      assertThat(stream.localResponseSent()).isTrue();
    }
    assertThat(host.localResponses).hasSize(1);
    RecordingStreamHost.LocalResponse response = host.localResponses.get(0);
    assertThat(response.status()).isEqualTo(403);
    assertThat(response.details()).isEqualTo("forbidden");
    assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo("access denied");
    assertThat(response.grpc()).isEqualTo(-1);
  }

  @Test
  void responseBodySplitAcrossChunksIsBufferedAndRewrittenAtEndOfStream() {
    ProxyWasmVm vm = example();
    RecordingStreamHost host = new RecordingStreamHost().request("GET", "/doc");
    host.headers(HeaderMapType.RESPONSE_HEADERS, List.of(Map.entry(":status", "200")));
    try (ProxyWasmStream stream = vm.newStream(host)) {
      stream.onRequestHeaders(true);
      stream.onResponseHeaders(false);
      assertThat(stream.onResponseBody(bytes("the sec"), false)).isEqualTo(Action.PAUSE);
      assertThat(stream.bufferedBytes(Direction.RESPONSE)).isEqualTo(7);
      assertThat(stream.onResponseBody(bytes("ret is a s"), false)).isEqualTo(Action.PAUSE);
      assertThat(stream.bufferedBytes(Direction.RESPONSE)).isEqualTo(17);
      assertThat(stream.onResponseBody(bytes("ecret"), true)).isEqualTo(Action.CONTINUE);
      assertThat(new String(stream.takeBody(Direction.RESPONSE), StandardCharsets.UTF_8))
          .isEqualTo("the ****** is a ******");
      assertThat(stream.bufferedBytes(Direction.RESPONSE)).isZero();
    }
  }

  @Test
  void requestBodyWithoutABodyCallbackContinuesChunkByChunk() {
    ProxyWasmVm vm = example();
    RecordingStreamHost host = new RecordingStreamHost().request("POST", "/upload");
    try (ProxyWasmStream stream = vm.newStream(host)) {
      assertThat(stream.onRequestHeaders(false)).isEqualTo(Action.CONTINUE);
      assertThat(stream.onRequestBody(bytes("one"), false)).isEqualTo(Action.CONTINUE);
      assertThat(stream.takeBody(Direction.REQUEST)).isEqualTo(bytes("one"));
      assertThat(stream.onRequestBody(bytes("two"), true)).isEqualTo(Action.CONTINUE);
      assertThat(stream.takeBody(Direction.REQUEST)).isEqualTo(bytes("two"));
    }
  }

  @Test
  void requestTrailersAreSeenAndChanged() {
    ProxyWasmVm vm = example();
    RecordingStreamHost host = new RecordingStreamHost().request("POST", "/grpc");
    host.headers(HeaderMapType.REQUEST_TRAILERS, List.of(Map.entry("grpc-status", "0")));
    try (ProxyWasmStream stream = vm.newStream(host)) {
      stream.onRequestHeaders(false);
      assertThat(stream.onRequestTrailers()).isEqualTo(Action.CONTINUE);
      assertThat(stream.onResponseTrailers()).isEqualTo(Action.CONTINUE);
    }
    assertThat(host.headers(HeaderMapType.REQUEST_TRAILERS))
        .containsExactly(Map.entry("grpc-status", "0"), Map.entry("x-trailers-seen", "yes"));
  }

  @Test
  void httpCallRoundTripContinuesThePausedRequest() {
    ProxyWasmVm vm = example();
    RecordingStreamHost host = new RecordingStreamHost().request("GET", "/call/me");
    try (ProxyWasmStream stream = vm.newStream(host)) {
      assertThat(stream.onRequestHeaders(true)).isEqualTo(Action.PAUSE);
      assertThat(host.httpCalls).hasSize(1);
      RecordingStreamHost.HttpCall call = host.httpCalls.get(0);
      assertThat(call.cluster()).isEqualTo("auth");
      assertThat(call.headers())
          .containsExactly(
              Map.entry(":method", "GET"), Map.entry(":path", "/check"), Map.entry(":authority", "auth"));
      assertThat(call.timeout()).isEqualTo(Duration.ofSeconds(5));
      assertThat(host.continued).isEmpty();

      vm.onHttpCallResponse(call.token(), List.of(Map.entry(":status", "200")), bytes("alice"), List.of());

      assertThat(host.continued).containsExactly(Direction.REQUEST);
      assertThat(host.header(HeaderMapType.REQUEST_HEADERS, "x-auth")).isEqualTo("alice");
      assertThatThrownBy(() -> vm.onHttpCallResponse(call.token(), List.of(), new byte[0], List.of()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("token");
    }
  }

  @Test
  void failedHttpCallIsDeliveredWithoutHeaders() {
    ProxyWasmVm vm = example();
    RecordingStreamHost host = new RecordingStreamHost().request("GET", "/call");
    try (ProxyWasmStream stream = vm.newStream(host)) {
      stream.onRequestHeaders(true);
      vm.onHttpCallResponse(host.httpCalls.get(0).token(), List.of(), new byte[0], List.of());
      assertThat(host.localResponses).extracting(RecordingStreamHost.LocalResponse::status).containsExactly(503);
    }
  }

  @Test
  void httpCallToAnUnknownClusterIsRefusedAndTheRequestContinues() {
    ProxyWasmVm vm = example();
    RecordingStreamHost host = new RecordingStreamHost().request("GET", "/call");
    host.clusters.clear();
    try (ProxyWasmStream stream = vm.newStream(host)) {
      assertThat(stream.onRequestHeaders(true)).isEqualTo(Action.CONTINUE);
    }
  }

  @Test
  void metricsAreVisibleInTheRegistryTaggedWithThePlugin() {
    ProxyWasmVm vm = example();
    for (int i = 0; i < 3; i++) {
      try (ProxyWasmStream stream = vm.newStream(new RecordingStreamHost().request("GET", "/"))) {
        stream.onRequestHeaders(true);
      }
    }
    assertThat(registry.get("example.requests").tag("plugin", "example").counter().count())
        .isEqualTo(3.0);
  }

  @Test
  void ticksFollowThePeriodTheFilterAskedFor() {
    ProxyWasmVm vm = example();
    assertThat(vm.tickPeriod()).contains(Duration.ofSeconds(1));
    vm.onTick();
    vm.onTick();
    assertThat(registry.get("example.ticks").tag("plugin", "example").counter().count())
        .isEqualTo(2.0);
  }

  @Test
  void metricsAreSharedByTheVmsOfOnePlugin() {
    ProxyWasmPlugin plugin =
        ProxyWasmPlugin.builder(ProxyWasmFilterConfig.of("example", bytes("{\"header\":\"x\"}")))
            .meterRegistry(registry)
            .build();
    WasmModule module = module(EXAMPLE);
    for (int i = 0; i < 2; i++) {
      ProxyWasmVm vm =
          plugin.newVm(
              ProxyWasmHost.none(),
              module,
              imports -> Instance.builder(module).withImportValues(imports).build());
      vm.onTick();
    }
    assertThat(registry.get("example.ticks").counter().count()).isEqualTo(2.0);
  }

  @Test
  void badPluginConfigurationFailsStart() {
    assertThatThrownBy(() -> vm(EXAMPLE, "x-checked"))
        .isInstanceOfSatisfying(
            ProxyWasmException.class,
            e -> assertThat(e.kind()).isEqualTo(ProxyWasmException.Kind.START_FAILED))
        .hasMessageContaining("proxy_on_configure");
  }

  @Test
  void abiVersion020IsAccepted() {
    ProxyWasmVm vm =
        vm(EXAMPLE.replace("proxy_abi_version_0_2_1", "proxy_abi_version_0_2_0"), "{\"header\":\"x\"}");
    assertThat(vm.abiVersion()).isEqualTo("0.2.0");
  }

  @Test
  void abiVersion010IsRefusedClearly() {
    assertThatThrownBy(
            () ->
                vm(
                    EXAMPLE.replace("proxy_abi_version_0_2_1", "proxy_abi_version_0_1_0"),
                    "{\"header\":\"x\"}"))
        .isInstanceOfSatisfying(
            ProxyWasmException.class,
            e -> assertThat(e.kind()).isEqualTo(ProxyWasmException.Kind.UNSUPPORTED_ABI))
        .hasMessageContaining("proxy_abi_version_0_1_0")
        .hasMessageContaining("expected: proxy_abi_version_0_2_0 or proxy_abi_version_0_2_1");
  }

  @Test
  void moduleWithoutAbiVersionIsRefused() {
    assertThatThrownBy(() -> vm("(module (memory (export \"memory\") 1))", ""))
        .isInstanceOfSatisfying(
            ProxyWasmException.class,
            e -> assertThat(e.kind()).isEqualTo(ProxyWasmException.Kind.UNSUPPORTED_ABI))
        .hasMessageContaining("none exported");
  }
}
