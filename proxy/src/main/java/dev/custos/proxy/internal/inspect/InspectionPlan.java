package dev.custos.proxy.internal.inspect;

import static java.util.Objects.requireNonNull;

import dev.custos.proxy.InspectionSettings;

/**
 * What the inspection of every exchange on one route shares, worked out once when the route's
 * settings are: the settings and the route's meters. Immutable and thread-safe.
 */
public final class InspectionPlan {
  private final InspectionSettings settings;
  private final InspectionMetrics metrics;

  private InspectionPlan(InspectionSettings settings) {
    this.settings = settings;
    this.metrics = InspectionMetrics.of(settings.meterRegistry(), settings.route());
  }

  /** Returns the plan of exchanges inspected with {@code settings}. */
  public static InspectionPlan of(InspectionSettings settings) {
    return new InspectionPlan(requireNonNull(settings, "settings"));
  }

  /** Returns the settings the plan was made for. */
  public InspectionSettings settings() {
    return settings;
  }

  InspectionMetrics metrics() {
    return metrics;
  }
}
