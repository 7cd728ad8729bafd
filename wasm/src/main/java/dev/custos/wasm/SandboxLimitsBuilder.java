package dev.custos.wasm;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** Builds {@link SandboxLimits}. Not thread-safe; the built limits are. */
public final class SandboxLimitsBuilder {
  /** The most pages a 32-bit WebAssembly memory can have. */
  private static final int MAX_PAGES = 65_536;

  private int maxMemoryPages = 256;
  private Duration callTimeout = Duration.ofMillis(100);
  private int maxInstances = 64;
  private @Nullable Duration startTimeout;

  SandboxLimitsBuilder() {}

  /** Sets the most linear-memory pages (64 KiB each) an instance may have. */
  public SandboxLimitsBuilder maxMemoryPages(int maxMemoryPages) {
    if (maxMemoryPages < 0 || maxMemoryPages > MAX_PAGES) {
      throw new IllegalArgumentException(
          "maxMemoryPages: " + maxMemoryPages + " (expected: 0.." + MAX_PAGES + ")");
    }
    this.maxMemoryPages = maxMemoryPages;
    return this;
  }

  /** Sets how long one call may run before it is interrupted. */
  public SandboxLimitsBuilder callTimeout(Duration callTimeout) {
    requireNonNull(callTimeout, "callTimeout");
    if (callTimeout.isNegative() || callTimeout.isZero()) {
      throw new IllegalArgumentException("callTimeout: " + callTimeout + " (expected: > 0)");
    }
    this.callTimeout = callTimeout;
    return this;
  }

  /**
   * Sets how long the call that makes a thread's instance may run (instantiation, an ABI layer's
   * start and the body); a value below the call timeout means the call timeout. Default: the call timeout.
   */
  public SandboxLimitsBuilder startTimeout(Duration startTimeout) {
    requireNonNull(startTimeout, "startTimeout");
    if (startTimeout.isNegative() || startTimeout.isZero()) {
      throw new IllegalArgumentException("startTimeout: " + startTimeout + " (expected: > 0)");
    }
    this.startTimeout = startTimeout;
    return this;
  }

  /** Sets the most live instances a sandbox keeps (one per calling thread). */
  public SandboxLimitsBuilder maxInstances(int maxInstances) {
    if (maxInstances < 1) {
      throw new IllegalArgumentException("maxInstances: " + maxInstances + " (expected: >= 1)");
    }
    this.maxInstances = maxInstances;
    return this;
  }

  /** Returns the limits. */
  public SandboxLimits build() {
    return new SandboxLimits(maxMemoryPages, callTimeout, maxInstances, startTimeout);
  }
}
