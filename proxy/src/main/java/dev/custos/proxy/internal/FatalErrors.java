package dev.custos.proxy.internal;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the proxy's threads report an {@link Error} (out of memory, stack overflow, a linkage
 * error…): each is logged in one line and counted ({@code custos_fatal_errors_total}), and from
 * the first one on the admin server's {@code /readyz} and {@code /healthz} answer 503, so that an
 * orchestrator stops sending traffic and restarts the process instead of leaving a zombie. Also
 * the uncaught-exception handler of the proxy's own threads.
 *
 * <p>The log line names the thread and the error's class, never its message (which may quote
 * data). Thread-safe.
 */
public final class FatalErrors implements Thread.UncaughtExceptionHandler {
  private static final Logger logger = LoggerFactory.getLogger(FatalErrors.class);

  private final AtomicReference<@Nullable String> first = new AtomicReference<>();
  private final Counter counter;

  /** Creates the recorder, counting errors in {@code registry}. */
  public FatalErrors(MeterRegistry registry) {
    this.counter = Counter.builder("custos.fatal.errors")
        .description("Errors (out of memory, stack overflow...) seen on the proxy's threads")
        .register(registry);
  }

  /**
   * Records a throwable seen on {@code where} (a thread or component name): an {@link Error} makes
   * the proxy unhealthy; anything else is only logged.
   */
  public void report(String where, Throwable t) {
    requireNonNull(where, "where");
    requireNonNull(t, "t");
    if (!(t instanceof Error)) {
      logger.warn("unexpected {} on {}", t.getClass().getName(), where);
      return;
    }
    counter.increment();
    String reason = t.getClass().getSimpleName() + " on " + where;
    first.compareAndSet(null, reason);
    logger.error("fatal error: {} (at {}); the proxy now reports itself unhealthy on /readyz and"
        + " /healthz (expected: a restart)", reason, topFrame(t));
  }

  @Override
  public void uncaughtException(Thread thread, Throwable t) {
    report(thread.getName(), t);
  }

  /** Returns whether an {@link Error} was reported. */
  public boolean failed() {
    return first.get() != null;
  }

  /** Returns the first error reported, such as {@code OutOfMemoryError on custos-worker-1}. */
  public @Nullable String reason() {
    return first.get();
  }

  /**
   * Wraps a periodic task so that whatever it throws is reported and swallowed: a scheduled
   * executor would otherwise cancel every later run, silently.
   */
  public Runnable guard(String where, Runnable task) {
    requireNonNull(where, "where");
    requireNonNull(task, "task");
    return () -> {
      try {
        task.run();
      } catch (Throwable t) {
        report(where, t);
      }
    };
  }

  private static String topFrame(Throwable t) {
    StackTraceElement[] trace = t.getStackTrace();
    return trace.length == 0 ? "unknown" : trace[0].toString();
  }
}
