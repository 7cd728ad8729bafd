package dev.custos.proxy.internal;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.util.TimeoutMode;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.limits.Limits;
import dev.custos.proxy.internal.telemetry.AccessLogger;
import dev.custos.proxy.internal.telemetry.TraceContext;
import dev.custos.proxy.internal.telemetry.Tracing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The outermost layer of the proxy's chain: reads the current snapshot once, refuses requests
 * with oversized headers (431) or, in egress mode, for hosts not listed (403), picks the first
 * route that fits (404 JSON when none does: there is no default route, and nothing is
 * forwarded), stores the {@link Selection} in the context for the filters and the forwarding
 * service, answers CORS for routes that have a policy, takes a token from the proxy's capacity
 * bucket, and counts {@code custos_requests_total{route,status}}, {@code
 * custos_request_duration_seconds{route}} and {@code custos_traces_total{outcome}}. It also takes the request's
 * W3C trace context ({@link TraceContext}) first, so that even a refused request has a trace id,
 * and with {@code tracing:} its OpenTelemetry server span ({@link Tracing}). When an exchange ends,
 * an {@link Error} its request log holds as the request's or response's cause is reported to
 * {@link FatalErrors} (unless the error handler already did).
 *
 * <p>A CORS preflight is matched with the method it asks about, so that a route limited to
 * {@code [GET, POST]} still answers its preflight; it is answered here, before authentication,
 * since browsers send it without credentials.
 */
public final class RoutingService extends SimpleDecoratingHttpService {
  /** How much longer than the route's timeout the server waits before cutting an exchange. */
  private static final Duration ROUTE_TIMEOUT_GRACE = Duration.ofSeconds(1);

  private final AtomicReference<Snapshot> current;
  private final MeterRegistry registry;
  private final AccessLogger accessLog;
  private final Tracing tracing;
  private final Limits limits;
  private final FatalErrors fatal;
  private final Canaries canaries;
  private final HttpService limited;
  private final ConcurrentMap<String, Map<Integer, Counter>> requests = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Timer> durations = new ConcurrentHashMap<>();
  private final Counter tracesContinued;
  private final Counter tracesStarted;

  public RoutingService(HttpService delegate, AtomicReference<Snapshot> current,
      MeterRegistry registry, AccessLogger accessLog, Tracing tracing, Limits limits,
      FatalErrors fatal, Canaries canaries) {
    super(delegate);
    this.fatal = fatal;
    this.canaries = canaries;
    this.current = current;
    this.registry = registry;
    this.accessLog = accessLog;
    this.tracing = tracing;
    this.limits = limits;
    this.limited = (ctx, req) -> limits.global(delegate, ctx, req);
    this.tracesContinued = traces(registry, "continued");
    this.tracesStarted = traces(registry, "started");
  }

  private static Counter traces(MeterRegistry registry, String outcome) {
    return Counter.builder("custos.traces")
        .description("Requests by W3C trace context: continued from a valid traceparent, or"
            + " started by the proxy")
        .tag("outcome", outcome)
        .register(registry);
  }

  /** Returns the latency timer of a route, registered on first use. */
  private Timer duration(String route) {
    Timer t = durations.get(route);
    return t != null ? t : durations.computeIfAbsent(route, r -> Timer.builder(
            "custos.request.duration")
        .description("Time from the request's start to the end of its response, by route")
        .tag("route", r)
        .register(registry));
  }

