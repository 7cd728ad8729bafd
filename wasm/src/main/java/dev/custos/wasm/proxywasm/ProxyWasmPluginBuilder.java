package dev.custos.wasm.proxywasm;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.time.Clock;

/** Builds a {@link ProxyWasmPlugin}. Not thread-safe. */
public final class ProxyWasmPluginBuilder {
  private final ProxyWasmFilterConfig config;
  private MeterRegistry meterRegistry = Metrics.globalRegistry;
  private ProxyWasmSharedData sharedData = ProxyWasmSharedData.create();
  private Clock clock = Clock.systemUTC();

  ProxyWasmPluginBuilder(ProxyWasmFilterConfig config) {
    this.config = config;
  }

  /** Sets where metrics the filter defines are registered (default: Micrometer's global one). */
  public ProxyWasmPluginBuilder meterRegistry(MeterRegistry meterRegistry) {
    this.meterRegistry = requireNonNull(meterRegistry, "meterRegistry");
    return this;
  }

  /**
   * Sets the store of shared data and queues (default: a new one for this plugin); give every
   * plugin of a host the same store, so that plugins of one VM id share data and queues can be
   * resolved across VM ids.
   */
  public ProxyWasmPluginBuilder sharedData(ProxyWasmSharedData sharedData) {
    this.sharedData = requireNonNull(sharedData, "sharedData");
    return this;
  }

  /** Sets the clock behind {@code proxy_get_current_time_nanoseconds} (default: system UTC). */
  public ProxyWasmPluginBuilder clock(Clock clock) {
    this.clock = requireNonNull(clock, "clock");
    return this;
  }

  /** Returns the plugin. */
  public ProxyWasmPlugin build() {
    return new ProxyWasmPlugin(config, meterRegistry, sharedData, clock);
  }
}
