package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.server.HttpService;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/** Builds a {@link CustosProxy}. Not thread-safe; the proxy it builds is. */
public final class CustosProxyBuilder {
  final ProxyConfig config;
  final Map<FilterStage, List<Function<? super HttpService, ? extends HttpService>>> decorators =
      new EnumMap<>(FilterStage.class);
  Duration reloadInterval = Duration.ofSeconds(1);
  boolean watch = true;
  @Nullable PrometheusMeterRegistry registry;
  FindingsSink findingsSink = FindingsSink.noop();
  @Nullable RateLimitStore rateLimitStore;
  @Nullable BudgetStore budgetStore;
  java.util.function.LongSupplier nanoTime = System::nanoTime;
  java.time.Clock wallClock = java.time.Clock.systemUTC();
  RandomGenerator random = new java.util.Random();
  java.util.function.Consumer<io.netty.channel.ChannelPipeline> pipelineCustomizer = p -> {};
  io.fabric8.kubernetes.client.@Nullable KubernetesClient kubernetesClient;
  Map<String, String> environment = System.getenv();

  CustosProxyBuilder(ProxyConfig config) {
    this.config = requireNonNull(config, "config");
  }

  /** For tests: customizes every client channel's pipeline, after the proxy's own handlers. */
  CustosProxyBuilder pipelineCustomizer(
      java.util.function.Consumer<io.netty.channel.ChannelPipeline> customizer) {
    this.pipelineCustomizer = requireNonNull(customizer, "customizer");
    return this;
  }

  /** For tests: the environment the proxy reads ({@code OTEL_*}) instead of the process's. */
  CustosProxyBuilder environment(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
    return this;
  }

  /**
   * For tests: the Kubernetes client of clusters with {@code kubernetes:} discovery (such as one
   * of fabric8's mock server); the proxy does not close it. By default the proxy builds one from
   * its environment (service account or kubeconfig) when such a cluster first appears.
   */
  CustosProxyBuilder kubernetesClient(io.fabric8.kubernetes.client.KubernetesClient client) {
    this.kubernetesClient = requireNonNull(client, "client");
    return this;
  }

  /**
   * Adds a decorator at a stage of the filter chain (see {@link FilterStage} for the order).
   * Decorators run after routing, so {@link ProxyRequest} tells them the route and configuration.
   */
  public CustosProxyBuilder decorator(FilterStage stage,
      Function<? super HttpService, ? extends HttpService> decorator) {
    requireNonNull(stage, "stage");
    requireNonNull(decorator, "decorator");
    decorators.computeIfAbsent(stage, s -> new ArrayList<>()).add(decorator);
    return this;
  }

  /**
   * Sets how often the configuration file and its policy file are checked for changes. Default
   * 1 second.
   */
  public CustosProxyBuilder reloadInterval(Duration interval) {
    requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
    }
    this.reloadInterval = interval;
    return this;
  }

  /**
   * Sets whether the configuration's file (when it was loaded from one) is watched and reloaded
   * on change. Default true.
   */
  public CustosProxyBuilder watch(boolean watch) {
    this.watch = watch;
    return this;
  }

  /** Sets the registry metrics go to and {@code /metrics} shows. Default: a new one. */
  public CustosProxyBuilder meterRegistry(PrometheusMeterRegistry registry) {
    this.registry = requireNonNull(registry, "registry");
    return this;
  }

  /**
   * Sets where the inspection layer sends one findings event per message, in addition to the
   * configuration's {@code findings.file}. Default: none.
   */
  public CustosProxyBuilder findingsSink(FindingsSink sink) {
    this.findingsSink = requireNonNull(sink, "sink");
    return this;
  }

  /**
   * Sets where rate-limit buckets live; the proxy closes it when it stops. Default: Redis (through
   * Bucket4j) when the configuration has {@code shared_state}, else {@link
   * RateLimitStore#inMemory()}.
   */
  public CustosProxyBuilder rateLimitStore(RateLimitStore store) {
    this.rateLimitStore = requireNonNull(store, "store");
    return this;
  }

  /**
   * Sets where per-identity budgets live; the proxy closes it when it stops. Default: Redis when
   * the configuration has {@code shared_state}, else {@link BudgetStore#inMemory()}.
   */
  public CustosProxyBuilder budgetStore(BudgetStore store) {
    this.budgetStore = requireNonNull(store, "store");
    return this;
  }

  /** Sets the clocks rate limits and replay windows read; for tests. */
  CustosProxyBuilder clocks(java.util.function.LongSupplier nanoTime, java.time.Clock wallClock) {
    this.nanoTime = requireNonNull(nanoTime, "nanoTime");
    this.wallClock = requireNonNull(wallClock, "wallClock");
    return this;
  }

  /**
   * Sets the source of the weighted choices between a split's clusters; it must be thread-safe.
   * Default: a new {@link java.util.Random}. Tests pass a seeded one.
   */
  public CustosProxyBuilder random(RandomGenerator random) {
    this.random = requireNonNull(random, "random");
    return this;
  }

  /** Returns the proxy, not yet started. */
  public CustosProxy build() {
    PrometheusMeterRegistry r = registry != null ? registry
        : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    return new CustosProxy(this, r);
  }
}
