package dev.custos.proxy.internal.wasm;

import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.Snapshot;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import dev.custos.wasm.proxywasm.ProxyWasmSharedData;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;

/**
 * Keeps the running proxy-wasm filters and services of the current configuration. A reload
 * {@link #prepare}s the new configuration's filters — reusing a running filter whose definition
 * did not change, starting the others with a VM on every event loop (a service: on one) before
 * any request reaches them — and throws, leaving everything as it was, when one cannot start;
 * {@link #commit} then retires the filters the new configuration no longer has, after a grace
 * period for requests still running on them. Shared data and queues are one store for all
 * filters and services, by VM id, kept across reloads as Envoy keeps them. Thread-safe.
 */
public final class WasmFilters implements AutoCloseable {
  /** The key of the wasm services (singletons) in the maps {@link #prepare} returns. */
  public static final String SERVICES = "";

  /** How long a retired filter keeps serving requests that started on it. */
  static final Duration GRACE = Duration.ofSeconds(30);

  private final MeterRegistry registry;
  private final Supplier<Snapshot> current;
  private final Duration pollInterval;
  private final List<EventLoop> eventLoops;
  private final ProxyWasmSharedData sharedData = ProxyWasmSharedData.create();
  private final ScheduledExecutorService retirer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "custos-wasm-filters");
    t.setDaemon(true);
    return t;
  });
  private Map<String, List<WasmFilterRuntime>> running = Map.of();
  private final List<WasmFilterRuntime> retiring = new ArrayList<>();

  /**
   * Creates an empty set.
   *
   * @param current the snapshot HTTP calls from root contexts (ticks) go through
   * @param pollInterval how often module files are checked for changes
   * @param workers the event loops requests run on: each gets a VM per filter
   */
  public WasmFilters(MeterRegistry registry, Supplier<Snapshot> current, Duration pollInterval,
      EventLoopGroup workers) {
    this.registry = registry;
    this.current = current;
    this.pollInterval = pollInterval;
    List<EventLoop> list = new ArrayList<>();
    workers.forEach(e -> {
      if (e instanceof EventLoop el) {
        list.add(el);
      }
    });
    this.eventLoops = List.copyOf(list);
  }

  /**
   * Returns the filters of {@code config} by route, and its services under {@link #SERVICES},
   * started (with their VMs) or reused.
   *
   * @throws IllegalArgumentException when a filter cannot be loaded, linked or started; the
   *     message gives the file, line and column where it is configured
   */
  public synchronized Map<String, List<WasmFilterRuntime>> prepare(ProxyConfig config) {
    Map<String, List<WasmFilterRuntime>> out = new LinkedHashMap<>();
    List<WasmFilterRuntime> started = new ArrayList<>();
    try {
      for (ProxyConfig.Route route : config.routes()) {
        List<WasmFilterRuntime> list = new ArrayList<>();
        for (ProxyConfig.WasmFilter def : route.wasmFilters()) {
          WasmFilterRuntime reuse = find(route.name(), def);
          if (reuse != null) {
            list.add(reuse);
          } else {
            WasmFilterRuntime rt = WasmFilterRuntime.start(route.name(), def, registry, current,
                pollInterval, sharedData);
            started.add(rt);
            list.add(rt);
            rt.startVms(eventLoops);
          }
        }
        if (!list.isEmpty()) {
          out.put(route.name(), List.copyOf(list));
        }
      }
      List<WasmFilterRuntime> services = new ArrayList<>();
      for (ProxyConfig.WasmFilter def : config.wasmServices()) {
        WasmFilterRuntime reuse = find(SERVICES, def);
        if (reuse != null) {
          services.add(reuse);
        } else {
          WasmFilterRuntime rt = WasmFilterRuntime.start(SERVICES, def, registry, current,
              pollInterval, sharedData);
          started.add(rt);
          services.add(rt);
          // A singleton: one VM, on one loop (Envoy runs it on the main thread).
          rt.startVms(eventLoops.isEmpty() ? List.of() : List.of(eventLoops.get(
              Math.floorMod(def.name().hashCode(), eventLoops.size()))));
        }
      }
      if (!services.isEmpty()) {
        out.put(SERVICES, List.copyOf(services));
      }
    } catch (RuntimeException e) {
      started.forEach(WasmFilterRuntime::close);
      throw e;
    }
    return out;
  }

  private @org.jspecify.annotations.Nullable WasmFilterRuntime find(String route, ProxyConfig.WasmFilter def) {
    for (WasmFilterRuntime rt : running.getOrDefault(route, List.of())) {
      if (rt.definition().sameAs(def)) {
        return rt;
      }
    }
    return null;
  }

  /** Makes {@code next} (from {@link #prepare}) the running set; retires the filters it dropped. */
  public synchronized void commit(Map<String, List<WasmFilterRuntime>> next) {
    Map<WasmFilterRuntime, Boolean> kept = new HashMap<>();
    next.values().forEach(l -> l.forEach(rt -> kept.put(rt, true)));
    List<WasmFilterRuntime> retired = new ArrayList<>();
    running.values().forEach(l -> l.forEach(rt -> {
      if (!kept.containsKey(rt)) {
        retired.add(rt);
      }
    }));
    running = next;
    if (!retired.isEmpty()) {
      retiring.addAll(retired);
      retirer.schedule(() -> retire(retired), GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private synchronized void retire(List<WasmFilterRuntime> retired) {
    retired.forEach(WasmFilterRuntime::close);
    retiring.removeAll(retired);
  }

  /** Stops the filters {@link #prepare} started for a configuration that was not applied. */
  public synchronized void abandon(Map<String, List<WasmFilterRuntime>> prepared) {
    Map<WasmFilterRuntime, Boolean> live = new HashMap<>();
    running.values().forEach(l -> l.forEach(rt -> live.put(rt, true)));
    prepared.values().forEach(l -> l.forEach(rt -> {
      if (!live.containsKey(rt)) {
        rt.close();
      }
    }));
  }

  /** Stops every filter now. */
  @Override
  public synchronized void close() {
    retirer.shutdownNow();
    retiring.forEach(WasmFilterRuntime::close);
    retiring.clear();
    running.values().forEach(l -> l.forEach(WasmFilterRuntime::close));
    running = Map.of();
  }
}
