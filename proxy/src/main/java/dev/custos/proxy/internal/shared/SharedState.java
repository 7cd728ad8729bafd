package dev.custos.proxy.internal.shared;

import static java.util.Objects.requireNonNull;

import dev.custos.proxy.BudgetStore;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.RateLimitStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's budgets, rate-limit buckets and replay nonces, in Redis when the configuration has
 * {@code shared_state}, else in this process's memory. The stores it hands out stay the same
 * across reloads; a reload that changes {@code shared_state} connects anew and closes the old
 * connection, one that removes it goes back to memory.
 *
 * <p>While Redis cannot answer, {@code fail_open} uses the in-memory stores (which always see this
 * process's own additions, so they hold what this replica counted) and {@code fail_closed} fails
 * the stage with {@link SharedStateUnavailableException}; each time counts {@code
 * custos_shared_state_unavailable_total{store,outcome}} (store: budget, rate_limit, nonce, canary;
 * outcome: fallback, refused, write_failed). Thread-safe.
 */
public final class SharedState implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(SharedState.class);

  private final MeterRegistry registry;
  private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final RedisBudgetStore budgets;
  private final RedisRateLimitStore rateLimits;
  private final RedisNonces nonces;
  private final RedisCanaryHalts canaryHalts = new RedisCanaryHalts(this);
  private volatile @Nullable RedisBackend backend;

  /**
   * Creates the shared state over in-memory stores, without Redis until {@link #update} names a
   * server.
   */
  public SharedState(MeterRegistry registry, BudgetStore localBudgets,
      RateLimitStore localRateLimits, Nonces localNonces) {
    this.registry = requireNonNull(registry, "registry");
    this.budgets = new RedisBudgetStore(this, requireNonNull(localBudgets, "localBudgets"));
    this.rateLimits = new RedisRateLimitStore(this,
        requireNonNull(localRateLimits, "localRateLimits"));
    this.nonces = new RedisNonces(this, requireNonNull(localNonces, "localNonces"));
    registry.gauge("custos.shared.state.pending.writes", budgets,
        RedisBudgetStore::pendingWrites);
  }

  /** Returns the budget store: shared when configured, with the in-memory one as fallback. */
  public BudgetStore budgets() {
    return budgets;
  }

  /** Returns the rate-limit store: shared when configured, with the in-memory one as fallback. */
  public RateLimitStore rateLimits() {
    return rateLimits;
  }

  /** Returns where canary halts are shared: Redis when configured, else nowhere. */
  public dev.custos.proxy.internal.Canaries.HaltStore canaryHalts() {
    return canaryHalts;
  }

  /** Returns the replay nonces: shared when configured, with the in-memory ones as fallback. */
  public Nonces nonces() {
    return nonces;
  }

  /**
   * Waits up to the connect timeout for the connection to Redis, if one is configured; for start
   * and tests, never on an event loop. Returns whether the shared state is usable (true without
   * {@code shared_state}).
   */
  public boolean awaitConnected() {
    RedisBackend b = backend;
    return b == null || b.awaitConnected();
  }

  /**
   * Applies {@code shared_state} (at start and on each reload): nothing when it is unchanged, else
   * a new connection (waiting at most its connect timeout for it; the old one serves meanwhile),
   * or none, from now on; the old connection is closed in the background.
   *
   * @throws java.io.UncheckedIOException if the password file cannot be read (nothing changes)
   */
  public synchronized void update(ProxyConfig.@Nullable SharedState config) {
    RedisBackend old = backend;
    if (Objects.equals(old == null ? null : old.config, config)) {
      return;
    }
    RedisBackend next = config == null ? null : new RedisBackend(config);
    if (next != null) {
      // The old connection serves until the new one is up (or connect_timeout passed), so that a
      // reload does not send requests to the fallback meanwhile. Never on an event loop.
      next.awaitConnected();
    }
    backend = next;
    budgets.forgetViews();
    logger.info("shared_state: {}", config == null ? "removed; budgets, rate"
        + " limits and nonces are kept in this process's memory" : "now redis "
        + next.server());
    if (old != null) {
      CompletableFuture.runAsync(old::close);
    }
  }

  @Nullable RedisBackend backend() {
    return backend;
  }

  /** Counts one time the shared state could not be used. */
  void unavailable(String store, String outcome) {
    String key = store + '\0' + outcome;
    Counter c = counters.get(key);
    if (c == null) {
      c = counters.computeIfAbsent(key, k -> Counter.builder("custos.shared.state.unavailable")
          .description("Times the Redis shared state could not be used, by store and outcome"
              + " (fallback to this process's memory, refused with 503, write_failed)")
          .tag("store", store)
          .tag("outcome", outcome)
          .register(registry));
    }
    c.increment();
  }

  /**
   * Returns what a store does when Redis failed: null to fall back to memory (counted), else the
   * exception to fail with (counted as refused).
   */
  @Nullable SharedStateUnavailableException onFailure(RedisBackend b, String store,
      Throwable error) {
    if (b.config.onUnavailable() == ProxyConfig.SharedState.OnUnavailable.FAIL_CLOSED) {
      unavailable(store, "refused");
      return new SharedStateUnavailableException(store, b.server(), error);
    }
    unavailable(store, "fallback");
    return null;
  }

  /** Closes the connection and the in-memory stores; waits at most a few seconds. */
  @Override
  public synchronized void close() {
    RedisBackend b = backend;
    backend = null;
    if (b != null) {
      b.close();
    }
    budgets.close();
    rateLimits.close();
    nonces.close();
  }

  @Override
  public String toString() {
    RedisBackend b = backend;
    return "SharedState{" + (b == null ? "memory" : "redis " + b.server()) + "}";
  }
}