  /** Returns the request counter of a route and status, registered on first use. */
  private Counter requests(String route, int status) {
    Map<Integer, Counter> byStatus = requests.computeIfAbsent(route, r -> new ConcurrentHashMap<>());
    Counter c = byStatus.get(status);
    return c != null ? c : byStatus.computeIfAbsent(status, s -> Counter.builder("custos.requests")
        .description("Requests handled by the proxy, by route and response status")
        .tag("route", route)
        .tag("status", String.valueOf(s))
        .register(registry));
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
    Snapshot snapshot = current.get();
    RequestHeaders headers = req.headers();
    TraceContext trace = tracing.begin(ctx, headers);
    ctx.setAttr(TraceContext.KEY, trace);
    (trace.continued() ? tracesContinued : tracesStarted).increment();
    String host = CompiledRoute.host(headers.authority());
    HttpResponse refused = limits.screen(headers, host, snapshot.config());
    ProxyConfig.Route route = null;
    boolean upgrade = WebSocketUpgrade.isUpgrade(headers);
    if (refused == null) {
      route = preflightRoute(snapshot, headers, host, ctx.path());
      if (route == null) {
        // An HTTP/2 WebSocket (extended CONNECT) is matched as the GET of an HTTP/1.1 upgrade.
        route = snapshot.select(upgrade ? HttpMethod.GET : headers.method(), host, ctx.path());
      }
    }
    String routeName = route == null ? "none" : route.name();
    ctx.log().whenComplete().thenAccept(log -> {
      if (!Boolean.TRUE.equals(ctx.attr(ProxyErrorHandler.FATAL_REPORTED))) {
        // An Error that ended the exchange after its response began (a stream aborted on either
        // side), which no error handler saw.
        String where = Thread.currentThread().getName();
        if (!fatal.reportIfFatal(where, log.responseCause())) {
          fatal.reportIfFatal(where, log.requestCause());
        }
      }
      requests(routeName, log.responseHeaders().status().code()).increment();
      duration(routeName).record(log.totalDurationNanos(), TimeUnit.NANOSECONDS);
      accessLog.log(ctx, routeName, log);
      tracing.end(ctx, routeName, log);
    });
    if (refused != null) {
      return refused;
    }
    if (route == null) {
      return limits.noRoute();
    }
    if (upgrade && !route.websocket()) {
      return WebSocketUpgrade.refused();
    }
    ctx.setAttr(Selection.KEY, new Selection(snapshot, route, canaries));
    ctx.setAttr(Selection.BODYLESS, req.isEmpty());
    if (upgrade) {
      // A WebSocket session is no request body: neither timeout nor body limit cuts it.
      ctx.setAttr(Selection.WEBSOCKET, true);
      ctx.clearRequestTimeout();
    } else {
      req = bounded(ctx, req, route, snapshot.config().requestBodyIdleTimeout());
    }
    if (route.cors() != null) {
      return snapshot.cors(route, limited).serve(ctx, req);
    }
    return limited.serve(ctx, req);
  }

  /**
   * Bounds how long a request may take to arrive: its body fails with a {@code
   * StreamTimeoutException} (answered 408) when it sends nothing for {@code idle} while the proxy
   * asks for more of it ({@link BodyIdleTimeout}: upstream backpressure stops the clock), and the route's
   * timeout covers the whole exchange from the request's start, body included. Both zero: no
   * bound.
   */
  private static HttpRequest bounded(ServiceRequestContext ctx, HttpRequest req,
      ProxyConfig.Route route, Duration idle) {
    if (!route.timeout().isZero()) {
      // The upstream call's own timeout (the same duration, from when it starts) answers first
      // with 504; this one also cuts an exchange whose body never reaches the upstream call.
      ctx.setRequestTimeout(TimeoutMode.SET_FROM_START, route.timeout().plus(ROUTE_TIMEOUT_GRACE));
    }
    return BodyIdleTimeout.wrap(req, idle);
  }

  /** Returns the route with a CORS policy a preflight request asks about, or null. */
  private static ProxyConfig.@Nullable Route preflightRoute(
      Snapshot snapshot, RequestHeaders headers, @Nullable String host, String path) {
    String asked = headers.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
    if (headers.method() != HttpMethod.OPTIONS || asked == null
        || !headers.contains(HttpHeaderNames.ORIGIN) || !HttpMethod.isSupported(asked)) {
      return null;
    }
    ProxyConfig.Route r = snapshot.select(HttpMethod.valueOf(asked), host, path);
    return r != null && r.cors() != null ? r : null;
  }
}
