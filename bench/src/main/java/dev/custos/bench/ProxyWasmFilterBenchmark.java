package dev.custos.bench;

import com.dylibso.chicory.wabt.Wat2Wasm;
import dev.custos.wasm.SandboxLimits;
import dev.custos.wasm.WasmModule;
import dev.custos.wasm.proxywasm.Action;
import dev.custos.wasm.proxywasm.Direction;
import dev.custos.wasm.proxywasm.HeaderMapType;
import dev.custos.wasm.proxywasm.ProxyWasmFilterConfig;
import dev.custos.wasm.proxywasm.ProxyWasmHost;
import dev.custos.wasm.proxywasm.ProxyWasmPlugin;
import dev.custos.wasm.proxywasm.ProxyWasmSandbox;
import dev.custos.wasm.proxywasm.ProxyWasmStream;
import dev.custos.wasm.proxywasm.StreamHost;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost per request of a headers-only proxy-wasm filter, as the proxy's WASM stage pays it:
 * one op = a new stream and {@code proxy_on_request_headers} (reads {@code :path}), {@code
 * proxy_on_response_headers} (adds a header, removes {@code content-length}) and the stream's
 * close ({@code on_done}, {@code on_log}, {@code on_delete}), each step in its own sandbox call
 * with its deadline, against an in-memory {@link StreamHost}. {@code noop} runs a filter whose
 * callbacks return at once, to separate the host's fixed cost from the filter's work. Target:
 * at most 50 µs per request. Single-threaded: the figure is per core.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
@State(Scope.Thread)
public class ProxyWasmFilterBenchmark {
  /** A headers-only filter: reads :path on the request, adds x-checked and drops content-length. */
  static final String HEADERS_FILTER = """
      (module
        (import "env" "proxy_get_header_map_value"
          (func $get (param i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_add_header_map_value"
          (func $add (param i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_remove_header_map_value"
          (func $remove (param i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 1024) ":path")
        (data (i32.const 1040) "x-checked")
        (data (i32.const 1056) "yes")
        (data (i32.const 1072) "content-length")
        (global $heap (mut i32) (i32.const 4096))
        (func (export "proxy_abi_version_0_2_1"))
        (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
          (local $p i32)
          (local.set $p (global.get $heap))
          (global.set $heap (i32.add (global.get $heap) (local.get $size)))
          (local.get $p))
        (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
        (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
        (func (export "proxy_on_context_create") (param i32 i32))
        (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
          (global.set $heap (i32.const 4096))
          (drop (call $get (i32.const 0) (i32.const 1024) (i32.const 5) (i32.const 16) (i32.const 20)))
          (i32.const 0))
        (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
          (drop (call $add (i32.const 2) (i32.const 1040) (i32.const 9) (i32.const 1056) (i32.const 3)))
          (drop (call $remove (i32.const 2) (i32.const 1072) (i32.const 14)))
          (i32.const 0))
        (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
        (func (export "proxy_on_log") (param i32))
        (func (export "proxy_on_delete") (param i32)))
      """;

  /** A filter whose callbacks do nothing. */
  static final String NOOP_FILTER = """
      (module
        (memory (export "memory") 1)
        (func (export "proxy_abi_version_0_2_1"))
        (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 4096))
        (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
        (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
        (func (export "proxy_on_context_create") (param i32 i32))
        (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
        (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 0))
        (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
        (func (export "proxy_on_log") (param i32))
        (func (export "proxy_on_delete") (param i32)))
      """;

  @Param({"headers", "noop"})
  public String filter;

  private ProxyWasmSandbox sandbox;
  private FakeStreamHost host;

  @Setup(Level.Trial)
  public void setUp() {
    String wat = filter.equals("noop") ? NOOP_FILTER : HEADERS_FILTER;
    ProxyWasmPlugin plugin = ProxyWasmPlugin.builder(
            ProxyWasmFilterConfig.of(filter, "{}".getBytes(StandardCharsets.UTF_8)))
        .meterRegistry(new SimpleMeterRegistry())
        .build();
    sandbox = ProxyWasmSandbox.builder(plugin, WasmModule.of(filter, Wat2Wasm.parse(wat)))
        .limits(SandboxLimits.builder().callTimeout(Duration.ofMillis(100)).build())
        .meterRegistry(new SimpleMeterRegistry())
        .build();
    host = new FakeStreamHost();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    sandbox.close();
  }

  @Benchmark
  public List<Map.Entry<String, String>> request() {
    host.reset();
    ProxyWasmHost root = ProxyWasmHost.none();
    ProxyWasmStream stream = sandbox.withVm(root, vm -> {
      ProxyWasmStream s = vm.newStream(host);
      if (s.onRequestHeaders(true) != Action.CONTINUE) {
        throw new IllegalStateException("request headers paused");
      }
      return s;
    });
    sandbox.withVm(root, vm -> stream.onResponseHeaders(false));
    sandbox.withVm(root, vm -> {
      stream.close();
      return null;
    });
    return host.response;
  }

  /** An in-memory exchange: fixed request headers, response headers the filter may change. */
  static final class FakeStreamHost implements StreamHost {
    static final List<Map.Entry<String, String>> REQUEST = List.of(
        Map.entry(":method", "GET"), Map.entry(":path", "/api/orders/42"),
        Map.entry(":scheme", "http"), Map.entry(":authority", "shop.example"),
        Map.entry("user-agent", "bench/1.0"), Map.entry("accept", "application/json"));
    static final List<Map.Entry<String, String>> RESPONSE = List.of(
        Map.entry(":status", "200"), Map.entry("content-type", "application/json"),
        Map.entry("content-length", "512"));

    List<Map.Entry<String, String>> response = RESPONSE;

    void reset() {
      response = RESPONSE;
    }

    @Override
    public List<Map.Entry<String, String>> headers(HeaderMapType type) {
      return switch (type) {
        case REQUEST_HEADERS -> REQUEST;
        case RESPONSE_HEADERS -> response;
        default -> List.of();
      };
    }

    @Override
    public void headers(HeaderMapType type, List<Map.Entry<String, String>> headers) {
      if (type == HeaderMapType.RESPONSE_HEADERS) {
        response = new ArrayList<>(headers);
      }
    }

    @Override
    public void sendLocalResponse(int status, String details, byte[] body,
        List<Map.Entry<String, String>> headers, int grpcStatus) {
      throw new IllegalStateException("no local response expected");
    }

    @Override
    public void continueStream(Direction direction) {}

    @Override
    public void closeStream(Direction direction) {}
  }
}
