package dev.custos.proxy.internal.upstream;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.HttpClient;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.client.websocket.WebSocketClient;
import com.linecorp.armeria.client.WebClientBuilder;
import com.linecorp.armeria.client.circuitbreaker.CircuitBreaker;
import com.linecorp.armeria.client.circuitbreaker.CircuitBreakerClient;
import com.linecorp.armeria.client.circuitbreaker.CircuitBreakerListenerAdapter;
import com.linecorp.armeria.client.circuitbreaker.CircuitBreakerRule;
import com.linecorp.armeria.client.circuitbreaker.CircuitState;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.client.endpoint.EndpointSelectionStrategy;
import com.linecorp.armeria.client.endpoint.dns.DnsAddressEndpointGroup;
import com.linecorp.armeria.client.endpoint.dns.DnsServiceEndpointGroup;
import com.linecorp.armeria.client.limit.ConcurrencyLimit;
import com.linecorp.armeria.client.limit.ConcurrencyLimitingClient;
import com.linecorp.armeria.client.retry.Backoff;
import com.linecorp.armeria.client.retry.RetryConfig;
import com.linecorp.armeria.client.retry.RetryDecision;
import com.linecorp.armeria.client.retry.RetryRule;
import com.linecorp.armeria.client.retry.RetryingClient;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.logging.RequestLog;
import dev.custos.proxy.ClusterOptions;
import dev.custos.proxy.ProxyConfig;
import io.netty.channel.EventLoopGroup;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One cluster at run time: its discovery group (static, DNS or Kubernetes EndpointSlices), health-checked group,
 * outlier-ejecting group with the load-balancing strategy, and two clients over them that share
 * one circuit breaker and one concurrency limit: one that retries (idempotent, small requests)
 * and one that never does.
 *
 * <p>Decorators, outermost first: concurrency limit (bulkhead) → circuit breaker → retries →
 * outlier recording. A bulkhead refusal never counts against the breaker; an open breaker answers
 * before any retry; every attempt, retries included, feeds outlier detection.
 *
 * <p>A runtime outlives reloads that leave its cluster unchanged; one that is replaced is retired
 * and closed once its requests in flight finish (at most five minutes later). Thread-safe.
 */
public final class ClusterRuntime {
  private static final Logger logger = LoggerFactory.getLogger(ClusterRuntime.class);

  /** The largest declared request body that may be retried (Armeria keeps it for the retry). */
  public static final long MAX_RETRIED_BODY = 64 * 1024;

  /** Counts the attempts of one proxied request; set on the server context, read by the rule. */
  static final AttributeKey<AtomicInteger> ATTEMPTS =
      AttributeKey.valueOf(ClusterRuntime.class, "ATTEMPTS");

  private static final Set<HttpMethod> IDEMPOTENT = EnumSet.of(HttpMethod.GET, HttpMethod.HEAD,
      HttpMethod.OPTIONS, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.TRACE);
  private static final Duration DRAIN_GRACE = Duration.ofSeconds(2);
  private static final Duration DRAIN_LIMIT = Duration.ofMinutes(5);

  private final ProxyConfig.Cluster config;
  private final EventLoopGroup workers;
  private final UpstreamMetrics metrics;
  private final EndpointGroup discovery;
  private final @Nullable EndpointGroup checked;
  private final EjectingEndpointGroup group;
  private final Map<String, Boolean> activeHealth = new ConcurrentHashMap<>();
  private volatile Set<String> known = Set.of();
  private final @Nullable CircuitBreaker breaker;
  private final @Nullable RetryBudget budget;
  private final WebClient plain;
  private final @Nullable WebClient retrying;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ClientFactory factory;
  /** WebSocket clients by largest frame payload, made on first use. */
  private final java.util.concurrent.ConcurrentMap<Integer, WebSocketClient> webSockets =
      new java.util.concurrent.ConcurrentHashMap<>();
  private volatile boolean retired;
  private volatile boolean drainable;

