package dev.custos.wasm.proxywasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.WasmModule;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Runs the parity filter and service (WebAssembly text that does what the Go, Rust and C++ SDKs
 * do) against recording hosts: the behaviours where Custos must match Envoy.
 */
class ProxyWasmParityTest {
  private static final WasmModule FILTER =
      ProxyWasmExampleFilterTest.module(
          ProxyWasmExampleFilterTest.load("/proxywasm/parity-filter.wat"));
  private static final WasmModule SERVICE =
      ProxyWasmExampleFilterTest.module(
          ProxyWasmExampleFilterTest.load("/proxywasm/parity-service.wat"));

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ProxyWasmSharedData shared = ProxyWasmSharedData.create();

  /** A started VM and its Chicory instance, whose memory holds what the module recorded. */
  private record Started(ProxyWasmVm vm, Instance instance) {
    int i32(int address) {
      return instance.memory().readInt(address);
    }

    long i64(int address) {
      return java.nio.ByteBuffer.wrap(instance.memory().readBytes(address, 8))
          .order(java.nio.ByteOrder.LITTLE_ENDIAN)
          .getLong();
    }
  }

  private Started start(WasmModule module, String name, ProxyWasmHost rootHost) {
    ProxyWasmPlugin plugin =
        ProxyWasmPlugin.builder(ProxyWasmFilterConfig.builder(name).vmId("shared").build())
            .meterRegistry(registry)
            .sharedData(shared)
            .build();
    AtomicReference<Instance> instance = new AtomicReference<>();
    ProxyWasmVm vm =
        plugin.newVm(
            rootHost,
            module,
            imports -> {
              Instance i = Instance.builder(module).withImportValues(imports).build();
              instance.set(i);
              return i;
            });
    return new Started(vm, instance.get());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void httpCallResponseGoesToTheRootContextAndTheSdkSwitchesToTheStream() {
    Started filter = start(FILTER, "parity", ProxyWasmHost.none());
    RecordingStreamHost host = new RecordingStreamHost().request("GET", "/api/call");
    try (ProxyWasmStream stream = filter.vm().newStream(host)) {
      assertThat(stream.contextId()).isNotEqualTo(1);
      assertThat(stream.onRequestHeaders(true)).isEqualTo(Action.PAUSE);
      RecordingStreamHost.HttpCall call = host.httpCalls.get(0);

      filter.vm().onHttpCallResponse(
          call.token(), List.of(Map.entry(":status", "200")), bytes("token-42"), List.of());

      assertThat(filter.i32(200)).as("context id given to on_http_call_response").isEqualTo(1);
      assertThat(host.header(HeaderMapType.REQUEST_HEADERS, "x-auth")).isEqualTo("token-42");
      assertThat(host.continued).containsExactly(Direction.REQUEST);
    }
  }

  @Test
  void httpCallResponseAfterTheStreamEndedStillReachesTheRootContext() {
    Started filter = start(FILTER, "parity", ProxyWasmHost.none());
    RecordingStreamHost host = new RecordingStreamHost().request("GET", "/api/call");
    ProxyWasmStream stream = filter.vm().newStream(host);
    stream.onRequestHeaders(true);
    stream.close();

    filter.vm().onHttpCallResponse(host.httpCalls.get(0).token(), List.of(), new byte[0], List.of());

    assertThat(filter.i32(200)).isEqualTo(1);
    assertThat(host.continued).isEmpty();
    assertThat(host.localResponses).isEmpty();
  }

  @Test
  void tickPeriodSetByAStreamAfterStartContinuesOrAnswersThatStream() {
    Started filter = start(FILTER, "parity", ProxyWasmHost.none());
    assertThat(filter.vm().tickPeriod()).isEmpty();
    RecordingStreamHost paused = new RecordingStreamHost().request("GET", "/api/tick");
    RecordingStreamHost denied = new RecordingStreamHost().request("GET", "/api/deny");
    try (ProxyWasmStream a = filter.vm().newStream(paused);
        ProxyWasmStream b = filter.vm().newStream(denied)) {
      assertThat(a.onRequestHeaders(true)).isEqualTo(Action.PAUSE);
      assertThat(filter.vm().tickPeriod()).contains(Duration.ofMillis(10));
      filter.vm().onTick();
      assertThat(paused.continued).containsExactly(Direction.REQUEST);
      assertThat(filter.vm().tickPeriod()).as("the tick stopped itself").isEmpty();

      assertThat(b.onRequestHeaders(true)).isEqualTo(Action.PAUSE);
      filter.vm().onTick();
      assertThat(denied.localResponses)
          .extracting(RecordingStreamHost.LocalResponse::status)
          .containsExactly(403);
      assertThat(b.localResponseSent()).isTrue();
    }
  }

  @Test
  void sharedQueueRegisteredByAServiceIsFedByAFilterOfAnotherVm() {
    RecordingStreamHost serviceRoot = new RecordingStreamHost();
    Started service = start(SERVICE, "service", serviceRoot);
    Started filter = start(FILTER, "parity", ProxyWasmHost.none());
    int token = service.i32(100);
    assertThat(token).isPositive();
    assertThat(shared.resolveQueue("shared", "q")).isEqualTo(token);

    try (ProxyWasmStream stream =
        filter.vm().newStream(new RecordingStreamHost().request("POST", "/api/enqueue"))) {
      assertThat(stream.onRequestHeaders(false)).isEqualTo(Action.CONTINUE);
    }
    assertThat(serviceRoot.queueReady).containsExactly(token);

    service.vm().onQueueReady(token);

    assertThat(service.i32(204)).as("root context").isEqualTo(1);
    assertThat(service.i32(208)).isEqualTo(token);
    assertThat(service.i32(212)).as("size of \"item\"").isEqualTo(4);
    assertThat(service.i32(216)).isEqualTo(1);
    assertThat(shared.dequeue(token)).isNull();
    assertThat(registry.get("parity_queue_items").counter().count()).isEqualTo(1);
  }

  @Test
  void rootOnlyServiceTicksAndStoresWhatItsHttpCallReturnedForFiltersOfItsVmId() {
    RecordingStreamHost serviceRoot = new RecordingStreamHost();
    Started service = start(SERVICE, "service", serviceRoot);
    assertThat(service.vm().tickPeriod()).contains(Duration.ofMillis(20));
    service.vm().onTick();
    assertThat(serviceRoot.httpCalls).hasSize(1);
    service.vm().onHttpCallResponse(
        serviceRoot.httpCalls.get(0).token(),
        List.of(Map.entry(":status", "200")),
        bytes("token-7"),
        List.of());
    assertThat(service.i32(200)).isEqualTo(1);

    Started filter = start(FILTER, "parity", ProxyWasmHost.none());
    RecordingStreamHost host = new RecordingStreamHost().request("GET", "/api/token");
    try (ProxyWasmStream stream = filter.vm().newStream(host)) {
      stream.onRequestHeaders(true);
    }
    assertThat(host.header(HeaderMapType.REQUEST_HEADERS, "x-token")).isEqualTo("token-7");
    assertThat(shared.get("other", "token")).as("another VM id sees nothing").isNull();
  }

  @Test
  void goStylePanicWritesItsMessageSleepsWithPollOneoffAndTraps() {
    Started filter = start(FILTER, "parity", ProxyWasmHost.none());
    ProxyWasmStream stream =
        filter.vm().newStream(new RecordingStreamHost().request("GET", "/api/panic"));
    assertThatThrownBy(() -> stream.onRequestHeaders(true))
        .isInstanceOf(ProxyWasmException.class)
        .extracting(e -> ((ProxyWasmException) e).kind())
        .isEqualTo(ProxyWasmException.Kind.TRAP);
    assertThat(filter.i32(232)).as("poll_oneoff errno").isZero();
    assertThat(filter.i32(236)).as("events").isEqualTo(1);
    assertThat(filter.i64(1500)).as("event userdata").isEqualTo(0x1122334455667788L);
    assertThat(filter.instance().memory().readBytes(1500 + 8, 2)).as("event errno").containsExactly(0, 0);
  }

  @Test
  void sharedDataIsOneStorePerVmIdAndAVmStartDoesNotTouchOtherVmIds() {
    shared.compareAndSet("other", "n", bytes("x"), 0);
    start(FILTER, "parity", ProxyWasmHost.none());
    assertThat(shared.get("shared", "n").bytes()).containsExactly(0, 0, 0, 0);
    assertThat(shared.get("other", "n").bytes()).containsExactly(bytes("x"));
  }
}
