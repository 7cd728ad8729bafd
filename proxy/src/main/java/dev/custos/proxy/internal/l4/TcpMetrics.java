package dev.custos.proxy.internal.l4;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A layer-4 listener's own meters, beside the inspection meters its records share with HTTP
 * routes: {@code custos_tcp_records_total{listener,outcome}} (outcome {@code forwarded}, {@code
 * redacted}, {@code dropped}, {@code oversized_forwarded}, {@code oversized_dropped}, {@code
 * unscanned}), {@code custos_tcp_connections_total{listener}} and {@code
 * custos_tcp_upstream_failures_total{listener}}. Labels hold names only. Thread-safe.
 */
final class TcpMetrics {
  private final MeterRegistry registry;
  private final String listener;
  private final ConcurrentMap<String, Counter> records = new ConcurrentHashMap<>();
  private final Counter connections;
  private final Counter upstreamFailures;

  TcpMetrics(MeterRegistry registry, String listener) {
    this.registry = registry;
    this.listener = listener;
    this.connections = Counter.builder("custos.tcp.connections")
        .description("Client connections accepted by a layer-4 listener")
        .tag("listener", listener)
        .register(registry);
    this.upstreamFailures = Counter.builder("custos.tcp.upstream.failures")
        .description("Connections to a layer-4 listener's upstream that could not be opened")
        .tag("listener", listener)
        .register(registry);
  }

  void record(String outcome) {
    records.computeIfAbsent(outcome, o -> Counter.builder("custos.tcp.records")
        .description("Records of a layer-4 listener, by what became of them")
        .tags("listener", listener, "outcome", o)
        .register(registry)).increment();
  }

  void connection() {
    connections.increment();
  }

  void upstreamFailure() {
    upstreamFailures.increment();
  }
}
