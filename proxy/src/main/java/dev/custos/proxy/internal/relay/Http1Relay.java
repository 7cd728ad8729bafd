package dev.custos.proxy.internal.relay;

import static java.util.Objects.requireNonNull;

import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.Canaries;
import dev.custos.proxy.internal.Snapshot;
import dev.custos.proxy.internal.limits.Limits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.DateFormatter;
import java.time.Duration;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Relays the cleartext listener's HTTP/1.1 connections below Armeria's request model when the
 * configuration needs nothing but forwarding ({@link RelayEligibility}): a gate at the front of
 * each connection's pipeline looks at its first request and either takes the connection (Netty's
 * HTTP/1 codec and a relay handler, upstream connections pooled per event loop) or leaves it to
 * Armeria as before. Records the same per-request metrics as the Armeria path ({@code
 * custos_requests_total}, {@code custos_request_duration_seconds}, {@code custos_traces_total},
 * {@code custos_route_requests_total}, {@code custos_requests_rejected_total}) and counts relayed
 * requests ({@code custos_http1_relay_requests_total}); the gauge {@code custos_http1_relay_active}
 * is 1 while the running configuration lets the listener relay.
 *
 * <p>Thread-safe; the per-connection handlers run on their channel's event loop.
 */
public final class Http1Relay {
  /** The pipeline name of the gate. */
  static final String GATE = "custos-relay-gate";

  private final AtomicReference<Snapshot> current;
  private final boolean decorated;
  final Limits limits;
  final Canaries canaries;
  private final MeterRegistry registry;
  final int headLimit;
  final Duration idleTimeout;
  final Duration shutdownTimeout;
  private final Counter relayed;
  private final Counter tracesContinued;
  private final Counter tracesStarted;
  private final ConcurrentMap<String, RouteMeters> meters = new ConcurrentHashMap<>();
  private final ConcurrentMap<EventLoop, UpstreamPool> pools = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, java.util.concurrent.atomic.AtomicInteger> rounds =
      new ConcurrentHashMap<>();
  private volatile @Nullable Verdict verdict;
  private volatile boolean stopping;
  private volatile long dateSecond = -1;
  private volatile String date = "";

  /** The eligibility of one configuration, kept while it runs. */
  private record Verdict(ProxyConfig config, @Nullable String reason) {}

  /**
   * Creates the relay.
   *
   * @param current the running snapshot, read once per request
   * @param decorated whether the embedding application added filter decorators (then nothing is
   *     relayed: they must see every request)
   * @param initial the configuration the listener was started with (head limit, idle and shutdown
   *     timeouts are fixed at start, as the listener's)
   */
  public Http1Relay(AtomicReference<Snapshot> current, boolean decorated, ProxyConfig initial,
      MeterRegistry registry, Limits limits, Canaries canaries) {
    this.current = requireNonNull(current, "current");
    this.decorated = decorated;
    this.registry = requireNonNull(registry, "registry");
    this.limits = requireNonNull(limits, "limits");
    this.canaries = requireNonNull(canaries, "canaries");
    this.headLimit = (int) Math.max(8192, initial.limits().maxHeaderSize() + 8192);
    this.idleTimeout = initial.idleTimeout();
    this.shutdownTimeout = initial.shutdownTimeout();
    this.relayed = Counter.builder("custos.http1.relay.requests")
        .description("Requests forwarded by the HTTP/1.1 relay below Armeria")
        .register(registry);
    this.tracesContinued = traces("continued");
    this.tracesStarted = traces("started");
    Gauge.builder("custos.http1.relay.active", this, r -> r.relaying() ? 1 : 0)
        .description("1 while the cleartext listener relays eligible HTTP/1.1 connections")
        .register(registry);
  }

  private Counter traces(String outcome) {
    return Counter.builder("custos.traces")
        .description("Requests by W3C trace context: continued from a valid traceparent, or"
            + " started by the proxy")
        .tag("outcome", outcome)
        .register(registry);
  }

  /** Returns a pipeline customizer that puts the relay's gate at the front of each connection. */
  public Consumer<ChannelPipeline> installer() {
    return pipeline -> {
      if (!decorated) {
        pipeline.addFirst(GATE, new RelayGate(this));
      }
    };
  }

  /** Returns whether new connections of the cleartext listener are relayed now. */
  public boolean relaying() {
    return !decorated && !stopping && ineligibility(current.get()) == null;
  }

  /** Returns why {@code snapshot}'s configuration is not relayed, or null when it is. */
  @Nullable String ineligibility(Snapshot snapshot) {
    ProxyConfig config = snapshot.config();
    Verdict v = verdict;
    if (v == null || v.config() != config) {
      v = new Verdict(config, RelayEligibility.ineligibility(config));
      verdict = v;
    }
    return v.reason();
  }

  Snapshot snapshot() {
    return current.get();
  }

  boolean stopping() {
    return stopping;
  }

  /**
   * Marks the proxy as stopping: relayed connections answer new requests with 503 {@code
   * shutting down} and close once their exchange in flight is done (at the latest after {@code
   * shutdown_timeout}, when the listener closes them).
   */
  public void stop() {
    stopping = true;
  }

  /** Closes the idle upstream connections of every event loop. */
  public void close() {
    stopping = true;
    for (UpstreamPool pool : pools.values()) {
      pool.closeAll();
    }
  }

  /** Returns the next endpoint index of a cluster's round robin. */
  int next(String cluster, int size) {
    java.util.concurrent.atomic.AtomicInteger n = rounds.get(cluster);
    if (n == null) {
      n = rounds.computeIfAbsent(cluster, c -> new java.util.concurrent.atomic.AtomicInteger());
    }
    return Math.floorMod(n.getAndIncrement(), size);
  }

  UpstreamPool pool(EventLoop loop) {
    UpstreamPool p = pools.get(loop);
    return p != null ? p : pools.computeIfAbsent(loop, UpstreamPool::new);
  }

  void counted(boolean continued) {
    (continued ? tracesContinued : tracesStarted).increment();
  }

  void relayed() {
    relayed.increment();
  }

  /** Returns the meters of a route, registered on first use. */
  RouteMeters meters(String route) {
    RouteMeters m = meters.get(route);
    return m != null ? m : meters.computeIfAbsent(route, r -> new RouteMeters(registry, r));
  }

  /** Returns the HTTP date of now, formatted once a second. */
  String date() {
    long now = System.currentTimeMillis();
    long second = now / 1000;
    if (second != dateSecond) {
      date = DateFormatter.format(new Date(second * 1000));
      dateSecond = second;
    }
    return date;
  }

  /** The request meters of one route, as the routing layer of the Armeria path names them. */
  static final class RouteMeters {
    private final MeterRegistry registry;
    private final String route;
    final Timer duration;
    private final Map<Integer, Counter> byStatus = new ConcurrentHashMap<>();

    RouteMeters(MeterRegistry registry, String route) {
      this.registry = registry;
      this.route = route;
      this.duration = Timer.builder("custos.request.duration")
          .description("Time from the request's start to the end of its response, by route")
          .tag("route", route)
          .register(registry);
    }

    Counter requests(int status) {
      Counter c = byStatus.get(status);
      return c != null ? c : byStatus.computeIfAbsent(status, s -> Counter.builder(
              "custos.requests")
          .description("Requests handled by the proxy, by route and response status")
          .tag("route", route)
          .tag("status", String.valueOf(s))
          .register(registry));
    }
  }
}
