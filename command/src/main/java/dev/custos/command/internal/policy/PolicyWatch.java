package dev.custos.command.internal.policy;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes the proxies' long polls when rollouts change. A waiter is a future, not a thread; there
 * are at most {@code maxWaiters}. A change made through this replica wakes them at once
 * ({@link #changed()}); one made by another replica is seen by reading the rollouts' revision
 * from the database every {@code interval} while anyone waits. Thread-safe.
 */
public final class PolicyWatch implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(PolicyWatch.class);

  private final Set<CompletableFuture<Void>> waiters = ConcurrentHashMap.newKeySet();
  private final PolicyStore store;
  private final int maxWaiters;
  private final ScheduledExecutorService poller;
  /** Counts {@link #changed()} calls, so that a waiter can tell it missed one. */
  private final AtomicLong generation = new AtomicLong();
  private volatile long revision = Long.MIN_VALUE;

  /** Starts the watch; {@code interval} is how often another replica's changes are looked for. */
  public PolicyWatch(PolicyStore store, int maxWaiters, Duration interval,
      MeterRegistry registry) {
    this.store = requireNonNull(store, "store");
    this.maxWaiters = maxWaiters;
    Gauge.builder("custos.command.policy.waiters", waiters, Set::size)
        .description("Proxies' long polls of GET /api/v1/proxy/policy waiting for a change")
        .register(registry);
    this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "custos-command-policy-watch");
      t.setDaemon(true);
      return t;
    });
    try {
      // The baseline: a change made by another replica from now on wakes the polls.
      revision = store.rolloutsRevision();
    } catch (SQLException | RuntimeException e) {
      logger.warn("policy watch: cannot read the rollouts' revision: {}",
          e.getClass().getSimpleName());
    }
    long ms = Math.max(10, interval.toMillis());
    poller.scheduleWithFixedDelay(this::poll, ms, ms, TimeUnit.MILLISECONDS);
  }

  /**
   * Returns the current generation: read it before reading the rollouts, and pass it to {@link
   * #next} so that a change made in between is not missed.
   */
  long generation() {
    return generation.get();
  }

  /**
   * Returns a future completed at the next change after generation {@code seen} (at once when
   * there was one already), or null when {@code maxWaiters} already wait. The caller removes it
   * with {@link #done} when it stops waiting.
   */
  @Nullable CompletableFuture<Void> next(long seen) {
    if (waiters.size() >= maxWaiters) {
      return null;
    }
    CompletableFuture<Void> f = new CompletableFuture<>();
    waiters.add(f);
    // Added before the generation is read: a change after this read completes it in changed().
    if (generation.get() != seen) {
      waiters.remove(f);
      f.complete(null);
    }
    return f;
  }

  /** Forgets a waiter. */
  void done(CompletableFuture<Void> f) {
    waiters.remove(f);
  }

  /**
   * Wakes every waiter: rollouts changed through this replica (call it once the change is
   * committed). The revision is noted first, so that the next database poll does not wake the
   * waiters a second time for the same change.
   */
  public void changed() {
    try {
      long now = store.rolloutsRevision();
      synchronized (this) {
        revision = now;
      }
    } catch (SQLException | RuntimeException e) {
      logger.warn("policy watch: cannot read the rollouts' revision: {}",
          e.getClass().getSimpleName());
    }
    wake();
  }

  private void wake() {
    generation.incrementAndGet();
    for (CompletableFuture<Void> f : waiters) {
      waiters.remove(f);
      f.complete(null);
    }
  }

  /** Reads the rollouts' revision and wakes the waiters when another replica changed it. */
  void poll() {
    try {
      if (waiters.isEmpty() && revision != Long.MIN_VALUE) {
        return;
      }
      long now = store.rolloutsRevision();
      boolean changedElsewhere;
      synchronized (this) {
        changedElsewhere = revision != Long.MIN_VALUE && revision != now;
        revision = now;
      }
      if (changedElsewhere) {
        wake();
      }
    } catch (SQLException | RuntimeException e) {
      logger.warn("policy watch: cannot read the rollouts' revision: {}",
          e.getClass().getSimpleName());
    }
  }

  @Override
  public void close() {
    poller.shutdownNow();
    wake();
  }
}
