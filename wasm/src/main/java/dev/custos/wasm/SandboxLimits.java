package dev.custos.wasm;

import java.time.Duration;

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

  SandboxLimits(int maxMemoryPages, Duration callTimeout, int maxInstances) {
    this.maxMemoryPages = maxMemoryPages;
    this.callTimeout = callTimeout;
    this.maxInstances = maxInstances;
  }

  /** Returns the defaults: 256 pages (16 MiB), 100 ms per call, 64 instances. */
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
        + ", maxInstances="
        + maxInstances
        + '}';
  }
}
