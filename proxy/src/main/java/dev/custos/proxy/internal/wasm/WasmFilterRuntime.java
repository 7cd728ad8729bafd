package dev.custos.proxy.internal.wasm;

import com.linecorp.armeria.client.RequestOptions;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.Snapshot;
import dev.custos.wasm.FailureMode;
import dev.custos.wasm.SandboxLimits;
import dev.custos.wasm.WasmCallException;
import dev.custos.wasm.proxywasm.ProxyWasmFilterConfig;
import dev.custos.wasm.proxywasm.ProxyWasmHost;
import dev.custos.wasm.proxywasm.ProxyWasmPlugin;
import dev.custos.wasm.proxywasm.ProxyWasmSandbox;
import dev.custos.wasm.proxywasm.ProxyWasmSharedData;
import dev.custos.wasm.proxywasm.ProxyWasmVm;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoop;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One configured proxy-wasm filter of one route, running: its plugin, its sandbox (one VM per
 * event loop, watched module file) and, per event loop, the VM last seen, its tick and the restart
 * backoff after a crash.
 *
 * <p>Every call into a VM goes through {@link #call}, on the event loop it belongs to. A failed
 * call is counted as {@code custos_wasm_filter_failures_total{filter,route,kind}} (the sandbox
 * also counts {@code custos_wasm_errors_total{module,kind}}); the sandbox discards the VM, and
 * the loop's next VM is started only after a backoff that doubles per consecutive failure, up to
 * a cap. Thread-safe: the per-loop state is only touched on its loop.
 */
public final class WasmFilterRuntime implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(WasmFilterRuntime.class);

  private final String route;
  private final ProxyConfig.WasmFilter def;
  private final ProxyWasmSandbox sandbox;
  private final MeterRegistry registry;
  private final Supplier<Snapshot> current;
  private final Map<EventLoop, Loop> loops = new ConcurrentHashMap<>();
  private final Map<String, Counter> failures = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** Signals that a call into the filter did not happen or failed; {@link #kind} says why. */
  static final class FilterFailure extends Exception {
    private static final long serialVersionUID = 1L;
    final String kind;

    FilterFailure(String kind) {
      super(kind, null, false, false);
      this.kind = kind;
    }
  }

  /** The state of this filter on one event loop. Confined to that loop. */
  final class Loop implements ProxyWasmHost {
    final EventLoop eventLoop;
    @Nullable ProxyWasmVm vm;
    int consecutiveFailures;
    long retryAtNanos;
    @Nullable ScheduledFuture<?> tick;
    /** The tick period {@link #tick} runs at, in milliseconds; 0 when none. */
    long tickMillis;
    /** The exchanges with a stream on this loop's VM, told when that VM goes. */
    final Set<FilterExchange> exchanges = new LinkedHashSet<>();

    Loop(EventLoop eventLoop) {
      this.eventLoop = eventLoop;
    }

    @Override
    public boolean httpCall(int token, String cluster, List<Map.Entry<String, String>> headers,
        byte[] body, List<Map.Entry<String, String>> trailers, Duration timeout) {
      Snapshot snapshot = current.get();
      return snapshot != null && WasmFilterRuntime.this.httpCall(this, snapshot, token, cluster,
          headers, body, timeout);
    }

    @Override
    public void queueReady(int token) {
      // Any thread may enqueue; the VM is told on its own loop, after the current call.
      eventLoop.execute(() -> {
        ProxyWasmVm v = vm;
        if (v == null || closed) {
          return;
        }
        try {
          call(this, v, vm -> {
            vm.onQueueReady(token);
            return null;
          });
        } catch (FilterFailure ignored) {
          // Counted; a queue notice has no request to decide.
        }
      });
    }
  }

  private WasmFilterRuntime(String route, ProxyConfig.WasmFilter def, ProxyWasmSandbox sandbox,
      MeterRegistry registry, Supplier<Snapshot> current) {
    // route is "" for a wasm service (a singleton: a root context only, on one event loop).
    this.route = route;
    this.def = def;
    this.sandbox = sandbox;
    this.registry = registry;
    this.current = current;
  }

  /**
   * Loads, links and test-starts the filter's module.
   *
   * @throws IllegalArgumentException naming the route, the filter and where it is configured, when
   *     the module cannot be loaded (file, pin), linked (an import that is not granted) or started
   */
  static WasmFilterRuntime start(String route, ProxyConfig.WasmFilter def, MeterRegistry registry,
      Supplier<Snapshot> current, Duration pollInterval, ProxyWasmSharedData sharedData) {
    ProxyWasmPlugin plugin = ProxyWasmPlugin.builder(ProxyWasmFilterConfig.builder(def.name())
            .rootId(def.rootId())
            .vmId(def.vmId())
            .pluginConfiguration(def.configuration().getBytes(StandardCharsets.UTF_8))
            .vmConfiguration(def.vmConfiguration().getBytes(StandardCharsets.UTF_8))
            .build())
        .meterRegistry(registry)
        .sharedData(sharedData)
        .build();
    ProxyWasmSandbox sandbox;
    try {
      sandbox = ProxyWasmSandbox.watching(plugin, def.path(), def.sha256())
          .limits(SandboxLimits.builder()
              .callTimeout(def.timeout())
              .startTimeout(def.startTimeout())
              .maxMemoryPages(def.maxMemoryPages())
              // One VM per event loop; room for every worker thread of a large machine.
              .maxInstances(Math.max(64, 2 * Runtime.getRuntime().availableProcessors() + 2))
              .build())
          .meterRegistry(registry)
          .failureMode(def.failOpen() ? FailureMode.FAIL_OPEN : FailureMode.FAIL_CLOSED)
          .pollInterval(pollInterval)
          .build();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(def.origin() + ": " + (route.isEmpty()
          ? "wasm_services." : "routes." + route + ".wasm_filters.")
          + def.name() + ": " + def.path().getFileName() + ": " + e.getMessage()
          + " (expected: a proxy-wasm module that loads, links with the host's functions and"
          + " starts)", e);
    }
    return new WasmFilterRuntime(route, def, sandbox, registry, current);
  }

  ProxyConfig.WasmFilter definition() {
    return def;
  }

  String route() {
    return route;
  }

  String name() {
    return def.name();
  }

  boolean failOpen() {
    return def.failOpen();
  }

  long maxBufferedBody() {
    return def.maxBufferedBody();
  }

  /** Returns whether the module currently served exports the callback. */
  boolean exports(String callback) {
    return sandbox.module().hasExport(callback);
  }

  /** Returns this filter's state on the loop; call on that loop. */
  Loop loop(EventLoop eventLoop) {
    return loops.computeIfAbsent(eventLoop, Loop::new);
  }

  /**
   * Starts a VM on each loop, as Envoy starts one per worker when the configuration loads, so
   * that ticks run before any traffic; returns when every loop has tried (a loop whose start
   * failed backs off and retries on its first request).
   *
   * @throws IllegalArgumentException when a start does not end within the start deadline and a
   *     margin, or the thread is interrupted
   */
  void startVms(List<EventLoop> eventLoops) {
    List<Future<?>> started = new ArrayList<>();
    for (EventLoop el : eventLoops) {
      Runnable start = () -> {
        Loop loop = loop(el);
        if (loop.vm == null && !closed) {
          try {
            call(loop, null, v -> null);
          } catch (FilterFailure f) {
            logger.warn("wasm {} {}: VM start on {} failed ({}); retried after a backoff",
                route.isEmpty() ? "service" : "filter", def.name(), el, f.kind);
          }
        }
      };
      if (el.inEventLoop()) {
        start.run(); // called on a worker (a reload from a request): waiting would deadlock
      } else {
        started.add(el.submit(start));
      }
    }
    long waitMillis = def.startTimeout().toMillis() * 2 + 5_000;
    for (Future<?> f : started) {
      try {
        f.get(waitMillis, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalArgumentException(def.origin() + ": " + def.name()
            + ": interrupted while its VMs started", e);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalArgumentException(def.origin() + ": " + def.name()
            + ": VMs did not start within " + waitMillis + " ms (expected: start_timeout_ms)",
            e);
      }
    }
  }

  /**
   * Runs {@code body} with the loop's VM, under the sandbox's deadline.
   *
   * @param expected the VM a stream was made on, or null to take (or start) the loop's VM
   * @throws FilterFailure when the loop is backing off after a crash, the VM was replaced since
   *     {@code expected} was current, or the call failed
   */
  <T> T call(Loop loop, @Nullable ProxyWasmVm expected, Function<ProxyWasmVm, T> body)
      throws FilterFailure {
    if (closed) {
      throw count(new FilterFailure("unavailable"));
    }
    if (expected != null && loop.vm != expected) {
      throw count(new FilterFailure("vm_replaced"));
    }
    if (loop.vm == null && loop.consecutiveFailures > 0
        && System.nanoTime() - loop.retryAtNanos < 0) {
      throw count(new FilterFailure("backoff"));
    }
    if (loop.vm == null && expected == null) {
      // A new VM starts in a call of its own, under the start deadline; the body then runs under
      // the call deadline.
      run(loop, null, v -> null);
    }
    T result = run(loop, expected, body);
    retick(loop);
    return result;
  }

  private <T> T run(Loop loop, @Nullable ProxyWasmVm expected, Function<ProxyWasmVm, T> body)
      throws FilterFailure {
    boolean[] replaced = new boolean[1];
    T result;
    try {
      result = sandbox.withVm(loop, vm -> {
        if (vm != loop.vm) {
          if (expected != null) {
            replaced[0] = true; // a reload swapped the module: the stream's VM is gone
            adopt(loop, vm);
            return null;
          }
          adopt(loop, vm);
        }
        return body.apply(vm);
      });
    } catch (WasmCallException e) {
      crashed(loop);
      throw count(new FilterFailure(e.kind().name().toLowerCase(Locale.ROOT)));
    } catch (IllegalStateException e) {
      throw count(new FilterFailure("unavailable"));
    } catch (RuntimeException e) {
      // The exception's message may hold request data a host function handled: log where only.
      logger.warn("wasm filter {} on route {}: host error: {} at {}", def.name(), route,
          e.getClass().getName(), e.getStackTrace().length > 0 ? e.getStackTrace()[0] : "?");
      crashed(loop);
      throw count(new FilterFailure("host_error"));
    }
    if (replaced[0]) {
      throw count(new FilterFailure("vm_replaced"));
    }
    loop.consecutiveFailures = 0;
    return result;
  }

  private void adopt(Loop loop, ProxyWasmVm vm) {
    cancelTick(loop);
    ProxyWasmVm old = loop.vm;
    loop.vm = vm;
    if (old != null) {
      orphan(loop, old);
    }
    retick(loop);
  }

  /** Schedules the loop VM's ticks at the period it asks for now, if that changed. */
  private void retick(Loop loop) {
    ProxyWasmVm vm = loop.vm;
    long ms = vm == null || closed ? 0
        : vm.tickPeriod().map(p -> Math.max(1, p.toMillis())).orElse(0L);
    if (ms == loop.tickMillis && (ms == 0) == (loop.tick == null)) {
      return;
    }
    cancelTick(loop);
    if (ms > 0 && vm != null) {
      loop.tickMillis = ms;
      loop.tick = loop.eventLoop.scheduleAtFixedRate(() -> tick(loop, vm), ms, ms,
          TimeUnit.MILLISECONDS);
    }
  }

  /** Tells the exchanges whose streams were on {@code vm} that it is gone, after this call. */
  private static void orphan(Loop loop, ProxyWasmVm vm) {
    List<FilterExchange> lost = new ArrayList<>();
    loop.exchanges.removeIf(ex -> {
      if (ex.vm() == vm) {
        lost.add(ex);
        return true;
      }
      return false;
    });
    if (!lost.isEmpty()) {
      loop.eventLoop.execute(() -> lost.forEach(FilterExchange::vmLost));
    }
  }

  private void tick(Loop loop, ProxyWasmVm vm) {
    if (loop.vm != vm || closed) {
      return; // a stale tick: its VM's schedule was cancelled when the VM went
    }
    try {
      call(loop, vm, v -> {
        v.onTick();
        return null;
      });
    } catch (FilterFailure ignored) {
      // Counted; ticks of a replaced VM stop, the new VM schedules its own.
    }
  }

  private static void cancelTick(Loop loop) {
    ScheduledFuture<?> t = loop.tick;
    loop.tickMillis = 0;
    if (t != null) {
      t.cancel(false);
      loop.tick = null;
    }
  }

  private void crashed(Loop loop) {
    cancelTick(loop);
    ProxyWasmVm old = loop.vm;
    loop.vm = null;
    if (old != null) {
      orphan(loop, old);
    }
    loop.consecutiveFailures++;
    long initial = def.restartBackoff().toNanos();
    long max = Math.max(initial, def.maxRestartBackoff().toNanos());
    int shift = Math.min(loop.consecutiveFailures - 1, 30);
    long delay = initial > (max >> shift) ? max : Math.min(max, initial << shift);
    loop.retryAtNanos = System.nanoTime() + delay;
  }

  private FilterFailure count(FilterFailure f) {
    failures.computeIfAbsent(f.kind, k -> Counter.builder("custos.wasm.filter.failures")
        .description("Failures of proxy-wasm filters by filter, route and kind; each took the"
            + " filter's fail_open decision")
        .tag("filter", def.name())
        .tag("route", route)
        .tag("kind", k)
        .register(registry)).increment();
    logger.debug("wasm filter {} on route {}: {}", def.name(), route, f.kind);
    return f;
  }

  /**
   * Starts an HTTP call for the loop's VM (from the root context or a stream: every call belongs
   * to the root context, as in Envoy) and delivers its response to that VM on the loop, even when
   * the stream that made it has ended; what the filter does then to a stream (continue, local
   * response) is applied by the stream's exchange.
   */
  boolean httpCall(Loop loop, Snapshot snapshot, int token, String cluster,
      List<Map.Entry<String, String>> headers, byte[] body, Duration timeout) {
    ProxyWasmVm caller = loop.vm; // null while the VM starts: it is the loop's VM by then
    return dispatch(snapshot, loop.eventLoop, cluster, headers, body, timeout, response -> {
      ProxyWasmVm target = caller != null ? caller : loop.vm;
      if (target == null) {
        return;
      }
      try {
        call(loop, target, v -> {
          deliver(v, token, response);
          return null;
        });
      } catch (FilterFailure ignored) {
        // Counted; exchanges on a VM that failed are told through vmLost.
      }
    });
  }

  /** Delivers an HTTP call's response (null: the call failed) to the VM. */
  static void deliver(ProxyWasmVm vm, int token, @Nullable AggregatedHttpResponse response) {
    if (response == null) {
      vm.onHttpCallResponse(token, List.of(), new byte[0], List.of());
      return;
    }
    vm.onHttpCallResponse(token, Headers.list(response.headers()), response.content().array(),
        Headers.list(response.trailers()));
  }

  /**
   * Starts an HTTP call to a configured cluster through the proxy's client for it; the response
   * (null for a failure) reaches {@code onResponse} on {@code eventLoop}. Returns false for a
   * cluster that is not configured.
   */
  static boolean dispatch(Snapshot snapshot, EventLoop eventLoop, String cluster,
      List<Map.Entry<String, String>> headers, byte[] body, Duration timeout,
      Consumer<@Nullable AggregatedHttpResponse> onResponse) {
    if (!snapshot.config().clusters().containsKey(cluster)) {
      return false;
    }
    String method = "GET";
    String path = "/";
    String authority = null;
    for (Map.Entry<String, String> h : headers) {
      switch (h.getKey()) {
        case ":method" -> method = h.getValue();
        case ":path" -> path = h.getValue();
        case ":authority" -> authority = h.getValue();
        default -> { }
      }
    }
    RequestHeadersBuilder b;
    try {
      b = RequestHeaders.builder(HttpMethod.valueOf(method.toUpperCase(Locale.ROOT)), path);
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (authority != null) {
      b.authority(authority);
    }
    for (Map.Entry<String, String> h : headers) {
      if (!h.getKey().startsWith(":")) {
        b.add(h.getKey(), h.getValue());
      }
    }
    RequestOptions options = RequestOptions.builder()
        .responseTimeout(timeout.isZero() ? Duration.ofSeconds(30) : timeout)
        .build();
    HttpRequest req = HttpRequest.of(b.build(), HttpData.wrap(body));
    snapshot.client(cluster, req)
        .execute(req, options)
        .aggregate()
        .handleAsync((res, cause) -> {
          onResponse.accept(cause == null ? res : null);
          return null;
        }, eventLoop);
    return true;
  }

  /** Drops the VMs and stops watching the module; calls after this fail as unavailable. */
  @Override
  public void close() {
    closed = true;
    for (Loop loop : loops.values()) {
      ScheduledFuture<?> t = loop.tick;
      if (t != null) {
        t.cancel(false);
      }
    }
    sandbox.close();
  }

  @Override
  public String toString() {
    return "WasmFilterRuntime{route=" + route + ", filter=" + def.name() + '}';
  }
}
