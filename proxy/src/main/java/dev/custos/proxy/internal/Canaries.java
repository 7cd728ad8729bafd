package dev.custos.proxy.internal;

import dev.custos.proxy.ProxyConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * whose error rate crosses the route's threshold. Counts {@code
 * custos_route_requests_total{route,cluster}} and shows {@code custos_canary_halted{route,cluster}}
 * (0 or 1). Thread-safe; memory is bounded by the routes' canaries times {@link Window#BUCKETS}.
 *
 * <p>Each replica measures the error rate of the requests it forwards. Without a shared {@link
 * HaltStore} a halt lasts until {@link #reset} (each reload) or {@link #resume}. With one (Redis,
 * {@code shared_state}), a replica that halts a canary also writes the halt there for {@link
 * #SHARED_HALT_TTL}, and every replica reads the halts of its canaries every {@link
 * #SYNC_INTERVAL} ({@link #sync}): a halt seen by one replica halts the canary on all of them, a
 * resume on one (or the halt's expiry) resumes it on all, and a reload that keeps the route's
 * split keeps the halt (one that changes the split starts afresh).
 */
public final class Canaries {
  private static final Logger logger = LoggerFactory.getLogger(Canaries.class);

  /** How long a shared halt lives in the store unless a replica resumes the canary first. */
  public static final Duration SHARED_HALT_TTL = Duration.ofHours(1);
  /** How often {@link #sync} should run when halts are shared. */
  public static final Duration SYNC_INTERVAL = Duration.ofMillis(500);

  /**
   * What the replicas sharing halts know.
   *
   * @param halted the keys of the canaries halted in the store
   * @param failClosed whether the store cannot answer and fails closed: every watched canary is
   *     halted until it answers again
   */
  public record Shared(Set<String> halted, boolean failClosed) {}

  /** Where halts are shared between replicas. Implementations are thread-safe and never block. */
  public interface HaltStore {
    /** Shares nothing: each replica keeps its own halts. */
    HaltStore NONE = new HaltStore() {
      @Override
      public void halt(String key, Duration ttl) {}

      @Override
      public void resume(String key) {}

      @Override
      public CompletionStage<@Nullable Shared> halted(List<String> keys) {
        return CompletableFuture.completedFuture(null);
      }
    };

    /** Writes a halt, for {@code ttl} (best effort, in the background). */
    void halt(String key, Duration ttl);

    /** Removes a halt (best effort, in the background). */
    void resume(String key);

    /**
     * Reads which of {@code keys} are halted; completes with null when nothing is shared now (no
     * store configured, or it cannot answer and fails open).
     */
    CompletionStage<@Nullable Shared> halted(List<String> keys);
  }

  private final HaltStore store;
  private final AtomicBoolean syncing = new AtomicBoolean();
  private volatile boolean closedByStore;

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
    this(registry, random, nanoTime, HaltStore.NONE);
  }

  /**
   * Creates the canary state whose halts are shared through {@code store}.
   *
   * @param random the source of weighted choices; must be thread-safe
   * @param nanoTime the clock of the halt windows
   */
  public Canaries(MeterRegistry registry, RandomGenerator random, LongSupplier nanoTime,
      HaltStore store) {
    this.store = store;
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
            byCluster.put(w.cluster(), new Window(split.halt(),
                r.name() + "\n" + w.cluster() + "\n" + split));
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
  public void forwarded(String route, String cluster) {
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
    if (w == null || w.halted || w.shared) {
      return;
    }
    if (w.record(failed, nanoTime.getAsLong())) {
      synchronized (w) {
        if (w.halted) {
          return;
        }
        w.halted = true;
        w.haltSeq++;
      }
      gauge(route, cluster).set(1);
      store.halt(w.key, SHARED_HALT_TTL);
      logger.warn("canary halted: route {} cluster {} reached the error rate {} (its share is 0"
          + " until the next reload, or with shared_state until a resume or {})", route, cluster,
          w.halt.errorRate(), SHARED_HALT_TTL);
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
    if (w == null || !(w.halted || w.shared)) {
      return false;
    }
    synchronized (w) {
      w.clear();
      w.haltSeq++;
    }
    store.resume(w.key);
    gauge(route, cluster).set(0);
    logger.warn("canary resumed by the admin server: route {} cluster {}", route, cluster);
    return true;
  }

  /** Returns whether a canary of a route is halted. */
  boolean halted(String route, String cluster) {
    Map<String, Window> byCluster = windows.get(route);
    Window w = byCluster == null ? null : byCluster.get(cluster);
    return w != null && (w.halted || w.shared || closedByStore);
  }

  /**
   * Reads the shared halts of the watched canaries and applies them: a canary halted in the store
   * is halted here; one this replica halted and wrote before this read began that the store no
   * longer holds (resumed elsewhere, or expired) resumes here. Without a store, or while it fails
   * open, nothing changes. At most one read runs at a time; never blocks.
   */
  public void sync() {
    Map<String, Map<String, Window>> now = windows;
    List<Window> watched = new ArrayList<>();
    List<String> routes = new ArrayList<>();
    List<String> clusters = new ArrayList<>();
    for (Map.Entry<String, Map<String, Window>> r : now.entrySet()) {
      for (Map.Entry<String, Window> c : r.getValue().entrySet()) {
        watched.add(c.getValue());
        routes.add(r.getKey());
        clusters.add(c.getKey());
      }
    }
    if (watched.isEmpty() || !syncing.compareAndSet(false, true)) {
      return;
    }
    List<String> keys = new ArrayList<>(watched.size());
    long[] seqs = new long[watched.size()];
    for (int i = 0; i < watched.size(); i++) {
      keys.add(watched.get(i).key);
      seqs[i] = watched.get(i).haltSeq;
    }
    CompletionStage<@Nullable Shared> read;
    try {
      read = store.halted(List.copyOf(keys));
    } catch (RuntimeException e) {
      syncing.set(false);
      return;
    }
    read.whenComplete((shared, error) -> {
      try {
        if (error != null || shared == null) {
          closedByStore = false;
          return;
        }
        if (shared.failClosed() != closedByStore) {
          closedByStore = shared.failClosed();
          logger.warn(shared.failClosed() ? "canaries halted: the shared state cannot answer and"
              + " fails closed" : "canaries: the shared state answers again");
        }
        if (shared.failClosed()) {
          return;
        }
        for (int i = 0; i < watched.size(); i++) {
          apply(watched.get(i), routes.get(i), clusters.get(i),
              shared.halted().contains(keys.get(i)), seqs[i]);
        }
      } finally {
        syncing.set(false);
      }
    });
  }

  private void apply(Window w, String route, String cluster, boolean inStore, long seqAtRead) {
    if (w.haltSeq != seqAtRead && inStore) {
      // A halt or a resume here since the read began: the read is older than what this replica
      // knows (the next read sees the store after it).
      return;
    }
    if (inStore && !w.shared) {
      w.shared = true;
      gauge(route, cluster).set(1);
      if (!w.halted) {
        logger.warn("canary halted by another replica: route {} cluster {} (its share is 0"
            + " until a resume or {})", route, cluster, SHARED_HALT_TTL);
      }
    } else if (!inStore && (w.shared || (w.halted && w.haltSeq == seqAtRead))) {
      boolean was = w.halted || w.shared;
      w.clear();
      gauge(route, cluster).set(0);
      if (was) {
        logger.warn("canary resumed: route {} cluster {} (resumed by another replica, or its"
            + " shared halt expired)", route, cluster);
      }
    }
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
    /** What the shared store knows this canary by: route, cluster and the route's split. */
    final String key;
    private final long bucketNanos;
    private final long[] starts = new long[BUCKETS];
    private final long[] totals = new long[BUCKETS];
    private final long[] failures = new long[BUCKETS];
    volatile boolean halted;
    /** Whether the shared store holds a halt of this canary (as last read). */
    volatile boolean shared;
    /** Counts this replica's halts and resumes, so a read that began before one does not undo it. */
    volatile long haltSeq;

    Window(ProxyConfig.Halt halt, String key) {
      this.halt = halt;
      this.key = key;
      this.bucketNanos = Math.max(1, halt.window().toNanos() / BUCKETS);
      java.util.Arrays.fill(starts, Long.MIN_VALUE);
    }

    /** Forgets every outcome and the halt. */
    synchronized void clear() {
      java.util.Arrays.fill(starts, Long.MIN_VALUE);
      java.util.Arrays.fill(totals, 0);
      java.util.Arrays.fill(failures, 0);
      halted = false;
      shared = false;
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
