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
  private final @org.jspecify.annotations.Nullable GrpcReflection reflection;
  private final dev.custos.proxy.ProxyConfig.@org.jspecify.annotations.Nullable GrpcReflection reflectionConfig;

  private InspectionPlan(InspectionSettings settings, @org.jspecify.annotations.Nullable GrpcDescriptors grpc,
      @org.jspecify.annotations.Nullable GrpcReflection reflection,
      dev.custos.proxy.ProxyConfig.@org.jspecify.annotations.Nullable GrpcReflection reflectionConfig) {
    this.settings = settings;
    this.metrics = InspectionMetrics.of(settings.meterRegistry(), settings.route());
    this.grpc = grpc;
    this.reflection = reflectionConfig == null ? null : reflection;
    this.reflectionConfig = reflection == null ? null : reflectionConfig;
  }

  /** Returns the plan of exchanges inspected with {@code settings}. */
  public static InspectionPlan of(InspectionSettings settings) {
    return new InspectionPlan(requireNonNull(settings, "settings"), null, null, null);
  }

  /** Returns the plan of exchanges inspected with {@code settings}, gRPC messages read with {@code grpc}. */
  public static InspectionPlan of(InspectionSettings settings, @org.jspecify.annotations.Nullable GrpcDescriptors grpc) {
    return new InspectionPlan(requireNonNull(settings, "settings"), grpc, null, null);
  }

  /**
   * Returns the plan of exchanges inspected with {@code settings}, gRPC messages read with the
   * descriptors {@code reflection} fetches from the route's cluster as {@code config} says.
   */
  static InspectionPlan reflecting(InspectionSettings settings, GrpcReflection reflection,
      dev.custos.proxy.ProxyConfig.GrpcReflection config) {
    return new InspectionPlan(requireNonNull(settings, "settings"), null,
        requireNonNull(reflection, "reflection"), requireNonNull(config, "config"));
  }

  /** Returns the cache gRPC descriptors are fetched into by server reflection, or null. */
  @org.jspecify.annotations.Nullable GrpcReflection reflection() {
    return reflection;
  }

  /** Returns how server reflection fetches, or null when the route does not use it. */
  dev.custos.proxy.ProxyConfig.@org.jspecify.annotations.Nullable GrpcReflection reflectionConfig() {
    return reflectionConfig;
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
