package dev.custos.proxy.internal;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets at most one log line through per interval and counts those held back, so a flood of
 * refused requests cannot flood the log. Thread-safe and lock-free.
 */
public final class LogThrottle {
  private final long intervalNanos;
  private final AtomicLong next = new AtomicLong(System.nanoTime());
  private final AtomicLong held = new AtomicLong();

  /** Creates a throttle letting one line through per {@code interval}. */
  public LogThrottle(Duration interval) {
    this.intervalNanos = interval.toNanos();
  }

  /**
   * Returns -1 when this line is to be dropped (and counts it), else the number of lines dropped
   * since the last one let through.
   */
  public long tryAcquire() {
    long now = System.nanoTime();
    long at = next.get();
    if (now - at >= 0 && next.compareAndSet(at, now + intervalNanos)) {
      return held.getAndSet(0);
    }
    held.incrementAndGet();
    return -1;
  }
}
