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
  private final @org.jspecify.annotations.Nullable GrpcDescriptors grpc;

  private InspectionPlan(InspectionSettings settings, @org.jspecify.annotations.Nullable GrpcDescriptors grpc) {
    this.settings = settings;
    this.metrics = InspectionMetrics.of(settings.meterRegistry(), settings.route());
    this.grpc = grpc;
  }

  /** Returns the plan of exchanges inspected with {@code settings}. */
  public static InspectionPlan of(InspectionSettings settings) {
    return new InspectionPlan(requireNonNull(settings, "settings"), null);
  }

  /** Returns the plan of exchanges inspected with {@code settings}, gRPC messages read with {@code grpc}. */
  public static InspectionPlan of(InspectionSettings settings, @org.jspecify.annotations.Nullable GrpcDescriptors grpc) {
    return new InspectionPlan(requireNonNull(settings, "settings"), grpc);
  }

  @org.jspecify.annotations.Nullable GrpcDescriptors grpc() {
    return grpc;
  }

  /** Returns the settings the plan was made for. */
  public InspectionSettings settings() {
    return settings;
  }

  InspectionMetrics metrics() {
    return metrics;
  }
}
