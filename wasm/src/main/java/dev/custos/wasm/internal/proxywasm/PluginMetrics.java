package dev.custos.wasm.internal.proxywasm;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Holds the metrics a plugin's filters define, shared by all its VMs, on a Micrometer registry
 * with the tag {@code plugin=<name>}. Thread-safe.
 */
public final class PluginMetrics {
  /** Holds one defined metric. */
  static final class Metric {
    final int type;
    final @Nullable Counter counter;
    final @Nullable AtomicLong gauge;
    final @Nullable DistributionSummary histogram;

    Metric(
        int type,
        @Nullable Counter counter,
        @Nullable AtomicLong gauge,
        @Nullable DistributionSummary histogram) {
      this.type = type;
      this.counter = counter;
      this.gauge = gauge;
      this.histogram = histogram;
    }
  }

  private final MeterRegistry registry;
  private final String plugin;
  private final ConcurrentHashMap<String, Metric> metrics = new ConcurrentHashMap<>();
  private final PluginLog log;

  /** Creates the metrics (and the rate-limited stdout/stderr log) of the named plugin. */
  public PluginMetrics(MeterRegistry registry, String plugin) {
    this.registry = registry;
    this.plugin = plugin;
    this.log = PluginLog.of(plugin);
  }

  /** Returns where the plugin's stdout/stderr lines go, shared by all its VMs. */
  PluginLog log() {
    return log;
  }

  /**
   * Returns the metric, defining it on first use.
   *
   * @throws IllegalArgumentException if the registry holds the name with another meter type
   */
  Metric define(int type, String name) {
    return metrics.computeIfAbsent(
            type + ":" + name,
            k ->
                switch (type) {
                  case Abi.COUNTER ->
                      new Metric(
                          type,
                          Counter.builder(name).tag("plugin", plugin).register(registry),
                          null,
                          null);
                  case Abi.GAUGE -> {
                    AtomicLong value = new AtomicLong();
                    Gauge.builder(name, value, AtomicLong::doubleValue)
                        .tag("plugin", plugin)
                        .strongReference(true)
                        .register(registry);
                    yield new Metric(type, null, value, null);
                  }
                  default ->
                      new Metric(
                          type,
                          null,
                          null,
                          DistributionSummary.builder(name)
                              .tag("plugin", plugin)
                              .register(registry));
                });
  }
}
