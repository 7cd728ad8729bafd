package dev.custos.proxy.internal;

import dev.custos.proxy.ProxyConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the cluster of a route with a split (pin, affinity, then weights) and halts canaries
 * whose error rate crosses the route's threshold. Halts last until {@link #reset} (each reload).
 * Counts {@code custos_route_requests_total{route,cluster}} and shows {@code
 * custos_canary_halted{route,cluster}} (0 or 1). Thread-safe; memory is bounded by the routes'
 * canaries times {@link Window#BUCKETS}.
 */
public final class Canaries {
  private static final Logger logger = LoggerFactory.getLogger(Canaries.class);

  private final MeterRegistry registry;
  private final RandomGenerator random;
  private final LongSupplier nanoTime;
  private final ConcurrentMap<String, ConcurrentMap<String, Counter>> requests =
      new ConcurrentHashMap<>();
  private final ConcurrentMap<List<String>, AtomicInteger> haltedGauges =
      new ConcurrentHashMap<>();
  private volatile Map<String, Map<String, Window>> windows = Map.of();

  /**
   * Creates the canary state.
   *
   * @param random the source of weighted choices; must be thread-safe
   * @param nanoTime the clock of the halt windows
   */
  public Canaries(MeterRegistry registry, RandomGenerator random, LongSupplier nanoTime) {
    this.registry = registry;
    this.random = random;
    this.nanoTime = nanoTime;
  }

  /** Forgets every halt and count and watches the canaries of {@code config}'s routes. */
  public void reset(ProxyConfig config) {
    Map<String, Map<String, Window>> next = new HashMap<>();
    haltedGauges.values().forEach(g -> g.set(0));
    for (ProxyConfig.Route r : config.routes()) {
      ProxyConfig.Split split = r.split();
      if (split == null) {
        continue;
      }
      Map<String, Window> byCluster = new HashMap<>();
      for (ProxyConfig.Weighted w : split.clusters()) {
        if (w.canary()) {
          gauge(r.name(), w.cluster()).set(0);
          if (split.halt() != null) {
            byCluster.put(w.cluster(), new Window(split.halt()));
          }
        }
      }
      next.put(r.name(), Map.copyOf(byCluster));
    }
    windows = Map.copyOf(next);
  }

  /**
   * Returns the cluster a request goes to.
   *
   * @param pinned the cluster the client's pin header or cookie names, if any
   * @param affine the cluster a verified affinity cookie names, if any
   */
  String choose(ProxyConfig.Route route, @Nullable String pinned, @Nullable String affine) {
    ProxyConfig.Split split = route.split();
    if (split == null) {
      return route.cluster();
    }
    if (pinned != null && eligible(route, split, pinned, false)) {
      return pinned;
    }
    if (affine != null && eligible(route, split, affine, true)) {
      return affine;
    }
    long total = 0;
    for (ProxyConfig.Weighted w : split.clusters()) {
      total += halted(route.name(), w.cluster()) ? 0 : w.weight();
    }
    if (total <= 0) {
      return route.cluster();
    }
    long pick = random.nextLong(total);
    for (ProxyConfig.Weighted w : split.clusters()) {
      long weight = halted(route.name(), w.cluster()) ? 0 : w.weight();
      if (pick < weight) {
        return w.cluster();
      }
      pick -= weight;
    }
    return route.cluster();
  }

  private boolean eligible(ProxyConfig.Route route, ProxyConfig.Split split, String cluster,
      boolean needsWeight) {
    for (ProxyConfig.Weighted w : split.clusters()) {
      if (w.cluster().equals(cluster)) {
        return (!needsWeight || w.weight() > 0) && !halted(route.name(), cluster);
      }
    }
    return false;
  }

  /** Counts a request forwarded to a cluster of a route. */
  void forwarded(String route, String cluster) {
    ConcurrentMap<String, Counter> byCluster = requests.get(route);
    if (byCluster == null) {
      byCluster = requests.computeIfAbsent(route, r -> new ConcurrentHashMap<>());
    }
    Counter c = byCluster.get(cluster);
    if (c == null) {
      c = byCluster.computeIfAbsent(cluster, k -> Counter.builder("custos.route.requests")
          .description("Requests forwarded by route and the cluster chosen for them")
          .tag("route", route)
          .tag("cluster", cluster)
          .register(registry));
    }
    c.increment();
  }

  /** Returns whether the outcomes of requests to this cluster of the route are watched. */
  boolean watched(String route, String cluster) {
    Map<String, Window> byCluster = windows.get(route);
    return byCluster != null && byCluster.containsKey(cluster);
  }

  /** Records the outcome of a request to a watched canary; may halt it. */
  void outcome(String route, String cluster, boolean failed) {
    Map<String, Window> byCluster = windows.get(route);
    Window w = byCluster == null ? null : byCluster.get(cluster);
    if (w == null || w.halted) {
      return;
    }
    if (w.record(failed, nanoTime.getAsLong())) {
      synchronized (w) {
        if (w.halted) {
          return;
        }
        w.halted = true;
      }
      gauge(route, cluster).set(1);
      logger.warn("canary halted: route {} cluster {} reached the error rate {} (its share is 0"
          + " until the next reload)", route, cluster, w.halt.errorRate());
    }
  }

  /**
   * Gives a halted canary its share back and forgets its window, as a reload would.
   *
   * @return whether the canary was halted
   */
  public boolean resume(String route, String cluster) {
    Map<String, Window> byCluster = windows.get(route);
    Window w = byCluster == null ? null : byCluster.get(cluster);
    if (w == null || !w.halted) {
      return false;
    }
    w.clear();
    gauge(route, cluster).set(0);
    logger.warn("canary resumed by the admin server: route {} cluster {}", route, cluster);
    return true;
  }

  /** Returns whether a canary of a route is halted. */
  boolean halted(String route, String cluster) {
    Map<String, Window> byCluster = windows.get(route);
    Window w = byCluster == null ? null : byCluster.get(cluster);
    return w != null && w.halted;
  }

  private AtomicInteger gauge(String route, String cluster) {
    return haltedGauges.computeIfAbsent(List.of(route, cluster), k -> {
      AtomicInteger value = new AtomicInteger();
      Gauge.builder("custos.canary.halted", value, AtomicInteger::get)
          .description("Whether a canary cluster of a route is halted (1) or serving (0)")
          .tag("route", route)
          .tag("cluster", cluster)
          .strongReference(true)
          .register(registry);
      return value;
    });
  }

  /** Requests and failures over a sliding window, in {@link #BUCKETS} buckets. */
  static final class Window {
    static final int BUCKETS = 10;

    final ProxyConfig.Halt halt;
    private final long bucketNanos;
    private final long[] starts = new long[BUCKETS];
    private final long[] totals = new long[BUCKETS];
    private final long[] failures = new long[BUCKETS];
    volatile boolean halted;

    Window(ProxyConfig.Halt halt) {
      this.halt = halt;
      this.bucketNanos = Math.max(1, halt.window().toNanos() / BUCKETS);
      java.util.Arrays.fill(starts, Long.MIN_VALUE);
    }

    /** Forgets every outcome and the halt. */
    synchronized void clear() {
      java.util.Arrays.fill(starts, Long.MIN_VALUE);
      java.util.Arrays.fill(totals, 0);
      java.util.Arrays.fill(failures, 0);
      halted = false;
    }

    /** Records an outcome; returns whether the window now crosses the threshold. */
    synchronized boolean record(boolean failed, long now) {
      long slot = Math.floorDiv(now, bucketNanos);
      int i = (int) Math.floorMod(slot, BUCKETS);
      if (starts[i] != slot) {
        starts[i] = slot;
        totals[i] = 0;
        failures[i] = 0;
      }
      totals[i]++;
      if (failed) {
        failures[i]++;
      }
      long total = 0;
      long failedTotal = 0;
      for (int b = 0; b < BUCKETS; b++) {
        if (starts[b] > slot - BUCKETS) {
          total += totals[b];
          failedTotal += failures[b];
        }
      }
      return total >= halt.minimumRequests()
          && failedTotal >= halt.errorRate() * total;
    }
  }
}
