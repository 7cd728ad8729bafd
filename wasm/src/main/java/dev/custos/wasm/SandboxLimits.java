package dev.custos.wasm;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Bounds every instance of a sandbox: linear memory, call duration and instance count.
 *
 * <p>Memory per sandbox is at most {@code maxInstances × maxMemoryPages × 64 KiB}. Immutable and
 * thread-safe.
 */
public final class SandboxLimits {
  /** The size of one WebAssembly memory page, in bytes. */
  public static final int PAGE_SIZE = 65_536;

  private static final SandboxLimits DEFAULT = builder().build();

  private final int maxMemoryPages;
  private final Duration callTimeout;
  private final int maxInstances;
  private final @Nullable Duration startTimeout;

  SandboxLimits(
      int maxMemoryPages, Duration callTimeout, int maxInstances, @Nullable Duration startTimeout) {
    this.maxMemoryPages = maxMemoryPages;
    this.callTimeout = callTimeout;
    this.maxInstances = maxInstances;
    this.startTimeout = startTimeout;
  }

  /**
   * Returns the defaults: 256 pages (16 MiB), 100 ms per call (the call that makes an instance
   * included), 64 instances.
   */
  public static SandboxLimits ofDefault() {
    return DEFAULT;
  }

  /** Returns a builder starting from the defaults. */
  public static SandboxLimitsBuilder builder() {
    return new SandboxLimitsBuilder();
  }

  /** Returns the most linear-memory pages an instance may have; {@code memory.grow} fails past it. */
  public int maxMemoryPages() {
    return maxMemoryPages;
  }

  /** Returns how long one call may run before it is interrupted. */
  public Duration callTimeout() {
    return callTimeout;
  }

  /**
   * Returns how long the call that makes a thread's instance may run, instantiation and the
   * body together (an ABI layer starts its VM there); at least {@link #callTimeout()}, which is
   * also the default.
   */
  public Duration startTimeout() {
    return startTimeout == null || startTimeout.compareTo(callTimeout) < 0
        ? callTimeout
        : startTimeout;
  }

  /** Returns the most live instances (one per calling thread) a sandbox keeps. */
  public int maxInstances() {
    return maxInstances;
  }

  @Override
  public String toString() {
    return "SandboxLimits{maxMemoryPages="
        + maxMemoryPages
        + ", callTimeout="
        + callTimeout
        + ", startTimeout="
        + startTimeout()
        + ", maxInstances="
        + maxInstances
        + '}';
  }
}
