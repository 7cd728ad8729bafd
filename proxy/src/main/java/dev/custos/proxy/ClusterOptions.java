package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How a cluster finds, balances and protects its endpoints: discovery (static weights, DNS or a
 * Kubernetes Service's EndpointSlices),
 * load balancing, active health checks, passive outlier ejection, a circuit breaker, retries with
 * a budget, and a concurrency limit. Every part is optional; {@link #DEFAULT} is plain round robin
 * over static endpoints with none of the protections. Immutable and thread-safe.
 *
 * @param weights the weight of a static endpoint, for those that set one (others weigh 1)
 * @param dns where endpoints come from instead of a static list, or null for the static list
 * @param kubernetes the Kubernetes Service whose ready endpoints are the cluster's, instead of a
 *     static list or DNS; null for none
 * @param loadBalancing how an endpoint is chosen among the healthy ones
 * @param healthCheck the active health check, or null for none (every endpoint is healthy)
 * @param outlierDetection passive ejection of failing endpoints, or null for none
 * @param circuitBreaker the cluster's circuit breaker, or null for none
 * @param retries retries of idempotent requests, or null for none
 * @param bulkhead the cluster's concurrency limit, or null for none
 */
public record ClusterOptions(Map<ProxyConfig.Address, Integer> weights, @Nullable Dns dns,
    @Nullable Kubernetes kubernetes, LoadBalancing loadBalancing,
    @Nullable HealthCheck healthCheck, @Nullable OutlierDetection outlierDetection,
    @Nullable CircuitBreaker circuitBreaker, @Nullable Retries retries,
    @Nullable Bulkhead bulkhead) {

  /** Round robin over the static endpoints, nothing else. */
  public static final ClusterOptions DEFAULT = new ClusterOptions(Map.of(), null, null,
      LoadBalancing.ROUND_ROBIN, null, null, null, null, null);

  /** Creates cluster options. */
  public ClusterOptions {
    weights = Map.copyOf(requireNonNull(weights, "weights"));
    for (Map.Entry<ProxyConfig.Address, Integer> e : weights.entrySet()) {
      if (e.getValue() < 0) {
        throw new IllegalArgumentException("weight: " + e.getValue() + " for " + e.getKey()
            + " (expected: >= 0)");
      }
    }
    requireNonNull(loadBalancing, "loadBalancing");
    if (dns != null && kubernetes != null) {
      throw new IllegalArgumentException("dns and kubernetes: both set (expected: one discovery)");
    }
  }

  /** Creates cluster options without Kubernetes discovery. */
  public ClusterOptions(Map<ProxyConfig.Address, Integer> weights, @Nullable Dns dns,
      LoadBalancing loadBalancing, @Nullable HealthCheck healthCheck,
      @Nullable OutlierDetection outlierDetection, @Nullable CircuitBreaker circuitBreaker,
      @Nullable Retries retries, @Nullable Bulkhead bulkhead) {
    this(weights, dns, null, loadBalancing, healthCheck, outlierDetection, circuitBreaker, retries,
        bulkhead);
  }

  /** How an endpoint is chosen. */
  public enum LoadBalancing {
    /** Each healthy endpoint in turn, ignoring weights. */
    ROUND_ROBIN,
    /** In turn, in proportion to the endpoints' weights. */
    WEIGHTED_ROUND_ROBIN,
    /** The endpoint with the fewest requests in flight from this proxy; ties in turn. */
    LEAST_LOADED,
    /** Weighted round robin whose new endpoints ramp up to their weight over a minute. */
    RAMPING_UP
  }

  /** The DNS record types a cluster can be discovered by. */
  public enum DnsType {
    /** A and AAAA records of a name, all on one configured port. */
    A,
    /** SRV records: each names a target host, port and weight. */
    SRV
  }

  /**
   * DNS discovery.
   *
   * @param name the name queried, such as {@code api.internal} or {@code _http._tcp.api.internal}
   * @param port the port of A/AAAA endpoints (SRV records carry their own; ignored there)
   * @param type the record type
   * @param refresh how often the name is resolved again (records' TTLs are clamped to it)
   * @param servers the DNS servers asked; empty for the system's
   */
  public record Dns(String name, int port, DnsType type, Duration refresh,
      List<ProxyConfig.Address> servers) {
    /** Creates DNS discovery settings. */
    public Dns {
      requireNonNull(name, "name");
      requireNonNull(type, "type");
      requireNonNull(refresh, "refresh");
      servers = List.copyOf(requireNonNull(servers, "servers"));
      if (type == DnsType.A && (port < 1 || port > 65535)) {
        throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
      }
      if (refresh.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("refresh: " + refresh + " (expected: at least 1s)");
      }
    }
  }

  /**
   * Kubernetes discovery: the endpoints of a Service, from its EndpointSlices, ready ones only,
   * updated as they change. The proxy needs to list and watch {@code endpointslices} in the
   * namespace (RBAC), and finds the API server as fabric8's client does (in a pod: its service
   * account; elsewhere: {@code KUBECONFIG} or {@code ~/.kube/config}).
   *
   * @param service the Service's name
   * @param namespace its namespace, or null for the proxy's own (the client's)
   * @param port the port: its name in the Service (such as {@code http}), or the number the
   *     endpoints listen on (the target port, as EndpointSlices list it)
   */
  public record Kubernetes(String service, @Nullable String namespace, String port) {
    /** Creates Kubernetes discovery settings. */
    public Kubernetes {
      requireNonNull(service, "service");
      requireNonNull(port, "port");
      if (!service.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
        throw new IllegalArgumentException("service: " + service
            + " (expected: a DNS-1035 label, such as orders)");
      }
      if (namespace != null && !namespace.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
        throw new IllegalArgumentException("namespace: " + namespace
            + " (expected: a DNS-1123 label, such as shop)");
      }
      if (!port.matches("[0-9]{1,5}|[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?")
          || port.matches("[0-9]+") && (Integer.parseInt(port) < 1
              || Integer.parseInt(port) > 65535)) {
        throw new IllegalArgumentException("port: " + port
            + " (expected: a port name such as http, or a number 1-65535)");
      }
    }
  }

  /**
   * An active HTTP health check: {@code GET path} on every endpoint each interval; a 2xx answer
   * passes, anything else (or no answer within the timeout) fails.
   *
   * @param healthyThreshold consecutive passes that bring an unhealthy endpoint back
   * @param unhealthyThreshold consecutive failures that take a healthy endpoint out
   */
  public record HealthCheck(String path, Duration interval, Duration timeout,
      int healthyThreshold, int unhealthyThreshold) {
    /** Creates a health check. */
    public HealthCheck {
      requireNonNull(path, "path");
      requireNonNull(interval, "interval");
      requireNonNull(timeout, "timeout");
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("path: " + path + " (expected: starts with /)");
      }
      if (interval.isZero() || timeout.isZero()) {
        throw new IllegalArgumentException("interval/timeout: 0 (expected: more than 0)");
      }
      if (healthyThreshold < 1 || unhealthyThreshold < 1) {
        throw new IllegalArgumentException("thresholds: " + healthyThreshold + "/"
            + unhealthyThreshold + " (expected: >= 1)");
      }
    }
  }

  /**
   * Passive outlier ejection: an endpoint whose requests fail {@code consecutiveFailures} times
   * in a row (5xx or no response) leaves the rotation for {@code baseEjectionTime}, longer each
   * time it is ejected again. At least one endpoint always stays in the rotation.
   */
  public record OutlierDetection(int consecutiveFailures, Duration baseEjectionTime) {
    /** Creates outlier detection settings. */
    public OutlierDetection {
      requireNonNull(baseEjectionTime, "baseEjectionTime");
      if (consecutiveFailures < 1) {
        throw new IllegalArgumentException(
            "consecutiveFailures: " + consecutiveFailures + " (expected: >= 1)");
      }
    }
  }

  /**
   * The cluster's circuit breaker. It opens when, within {@code window}, at least {@code
   * minimumRequests} requests were made and the share that failed reaches {@code failureRate},
   * or when {@code consecutiveFailures} requests in a row failed (0 turns that off). Open, it
   * refuses requests for {@code openFor}; then it lets one trial request through every {@code
   * trialInterval} (half-open) and closes when one succeeds.
   */
  public record CircuitBreaker(double failureRate, long minimumRequests, Duration window,
      Duration openFor, int consecutiveFailures, Duration trialInterval) {
    /** Creates circuit breaker settings. */
    public CircuitBreaker {
      requireNonNull(window, "window");
      requireNonNull(openFor, "openFor");
      requireNonNull(trialInterval, "trialInterval");
      if (!(failureRate > 0 && failureRate <= 1)) {
        throw new IllegalArgumentException("failureRate: " + failureRate + " (expected: (0, 1])");
      }
      if (minimumRequests < 0 || consecutiveFailures < 0) {
        throw new IllegalArgumentException("minimumRequests/consecutiveFailures: negative"
            + " (expected: >= 0)");
      }
      if (window.isZero() || openFor.isZero() || trialInterval.isZero()) {
        throw new IllegalArgumentException(
            "window/openFor/trialInterval: 0 (expected: more than 0)");
      }
    }
  }

  /**
   * Retries of idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) without a body or
   * with a small declared one, on 502, 503, 504 and on requests that never reached an endpoint.
   *
   * @param attempts the most attempts per request, the first included
   * @param backoff the delay before the first retry; later ones double, with jitter
   * @param budgetPercent the retries allowed in any 10 s, as a share of that time's requests
   * @param minRetriesPerSecond retries allowed regardless of the share, per second of the window
   */
  public record Retries(int attempts, Duration backoff, int budgetPercent,
      int minRetriesPerSecond) {
    /** Creates retry settings. */
    public Retries {
      requireNonNull(backoff, "backoff");
      if (attempts < 1) {
        throw new IllegalArgumentException("attempts: " + attempts + " (expected: >= 1)");
      }
      if (budgetPercent < 0 || budgetPercent > 100 || minRetriesPerSecond < 0) {
        throw new IllegalArgumentException("budgetPercent: " + budgetPercent
            + ", minRetriesPerSecond: " + minRetriesPerSecond
            + " (expected: 0-100 and >= 0)");
      }
    }
  }

  /**
   * The cluster's concurrency limit: at most {@code maxConcurrentRequests} requests in flight;
   * up to {@code maxPendingRequests} more wait at most {@code pendingTimeout} for a slot; any
   * other request is refused at once with 503.
   */
  public record Bulkhead(int maxConcurrentRequests, int maxPendingRequests,
      Duration pendingTimeout) {
    /** Creates a concurrency limit. */
    public Bulkhead {
      requireNonNull(pendingTimeout, "pendingTimeout");
      if (maxConcurrentRequests < 1 || maxPendingRequests < 0) {
        throw new IllegalArgumentException("maxConcurrentRequests: " + maxConcurrentRequests
            + ", maxPendingRequests: " + maxPendingRequests + " (expected: >= 1 and >= 0)");
      }
    }
  }
}