  ClusterRuntime(ProxyConfig.Cluster config,
      Function<ProxyConfig.Cluster, ClientFactory> factories,
      EventLoopGroup workers, UpstreamMetrics metrics,
      java.util.function.Supplier<io.fabric8.kubernetes.client.KubernetesClient> kubernetes) {
    this.config = config;
    this.workers = workers;
    this.metrics = metrics;
    String name = config.name();
    ClusterOptions o = config.options();
    ClientFactory factory = factories.apply(config);
    this.factory = factory;

    this.discovery = discovery(config, kubernetes);
    discovery.addListener(list -> {
      Set<String> labels = new java.util.HashSet<>();
      for (Endpoint e : list) {
        String label = EjectingEndpointGroup.label(e);
        labels.add(label);
        metrics.endpointGauge(name, label);
      }
      known = Set.copyOf(labels);
    }, true);
    ClusterOptions.HealthCheck hc = o.healthCheck();
    if (hc != null) {
      this.checked = new ThresholdHealthCheck(discovery, hc, (endpoint, healthy) -> {
        String label = EjectingEndpointGroup.label(endpoint);
        Boolean was = activeHealth.put(label, healthy);
        if (was != null && was != healthy) {
          logger.warn("cluster {}: endpoint {} is now {}", name, label,
              healthy ? "healthy" : "unhealthy");
        }
      }).clientFactory(factory).protocol(protocol(config)).build();
    } else {
      this.checked = null;
    }
    this.group = new EjectingEndpointGroup(name, checked != null ? checked : discovery,
        strategy(o.loadBalancing()), o.outlierDetection(), workers, System::nanoTime,
        () -> metrics.ejection(name));

    ClusterOptions.CircuitBreaker cb = o.circuitBreaker();
    this.breaker = cb == null ? null : breaker(name, cb, metrics);
    if (breaker != null) {
      metrics.breakerGauge(name);
    }
    ConcurrencyLimit limit = null;
    ClusterOptions.Bulkhead bulkhead = o.bulkhead();
    if (bulkhead != null) {
      limit = ConcurrencyLimit.builder(bulkhead.maxConcurrentRequests())
          .maxPendingAcquisitions(bulkhead.maxPendingRequests())
          .timeout(bulkhead.pendingTimeout())
          .build();
    }
    ClusterOptions.Retries retries = o.retries();
    this.budget = retries == null ? null : new RetryBudget(retries.budgetPercent(),
        retries.minRetriesPerSecond(), System::nanoTime);
    this.plain = client(factory, null, limit);
    this.retrying = retries == null || retries.attempts() < 2 ? null
        : client(factory, retryRule(name, retries), limit);
  }

  private static SessionProtocol protocol(ProxyConfig.Cluster config) {
    return config.tls() == null ? SessionProtocol.HTTP : SessionProtocol.HTTPS;
  }

  private static boolean isIpAddress(String host) {
    return io.netty.util.NetUtil.isValidIpV4Address(host)
        || io.netty.util.NetUtil.isValidIpV6Address(host);
  }

  private static EndpointGroup discovery(ProxyConfig.Cluster config,
      java.util.function.Supplier<io.fabric8.kubernetes.client.KubernetesClient> kubernetes) {
    ClusterOptions.Kubernetes k8s = config.options().kubernetes();
    if (k8s != null) {
      return new KubernetesEndpointGroup(config.name(), kubernetes.get(), k8s,
          config.tls() == null ? null : config.tls().serverName());
    }
    ClusterOptions.Dns dns = config.options().dns();
    if (dns == null) {
      List<Endpoint> endpoints = new ArrayList<>();
      String serverName = config.tls() == null ? null : config.tls().serverName();
      for (ProxyConfig.Address a : config.endpoints()) {
        // With a TLS server name, an IP endpoint is dialled by address and verified by name.
        Endpoint e = serverName != null && isIpAddress(a.host())
            ? Endpoint.of(serverName, a.port()).withIpAddr(a.host())
            : Endpoint.of(a.host(), a.port());
        endpoints.add(e.withWeight(config.options().weights().getOrDefault(a, 1)));
      }
      return EndpointGroup.of(endpoints);
    }
    // DNS groups run on Armeria's common event loops, not the proxy's: Armeria's shared DNS cache
    // may call a group back after the proxy's loops have shut down.
    int ttl = (int) Math.min(Integer.MAX_VALUE, dns.refresh().toSeconds());
    List<InetSocketAddress> servers = new ArrayList<>();
    for (ProxyConfig.Address s : dns.servers()) {
      servers.add(new InetSocketAddress(s.host(), s.port()));
    }
    if (dns.type() == ClusterOptions.DnsType.SRV) {
      var b = DnsServiceEndpointGroup.builder(dns.name()).ttl(ttl, ttl);
      if (!servers.isEmpty()) {
        b.serverAddresses(servers);
      }
      return b.build();
    }
    var b = DnsAddressEndpointGroup.builder(dns.name()).port(dns.port()).ttl(ttl, ttl);
    if (!servers.isEmpty()) {
      b.serverAddresses(servers);
    }
    return b.build();
  }

