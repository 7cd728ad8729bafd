package dev.custos.proxy.internal.upstream;

import com.linecorp.armeria.client.circuitbreaker.CircuitState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The upstream meters, which outlive reloads: gauges read the cluster runtime currently serving
 * each cluster name, so that a reload that replaces a cluster keeps one series per cluster.
 *
 * <ul>
 *   <li>{@code custos_circuit_breaker_state{cluster}}: 0 closed, 1 half-open, 2 open
 *   <li>{@code custos_circuit_breaker_transitions_total{cluster,to}}
 *   <li>{@code custos_retries_total{cluster,result}}: result {@code retried} or {@code
 *       budget_exhausted}
 *   <li>{@code custos_upstream_rejected_total{cluster,reason}}: reason {@code bulkhead} or
 *       {@code circuit_open}
 *   <li>{@code custos_endpoint_healthy{cluster,endpoint}}: 1 when the endpoint gets traffic
 *   <li>{@code custos_outlier_ejections_total{cluster}}
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class UpstreamMetrics {
  private final MeterRegistry registry;
  private final Map<String, ClusterRuntime> current = new ConcurrentHashMap<>();
  private final Set<String> breakerGauges = ConcurrentHashMap.newKeySet();
  private final Set<List<String>> endpointGauges = ConcurrentHashMap.newKeySet();
  private final Map<List<String>, Counter> counters = new ConcurrentHashMap<>();

  public UpstreamMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Makes {@code runtime} the one the gauges of its cluster read. */
  void serve(ClusterRuntime runtime) {
    current.put(runtime.name(), runtime);
  }

  /** Forgets a cluster no configuration has any more; its gauges then read 0. */
  void forget(String cluster, ClusterRuntime runtime) {
    current.remove(cluster, runtime);
  }

  void breakerGauge(String cluster) {
    if (breakerGauges.add(cluster)) {
      Gauge.builder("custos.circuit.breaker.state", this, m -> m.breakerState(cluster))
          .description("State of a cluster's circuit breaker: 0 closed, 1 half-open, 2 open")
          .tag("cluster", cluster)
          .register(registry);
    }
  }

  private double breakerState(String cluster) {
    ClusterRuntime r = current.get(cluster);
    CircuitState s = r == null ? null : r.breakerState();
    if (s == null || s == CircuitState.CLOSED) {
      return 0;
    }
    return s == CircuitState.HALF_OPEN ? 1 : 2;
  }

  void endpointGauge(String cluster, String endpoint) {
    if (endpointGauges.add(List.of(cluster, endpoint))) {
      Gauge.builder("custos.endpoint.healthy", this, m -> m.healthy(cluster, endpoint))
          .description("Whether an endpoint gets traffic: known, passing its health check and"
              + " not ejected (1) or not (0)")
          .tag("cluster", cluster)
          .tag("endpoint", endpoint)
          .register(registry);
    }
  }

  private double healthy(String cluster, String endpoint) {
    ClusterRuntime r = current.get(cluster);
    return r != null && r.healthy(endpoint) ? 1 : 0;
  }

  void transition(String cluster, CircuitState to) {
    counter("custos.circuit.breaker.transitions", "Circuit breaker state changes by new state",
        "cluster", cluster, "to", state(to)).increment();
  }

  void retry(String cluster, String result) {
    counter("custos.retries", "Retry decisions: retried, or refused by the retry budget",
        "cluster", cluster, "result", result).increment();
  }

  /** Counts a request refused before reaching the cluster ({@code bulkhead}, {@code circuit_open}). */
  public void rejected(String cluster, String reason) {
    counter("custos.upstream.rejected", "Requests refused before reaching a cluster, by reason",
        "cluster", cluster, "reason", reason).increment();
  }

  void ejection(String cluster) {
    counter("custos.outlier.ejections", "Endpoints ejected by outlier detection",
        "cluster", cluster, null, null).increment();
  }

  private Counter counter(String name, String description, String k1, String v1,
      @Nullable String k2, @Nullable String v2) {
    List<String> key = k2 == null ? List.of(name, v1) : List.of(name, v1, v2);
    Counter c = counters.get(key);
    if (c != null) {
      return c;
    }
    return counters.computeIfAbsent(key, k -> {
      Counter.Builder b = Counter.builder(name).description(description).tag(k1, v1);
      if (k2 != null && v2 != null) {
        b.tag(k2, v2);
      }
      return b.register(registry);
    });
  }

  static String state(CircuitState s) {
    return s == CircuitState.FORCED_OPEN ? "open" : s.name().toLowerCase(Locale.ROOT);
  }
}
