package dev.custos.wasm;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;

/** Builds {@link WasmDetectors}. Not thread-safe; the built factory is. */
public final class WasmDetectorsBuilder {
  private MeterRegistry meterRegistry = Metrics.globalRegistry;
  private int maxMemoryPages = SandboxLimits.ofDefault().maxMemoryPages();
  private int maxInstances = SandboxLimits.ofDefault().maxInstances();

  WasmDetectorsBuilder() {}

  /** Sets where call failures are counted (default: the global registry). */
  public WasmDetectorsBuilder meterRegistry(MeterRegistry meterRegistry) {
    this.meterRegistry = requireNonNull(meterRegistry, "meterRegistry");
    return this;
  }

  /** Sets the most memory pages (64 KiB each) an instance may have, 1 to 65536 (default 256). */
  public WasmDetectorsBuilder maxMemoryPages(int pages) {
    if (pages < 1 || pages > 65_536) {
      throw new IllegalArgumentException("maxMemoryPages: " + pages + " (expected: 1 to 65536)");
    }
    this.maxMemoryPages = pages;
    return this;
  }

  /** Sets the most instances one detector keeps, one per calling thread (default 64). */
  public WasmDetectorsBuilder maxInstances(int instances) {
    if (instances < 1) {
      throw new IllegalArgumentException("maxInstances: " + instances + " (expected: >= 1)");
    }
    this.maxInstances = instances;
    return this;
  }

  /** Returns the factory. */
  public WasmDetectors build() {
    return new WasmDetectors(meterRegistry, maxMemoryPages, maxInstances);
  }
}