  private static EndpointSelectionStrategy strategy(ClusterOptions.LoadBalancing lb) {
    return switch (lb) {
      case ROUND_ROBIN -> EndpointSelectionStrategy.roundRobin();
      case WEIGHTED_ROUND_ROBIN -> EndpointSelectionStrategy.weightedRoundRobin();
      case LEAST_LOADED -> new LeastLoadedStrategy();
      case RAMPING_UP -> EndpointSelectionStrategy.rampingUp();
    };
  }

  private static CircuitBreaker breaker(String name, ClusterOptions.CircuitBreaker cb,
      UpstreamMetrics metrics) {
    long windowMillis = cb.window().toMillis();
    CircuitBreaker b = CircuitBreaker.builder(name)
        .failureRateThreshold(cb.failureRate())
        .minimumRequestThreshold(cb.minimumRequests())
        .counterSlidingWindow(cb.window())
        .counterUpdateInterval(Duration.ofMillis(Math.max(1, Math.min(1000, windowMillis / 10))))
        .circuitOpenWindow(cb.openFor())
        .trialRequestInterval(cb.trialInterval())
        .listener(new CircuitBreakerListenerAdapter() {
          @Override
          public void onInitialized(String breakerName, CircuitState state) {}

          @Override
          public void onStateChanged(String breakerName, CircuitState state) {
            if (state == CircuitState.CLOSED) {
              logger.info("cluster {}: circuit breaker closed", name);
            } else {
              logger.warn("cluster {}: circuit breaker {}", name,
                  state == CircuitState.HALF_OPEN ? "half-open, letting a trial request through"
                      : "open, refusing requests for " + cb.openFor().toMillis() + " ms");
            }
            metrics.transition(name, state);
          }
        })
        .build();
    return cb.consecutiveFailures() > 0 ? new ConsecutiveFailureBreaker(b, cb.consecutiveFailures())
        : b;
  }

  private RetryRule retryRule(String name, ClusterOptions.Retries retries) {
    long ms = retries.backoff().toMillis();
    Backoff backoff = ms == 0 ? Backoff.withoutDelay()
        : Backoff.exponential(ms, ms * 16).withJitter(0.2);
    RetryRule base = RetryRule.of(
        RetryRule.builder(IDEMPOTENT).onUnprocessed().thenBackoff(backoff),
        RetryRule.builder(IDEMPOTENT).onStatus(HttpStatus.BAD_GATEWAY,
            HttpStatus.SERVICE_UNAVAILABLE, HttpStatus.GATEWAY_TIMEOUT).thenBackoff(backoff));
    RetryBudget b = budget;
    int attempts = retries.attempts();
    return new RetryRule() {
      @Override
      public CompletionStage<RetryDecision> shouldRetry(ClientRequestContext ctx,
          @Nullable Throwable cause) {
        return base.shouldRetry(ctx, cause).thenApply(d -> {
          if (d == RetryDecision.noRetry() || d == RetryDecision.next()) {
            return d;
          }
          AtomicInteger made = ctx.attr(ATTEMPTS);
          if (made != null && made.incrementAndGet() >= attempts) {
            return RetryDecision.noRetry();
          }
          if (b != null && !b.tryRetry()) {
            metrics.retry(name, "budget_exhausted");
            return RetryDecision.noRetry();
          }
          metrics.retry(name, "retried");
          return d;
        });
      }

      @Override
      public boolean requiresResponseTrailers() {
        return base.requiresResponseTrailers();
      }
    };
  }

