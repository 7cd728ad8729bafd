package dev.custos.command.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs a task every interval on its own daemon thread, the first run one interval after
 * {@link #start}; a run that throws is reported to the failure handler and the schedule goes
 * on. Runs never overlap (fixed delay). {@link #close} stops the thread, waiting up to ten
 * seconds for a run in progress. Thread-safe.
 */
public final class PeriodicTask implements AutoCloseable {
  /** One run of the task. */
  @FunctionalInterface
  public interface Run {
    /** Runs the task once. */
    void run() throws Exception;
  }

  private final Duration every;
  private final Run run;
  private final Consumer<Exception> onFailure;
  private final ScheduledExecutorService timer;

  /**
   * Creates the task; nothing runs before {@link #start}.
   *
   * @param thread the name of its thread
   * @param every the delay between the end of a run and the start of the next, above zero
   * @param run the task
   * @param onFailure called on the task's thread with what a run threw
   */
  public PeriodicTask(String thread, Duration every, Run run, Consumer<Exception> onFailure) {
    requireNonNull(thread, "thread");
    this.every = requireNonNull(every, "every");
    this.run = requireNonNull(run, "run");
    this.onFailure = requireNonNull(onFailure, "onFailure");
    if (every.isZero() || every.isNegative()) {
      throw new IllegalArgumentException("every: " + every + " (expected: above zero)");
    }
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, thread);
      t.setDaemon(true);
      return t;
    });
  }

  /** Schedules the task. */
  public void start() {
    long ms = every.toMillis();
    timer.scheduleWithFixedDelay(() -> {
      try {
        run.run();
      } catch (Exception e) {
        onFailure.accept(e);
      }
    }, ms, ms, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
