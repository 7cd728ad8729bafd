package dev.custos.command.internal.ingest;

import static java.util.Objects.requireNonNull;

import dev.custos.command.internal.store.Batch;
import dev.custos.command.internal.store.Outcome;
import dev.custos.command.internal.store.Store;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Group commit: the writers that parsed a batch hand it here and wait; a few committer threads
 * each take what has queued up meanwhile (one batch at least, up to {@code maxEvents} events)
 * and store it in one transaction with {@link Store#ingest(List)}. Under light load a group is
 * one batch and nothing waits for company; under heavy load transactions grow, and with them
 * the in-memory aggregation of roll-ups across batches. Idempotency by batch id holds inside a
 * group, and a failing group is retried batch by batch by the store.
 *
 * <p>A writer waits at most {@code maxWait}: a database that holds a group longer (stuck, or far
 * too slow) frees the writer with a {@link SQLTimeoutException}, counted in {@code
 * custos_command_ingest_store_timeouts_total}; a batch still queued then is withdrawn, one
 * already taken may yet be stored, which the batch id makes harmless when the proxy retries.
 *
 * <p>The queue holds at most one batch per waiting writer, so its size is bounded by the
 * writers' pool. Thread-safe.
 */
public final class GroupCommit implements BatchSink, AutoCloseable {
  /** Tells a committer to stop; never stored. */
  private static final Pending STOP = new Pending(new Batch("stop", "stop", "stop", "stop", 0,
      List.of()));

  /** How long a writer waits for its batch by default. */
  public static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(30);

  /** Stores a group of batches in one transaction. */
  @FunctionalInterface
  interface Committer {
    /** Returns each batch's outcome, in order. */
    List<Outcome> ingest(List<Batch> batches);
  }

  private final Committer store;
  private final int maxEvents;
  private final Duration maxWait;
  private final Counter timeouts;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final List<Thread> committers = new ArrayList<>();
  private final DistributionSummary groupSize;
  private final AtomicLong taken = new AtomicLong();
  /** Guards {@link #closed} and the queue's tail: no batch is queued after the stop tokens. */
  private final Object tail = new Object();
  private boolean closed;

  /**
   * Starts {@code committers} committer threads; a writer waits at most {@link
   * #DEFAULT_MAX_WAIT}.
   *
   * @param maxEvents a committer stops adding batches to a group once it holds this many events
   */
  public GroupCommit(Store store, int committers, int maxEvents, MeterRegistry registry) {
    this(requireNonNull(store, "store")::ingest, committers, maxEvents, DEFAULT_MAX_WAIT,
        registry);
  }

  /**
   * Starts {@code committers} committer threads.
   *
   * @param maxEvents a committer stops adding batches to a group once it holds this many events
   * @param maxWait how long a writer waits for its batch to be stored, above zero
   */
  GroupCommit(Committer store, int committers, int maxEvents, Duration maxWait,
      MeterRegistry registry) {
    this.store = requireNonNull(store, "store");
    this.maxWait = requireNonNull(maxWait, "maxWait");
    if (committers < 1 || maxEvents < 1 || maxWait.isZero() || maxWait.isNegative()) {
      throw new IllegalArgumentException("group commit: committers " + committers
          + ", maxEvents " + maxEvents + ", maxWait " + maxWait
          + " (expected: at least 1 each, a wait above zero)");
    }
    this.maxEvents = maxEvents;
    this.groupSize = DistributionSummary.builder("custos_command_ingest_group_batches")
        .description("Batches stored per database transaction").register(registry);
    this.timeouts = Counter.builder("custos_command_ingest_store_timeouts")
        .description("Batches whose writer stopped waiting for the database").register(registry);
    for (int i = 1; i <= committers; i++) {
      Thread t = new Thread(this::run, "custos-command-committer-" + i);
      t.setDaemon(true);
      this.committers.add(t);
    }
    for (Thread t : this.committers) {
      t.start();
    }
  }

  /**
   * Stores a batch with the next group and waits for it.
   *
   * @return the number of events stored, or -1 for a duplicate
   * @throws SQLException if the batch could not be stored, alone or in its group
   */
  @Override
  public int store(Batch batch) throws SQLException {
    Pending p = new Pending(requireNonNull(batch, "batch"));
    synchronized (tail) {
      if (closed) {
        throw new SQLException("the command plane is stopping (expected: a retry)");
      }
      queue.add(p);
    }
    Outcome o;
    try {
      o = p.done.get(maxWait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      queue.remove(p);
      timeouts.increment();
      throw new SQLTimeoutException("batch not stored within " + maxWait.toMillis() + " ms:"
          + " the database is stuck or too slow (expected: a retry; the batch id makes it safe)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while the batch was being stored", e);
    } catch (ExecutionException e) {
      throw new SQLException("group commit failed: " + e.getCause().getClass().getSimpleName(),
          e.getCause());
    }
    if (o.failure() instanceof SQLException e) {
      throw e;
    }
    if (o.failure() != null) {
      throw new SQLException("batch not stored: " + o.failure().getClass().getSimpleName(),
          o.failure());
    }
    return o.stored();
  }

  /** Returns the batches waiting for a committer (for tests). */
  int queued() {
    return queue.size();
  }

  /** Returns the batches committers have taken from the queue so far (for tests). */
  long taken() {
    return taken.get();
  }

  private void run() {
    List<Pending> group = new ArrayList<>();
    while (true) {
      Pending first;
      try {
        first = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      if (first == STOP) {
        return;
      }
      group.clear();
      group.add(first);
      int events = first.batch.events().size();
      Pending next;
      while (events < maxEvents && (next = queue.poll()) != null) {
        if (next == STOP) {
          queue.add(STOP);
          break;
        }
        group.add(next);
        events += next.batch.events().size();
      }
      taken.addAndGet(group.size());
      List<Batch> batches = new ArrayList<>(group.size());
      for (Pending p : group) {
        batches.add(p.batch);
      }
      try {
        List<Outcome> outcomes = store.ingest(batches);
        groupSize.record(group.size());
        for (int i = 0; i < group.size(); i++) {
          group.get(i).done.complete(outcomes.get(i));
        }
      } catch (RuntimeException | Error e) {
        for (Pending p : group) {
          p.done.completeExceptionally(e);
        }
      }
    }
  }

  /**
   * Stops the committers once the batches already queued are stored, waiting up to {@code
   * timeout}.
   */
  public void close(long timeout, TimeUnit unit) {
    synchronized (tail) {
      if (closed) {
        return;
      }
      closed = true;
      for (int i = 0; i < committers.size(); i++) {
        queue.add(STOP);
      }
    }
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    for (Thread t : committers) {
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public void close() {
    close(30, TimeUnit.SECONDS);
  }

  private static final class Pending {
    final Batch batch;
    final CompletableFuture<Outcome> done = new CompletableFuture<>();

    Pending(Batch batch) {
      this.batch = batch;
    }
  }
}