  private WebClient client(ClientFactory factory, @Nullable RetryRule retryRule,
      @Nullable ConcurrencyLimit limit) {
    WebClientBuilder b = WebClient.builder(protocol(config), group).factory(factory);
    if (config.options().outlierDetection() != null) {
      b.decorator((HttpClient delegate, ClientRequestContext ctx, HttpRequest req) -> {
        HttpResponse res = delegate.execute(ctx, req);
        Endpoint endpoint = ctx.endpoint();
        if (endpoint != null) {
          ctx.log().whenComplete().thenAccept(log -> group.record(endpoint, failed(log)));
        }
        return res;
      });
    }
    if (retryRule != null) {
      b.decorator(RetryingClient.newDecorator(RetryConfig.builder(retryRule)
          .maxTotalAttempts(config.options().retries().attempts())
          .build()));
    }
    if (breaker != null) {
      b.decorator(CircuitBreakerClient.newDecorator(breaker, CircuitBreakerRule.of(
          CircuitBreakerRule.onServerErrorStatus(),
          CircuitBreakerRule.onException(),
          CircuitBreakerRule.builder().onStatus((c, s) -> s.code() < 500).thenSuccess())));
    }
    if (limit != null) {
      b.decorator(ConcurrencyLimitingClient.newDecorator(limit));
    }
    return b.build();
  }

  /** Returns whether an attempt failed: a 5xx, or no response at all. */
  private static boolean failed(RequestLog log) {
    int code = log.responseHeaders().status().code();
    if (code >= 500) {
      return true;
    }
    return code < 100 && log.responseCause() != null;
  }

  public String name() {
    return config.name();
  }

  /**
   * Returns the client that opens WebSocket sessions to this cluster's endpoints over HTTP/1.1
   * (TLS when the cluster has it), accepting frames of at most {@code maxFramePayload} bytes and
   * handing on fragments as they come (no aggregation). Sessions bypass retries, the breaker and
   * the bulkhead: a session is not a request that can be retried.
   */
  public WebSocketClient webSocketClient(int maxFramePayload) {
    return webSockets.computeIfAbsent(maxFramePayload, n -> WebSocketClient.builder(
            config.tls() == null ? SessionProtocol.H1C : SessionProtocol.H1, group)
        .factory(factory)
        .maxFramePayloadLength(n)
        .aggregateContinuation(false)
        .autoFillOriginHeader(false)
        .build());
  }

  ProxyConfig.Cluster config() {
    return config;
  }

  /**
   * Returns the client for a request: the retrying one when the request is idempotent and its
   * body is empty ({@code bodyless}, as the client sent it) or declared at most {@link
   * #MAX_RETRIED_BODY}; else the one that never retries.
   */
  public WebClient client(HttpRequest req, boolean bodyless) {
    WebClient r = retrying;
    if (r == null || !IDEMPOTENT.contains(req.method())) {
      return plain;
    }
    long length = req.headers().contentLength();
    return bodyless || (length >= 0 && length <= MAX_RETRIED_BODY) ? r : plain;
  }

  /**
   * Marks the start of a request through this runtime; the request's end must be reported with
   * {@link #exit()}. The retry budget counts requests from here.
   */
  public void enter(com.linecorp.armeria.server.ServiceRequestContext ctx) {
    inFlight.incrementAndGet();
    if (retrying != null) {
      ctx.setAttr(ATTEMPTS, new AtomicInteger()); // Read by the retry rule only.
    }
    RetryBudget b = budget;
    if (b != null) {
      b.onRequest();
    }
  }

  /** Marks the end of a request started with {@link #enter}. */
  public void exit() {
    if (inFlight.decrementAndGet() == 0 && retired && drainable) {
      close();
    }
  }

  @Nullable CircuitState breakerState() {
    CircuitBreaker b = breaker;
    return b == null ? null : b.circuitState();
  }

  /** Returns whether an endpoint gets traffic: known, healthy, not ejected. */
  boolean healthy(String label) {
    return known.contains(label) && activeHealth.getOrDefault(label, checked == null)
        && !group.ejected(label);
  }

  /** Stops taking new work; closes once requests in flight are done. */
  void retire() {
    retired = true;
    workers.schedule(() -> {
      drainable = true;
      if (inFlight.get() == 0) {
        close();
      }
    }, DRAIN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    workers.schedule(this::close, DRAIN_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Returns whether this runtime was closed. */
  boolean isClosed() {
    return closed.get();
  }

  /** Closes the endpoint groups: health checks and DNS queries stop. */
  CompletableFuture<?> close() {
    if (!closed.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.allOf(group.closeAsync(),
        checked != null ? checked.closeAsync() : CompletableFuture.completedFuture(null),
        discovery.closeAsync());
  }
}
