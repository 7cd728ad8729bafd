package dev.custos.wasm.proxywasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Drives the host functions through a probe module that records their results in memory. */
class ProxyWasmHostFunctionsTest {
  private static final WasmModule PROBE =
      ProxyWasmExampleFilterTest.module(ProxyWasmExampleFilterTest.load("/proxywasm/probe.wat"));

  private final ProxyWasmSharedData sharedData = ProxyWasmSharedData.create();
  private final AtomicReference<Instance> instance = new AtomicReference<>();

  private ProxyWasmVm probe() {
    ProxyWasmPlugin plugin =
        ProxyWasmPlugin.builder(ProxyWasmFilterConfig.of("probe", new byte[0]))
            .sharedData(sharedData)
            .build();
    return plugin.newVm(
        ProxyWasmHost.none(),
        PROBE,
        imports -> {
          Instance i = Instance.builder(PROBE).withImportValues(imports).build();
          instance.set(i);
          return i;
        });
  }

  private Memory memory() {
    return instance.get().memory();
  }

  private int i32(int address) {
    return memory().readInt(address);
  }

  /** Returns the bytes a host function returned through the pointer/size pair at address. */
  private byte[] returned(int address) {
    return memory().readBytes(i32(address), i32(address + 4));
  }

  @Test
  void propertiesComeFromHeadersTheHostAndThePlugin() {
    ProxyWasmVm vm = probe();
    assertThat(vm.abiVersion()).isEqualTo("0.2.0");
    RecordingStreamHost host = new RecordingStreamHost().request("GET", "/items?id=1");
    host.properties.put("source.address", "192.0.2.7:50000");
    host.properties.put("connection.mtls", true);
    try (ProxyWasmStream stream = vm.newStream(host)) {
      stream.onRequestHeaders(true);
    }
    assertThat(i32(108)).isZero();
    assertThat(new String(returned(100), StandardCharsets.UTF_8)).isEqualTo("/items?id=1");
    assertThat(i32(120)).isZero();
    assertThat(new String(returned(112), StandardCharsets.UTF_8)).isEqualTo("192.0.2.7:50000");
    assertThat(i32(132)).isZero();
    assertThat(returned(124)).containsExactly(1);
    assertThat(i32(144)).isZero();
    assertThat(new String(returned(136), StandardCharsets.UTF_8)).isEqualTo("probe");
    assertThat(i32(148)).as("unknown property").isEqualTo(1);
  }

  @Test
  void headerMapPairsRoundTripBetweenMaps() {
    ProxyWasmVm vm = probe();
    RecordingStreamHost host = new RecordingStreamHost().request("POST", "/x");
    try (ProxyWasmStream stream = vm.newStream(host)) {
      stream.onRequestHeaders(false);
    }
    assertThat(i32(160)).isZero();
    assertThat(i32(164)).isZero();
    assertThat(host.headers(HeaderMapType.RESPONSE_HEADERS))
        .isEqualTo(host.headers(HeaderMapType.REQUEST_HEADERS));
    assertThat(i32(168)).as("missing header").isEqualTo(1);
    assertThat(i32(172)).as("bad pointer").isEqualTo(6);
    assertThat(i32(176)).as("shared queues").isZero();
  }

  @Test
  void setBufferBytesPrependsAndAppends() {
    ProxyWasmVm vm = probe();
    try (ProxyWasmStream stream = vm.newStream(new RecordingStreamHost().request("POST", "/"))) {
      stream.onRequestHeaders(false);
      assertThat(stream.onRequestBody("body".getBytes(StandardCharsets.UTF_8), true))
          .isEqualTo(Action.CONTINUE);
      assertThat(new String(stream.takeBody(Direction.REQUEST), StandardCharsets.UTF_8))
          .isEqualTo("<body>");
    }
  }

  @Test
  void fdWriteToStdoutIsAccepted() {
    ProxyWasmVm vm = probe();
    RecordingStreamHost host = new RecordingStreamHost().request("POST", "/");
    host.headers(HeaderMapType.REQUEST_TRAILERS, List.of(Map.entry("t", "1")));
    try (ProxyWasmStream stream = vm.newStream(host)) {
      stream.onRequestTrailers();
    }
    assertThat(i32(180)).isZero();
    assertThat(i32(184)).isEqualTo(21);
  }

  @Test
  void trapInACallbackIsATrapAndTheVmRefusesFurtherCalls() {
    ProxyWasmVm vm = probe();
    ProxyWasmStream stream = vm.newStream(new RecordingStreamHost().request("GET", "/"));
    assertThatThrownBy(() -> stream.onResponseHeaders(true))
        .isInstanceOfSatisfying(
            ProxyWasmException.class,
            e -> assertThat(e.kind()).isEqualTo(ProxyWasmException.Kind.TRAP))
        .hasMessageContaining("probe")
        .hasMessageContaining("proxy_on_response_headers");
    assertThatThrownBy(() -> vm.newStream(new RecordingStreamHost()))
        .isInstanceOfSatisfying(
            ProxyWasmException.class,
            e -> assertThat(e.kind()).isEqualTo(ProxyWasmException.Kind.VM_FAILED));
    stream.close();
  }

  @Test
  void procExitInACallbackIsATrap() {
    ProxyWasmVm vm = probe();
    try (ProxyWasmStream stream = vm.newStream(new RecordingStreamHost().request("GET", "/"))) {
      assertThatThrownBy(() -> stream.onResponseBody(new byte[1], true))
          .isInstanceOfSatisfying(
              ProxyWasmException.class,
              e -> assertThat(e.kind()).isEqualTo(ProxyWasmException.Kind.TRAP))
          .hasMessageContaining("proc_exit(3)");
    }
  }

  private int casSet(int cas, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    memory().write(3000, bytes);
    return (int) instance.get().export("cas_set").apply(cas, 3000, bytes.length)[0];
  }

  @Test
  void sharedDataIsComparedAndSwappedAcrossVms() {
    probe();
    assertThat(instance.get().export("cas_get").apply()[0]).as("absent").isEqualTo(1L);
    assertThat(casSet(0, "one")).isZero();
    assertThat(instance.get().export("cas_get").apply()[0]).isZero();
    int cas = i32(200);
    assertThat(new String(returned(204), StandardCharsets.UTF_8)).isEqualTo("one");

    probe(); // a second VM (another thread's) on the same shared data
    assertThat(casSet(cas, "two")).isZero();
    assertThat(casSet(cas, "three")).as("stale cas").isEqualTo(8);
    assertThat(new String(sharedData.get("", "k").bytes(), StandardCharsets.UTF_8)).isEqualTo("two");
    assertThat(sharedData.get("", "k").cas()).isNotEqualTo(cas);
  }
}
