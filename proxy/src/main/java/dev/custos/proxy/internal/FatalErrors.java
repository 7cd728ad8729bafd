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
 * the uncaught-exception handler of the proxy's own threads. Errors reach it from the proxy's
 * threads and scheduled tasks, the listeners' error handler ({@link ProxyErrorHandler}), the
 * request log of every exchange (an exchange that failed after its response started, on either
 * side), and the channel pipeline ({@link PipelineErrorWatch}: what Netty or Armeria caught while
 * decoding).
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

  /**
   * Returns the {@link Error} a throwable is or carries in its cause chain (wrapped in a {@code
   * CompletionException}, a {@code DecoderException}, an aborted stream's exception…), or null.
   * Netty's {@code Signal}, an {@code Error} used for control flow, is not one.
   */
  public static @Nullable Error fatalCause(@Nullable Throwable t) {
    Throwable c = t;
    for (int depth = 0; c != null && depth < 16; depth++) {
      if (c instanceof Error e && !(c instanceof io.netty.util.Signal)) {
        return e;
      }
      if (c.getCause() == c) {
        break;
      }
      c = c.getCause();
    }
    return null;
  }

  /**
   * Reports the {@link Error} that {@code t} is or carries (see {@link #fatalCause}); returns
   * whether there was one. Other throwables are left to the caller.
   */
  public boolean reportIfFatal(String where, @Nullable Throwable t) {
    Error e = fatalCause(t);
    if (e == null) {
      return false;
    }
    report(where, e);
    return true;
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
