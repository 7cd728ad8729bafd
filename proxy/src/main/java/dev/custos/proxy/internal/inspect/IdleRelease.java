package dev.custos.proxy.internal.inspect;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs an action once a body has had no chunk for {@link MessageInspection#JOIN_WAIT_MILLIS} since
 * the last one {@linkplain #chunk() noted}: a pump lets go what its redacting gRPC scan holds in
 * case the next message continues a value. One timer at a time, however many chunks come while it
 * runs. Not thread-safe: every call, and the action, runs on the request's event loop.
 */
final class IdleRelease {
  private static final long WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(MessageInspection.JOIN_WAIT_MILLIS);

  private final ScheduledExecutorService loop;
  private final Runnable action;
  private long lastChunk;
  private boolean armed;

  IdleRelease(ScheduledExecutorService loop, Runnable action) {
    this.loop = java.util.Objects.requireNonNull(loop, "loop");
    this.action = java.util.Objects.requireNonNull(action, "action");
  }

  /** Notes a chunk after which output is held: the action waits until the body has been idle. */
  void chunk() {
    lastChunk = System.nanoTime();
    if (!armed) {
      armed = true;
      loop.schedule(this::fire, WAIT_NANOS, TimeUnit.NANOSECONDS);
    }
  }

  private void fire() {
    long idle = System.nanoTime() - lastChunk;
    if (idle < WAIT_NANOS) {
      // A chunk came since the timer was set: wait out the rest from that chunk.
      loop.schedule(this::fire, WAIT_NANOS - idle, TimeUnit.NANOSECONDS);
      return;
    }
    armed = false;
    action.run();
  }
}
