package dev.custos.proxy.internal;

import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.ClientRequestContextCaptor;
import com.linecorp.armeria.client.Clients;
import com.linecorp.armeria.client.RequestOptions;
import com.linecorp.armeria.client.RequestOptionsBuilder;
import com.linecorp.armeria.client.ResponseTimeoutMode;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.Cookie;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.logging.RequestLog;
import com.linecorp.armeria.common.logging.RequestLogProperty;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.telemetry.TraceContext;
import dev.custos.proxy.internal.upstream.ClusterRuntime;
import dev.custos.proxy.internal.upstream.UpstreamMetrics;
import dev.custos.proxy.internal.websocket.WebSocketRelay;
import io.netty.util.AsciiString;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The innermost service of the proxy: forwards the request to the chosen route's cluster and
 * streams the response back, never aggregating a body (Armeria's streams carry demand both
 * ways, so a slow reader slows the writer).
 *
 * <p>Removes hop-by-hop headers both ways, appends {@code X-Forwarded-For}, {@code Forwarded},
 * {@code Via}, sets {@code X-Forwarded-Proto} and a W3C {@code traceparent} naming the proxy's
 * span as parent (dropping {@code tracestate} when the trace starts here), keeps the client's Host
 * unless the route rewrites it, and maps failures before the response starts to JSON errors ({@link ErrorResponses}).
 * Requests to a cluster with retries go through its retrying client when they may be retried
 * (see {@link ClusterRuntime#client}). The cluster is the route's, or the one {@link Canaries}
 * picks for a split route. Thread-safe; holds no state of its own.
 *
 * <p>Picks the endpoint of a sticky route by its signed affinity cookie (set when missing or not
 * verified) or a consistent hash of a header (those requests bypass the cluster's retries and
 * breaker), removes the route's {@code strip_response_headers} from responses and trailers and
 * its {@code strip_request_cookies} (and the affinity cookie) from the Cookie header sent
 * upstream.
 */
public final class ForwardingService implements HttpService {
  /** The pseudonym this proxy uses in Via and Forwarded. */
  static final String PSEUDONYM = "custos";

  private static final String VIA_1_1 = "1.1 " + PSEUDONYM;
  private static final String VIA_2_0 = "2.0 " + PSEUDONYM;


  private static final AsciiString X_FORWARDED_FOR = HttpHeaderNames.of("x-forwarded-for");
  private static final AsciiString X_FORWARDED_PROTO = HttpHeaderNames.of("x-forwarded-proto");

  private final UpstreamMetrics metrics;
  private final Canaries canaries;
  private final WebSocketRelay webSockets = new WebSocketRelay();

  /**
   * Creates the service; refusals before an upstream is reached are counted in {@code metrics},
   * and {@code canaries} chooses among a split's clusters.
   */
  public ForwardingService(UpstreamMetrics metrics, Canaries canaries) {
    this.metrics = metrics;
    this.canaries = canaries;
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    Selection selection = ctx.attr(Selection.KEY);
    if (selection == null) {
      return ErrorResponses.of(HttpStatus.INTERNAL_SERVER_ERROR,
          "no route selected (expected: the routing layer in front)");
    }
    Snapshot snapshot = selection.snapshot();
    ProxyConfig.Route route = selection.route();
    RequestHeaders in = req.headers();
    ProxyConfig.Sticky sticky = route.sticky();
    ClusterChoice choice = ClusterChoice.of(ctx, selection, in);
    Affinity.Pin affine = choice.affine();
    String clusterName = choice.cluster();
    ProxyConfig.Cluster cluster = snapshot.cluster(clusterName);
    if (Selection.webSocket(ctx)) {
      ClusterRuntime ws = snapshot.upstream(clusterName);
      ws.enter(ctx);
      ctx.log().whenComplete().thenRun(ws::exit);
      canaries.forwarded(route.name(), clusterName);
      return webSockets.serve(ctx, req, ws, requestHeaders(ctx, in, snapshot, route),
          route.timeout());
    }

    RequestOptionsBuilder options = RequestOptions.builder()
        .responseTimeout(route.timeout())
        // From the call's start: a request body that trickles counts against the route timeout.
        .responseTimeoutMode(ResponseTimeoutMode.FROM_START)
        .maxResponseLength(cluster.maxResponseLength());
    WebClient client = null;
    boolean setAffinity = false;
    if (sticky != null && sticky.cookie() != null) {
      if (affine != null && affine.cluster().equals(clusterName)) {
        client = snapshot.endpointClient(clusterName, affine.endpointId());
      }
      setAffinity = client == null;
    } else if (sticky != null && sticky.header() != null) {
      String key = in.get(sticky.header());
      if (key != null) {
        client = snapshot.hashedClient(clusterName);
        options.attr(Snapshot.STICKY_HASH, hash(key));
      }
    }
    ClusterRuntime runtime = snapshot.upstream(clusterName);
    runtime.enter(ctx);
    ctx.log().whenComplete().thenRun(runtime::exit);
    RequestHeaders headers = requestHeaders(ctx, in, snapshot, route);
    HttpRequest forwarded = req.withHeaders(headers);
    if (client == null) {
      client = runtime.client(forwarded, Boolean.TRUE.equals(ctx.attr(Selection.BODYLESS)));
    }
    canaries.forwarded(route.name(), clusterName);
    HttpResponse res;
    ClientRequestContext cctx;
    try (ClientRequestContextCaptor captor = Clients.newContextCaptor()) {
      res = client.execute(forwarded, options.build());
      cctx = captor.getOrNull();
    }
    if (cctx != null) {
      ctx.setAttr(dev.custos.proxy.internal.telemetry.AccessLogger.UPSTREAM, cctx);
    }
    if (canaries.watched(route.name(), clusterName)) {
      if (cctx == null) {
        canaries.outcome(route.name(), clusterName, true);
      } else {
        cctx.log().whenComplete().thenAccept(log -> canaries.outcome(route.name(), clusterName,
            log.responseCause() != null || log.responseHeaders().status().code() >= 500));
      }
    }
    @Nullable ClientRequestContext upstream = cctx;
    String affinityCookie = setAffinity && sticky != null ? sticky.cookie() : null;
    return res
        .mapHeaders(h -> {
          ResponseHeaders out = responseHeaders(h, upstream, route);
          if (affinityCookie == null || upstream == null || upstream.endpoint() == null
              || h.status().isInformational()) {
            return out;
          }
          Cookie c = Cookie.builder(affinityCookie, snapshot.affinity().cookieValue(clusterName,
                  snapshot.affinity().endpointId(clusterName, upstream.endpoint())))
              .path("/")
              .httpOnly(true)
              .secure(ctx.sessionProtocol().isTls())
              .sameSite("Lax")
              .maxAge(sticky.cookieTtl().isZero() ? Cookie.UNDEFINED_MAX_AGE
                  : sticky.cookieTtl().toSeconds())
              .build();
          return out.toBuilder().add(HttpHeaderNames.SET_COOKIE, c.toSetCookieHeader()).build();
        })
        .mapTrailers(t -> stripResponse(t, route))
        .recover(cause -> {
          String rejection = ErrorResponses.rejection(cause);
          if (rejection != null) {
            metrics.rejected(clusterName, rejection);
          }
          return ErrorResponses.upstreamFailure(cause);
        });
  }

  /** Returns a 64-bit hash of an affinity key, spread evenly for the consistent hash. */
  private static long hash(String key) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(d).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }

  /**
   * Returns the Cookie header without the named cookies, or null when none is left. Cookies are
   * split on ';' and kept as they were written.
   */
  static @Nullable String withoutCookies(List<String> headers, Set<String> names) {
    StringBuilder sb = new StringBuilder();
    for (String header : headers) {
      for (String pair : header.split(";")) {
        String p = pair.trim();
        if (p.isEmpty()) {
          continue;
        }
        int eq = p.indexOf('=');
        String name = (eq < 0 ? p : p.substring(0, eq)).trim();
        if (names.contains(name)) {
          continue;
        }
        if (sb.length() > 0) {
          sb.append("; ");
        }
        sb.append(p);
      }
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  private static RequestHeaders requestHeaders(ServiceRequestContext ctx, RequestHeaders in,
      Snapshot snapshot, ProxyConfig.Route route) {
    RequestHeadersBuilder b = in.toBuilder();
    removeHopByHop(b, in);
    InetAddress peer = ctx.remoteAddress().getAddress();
    boolean trusted = snapshot.trusts(peer);
    SessionProtocol protocol = ctx.sessionProtocol();
    String proto = protocol.isTls() ? "https" : "http";
    String ip = address(peer);

    String xff = trusted ? joined(in, X_FORWARDED_FOR) : null;
    b.set(X_FORWARDED_FOR, xff == null ? ip : xff + ", " + ip);
    String xfp = trusted ? in.get(X_FORWARDED_PROTO) : null;
    b.set(X_FORWARDED_PROTO, xfp == null ? proto : xfp);
    StringBuilder forwarded = new StringBuilder();
    forwarded.append("for=").append(peer instanceof Inet6Address ? "\"[" + ip + "]\"" : ip)
        .append(";proto=").append(proto);
    String authority = in.authority();
    if (authority != null && !authority.isEmpty()) {
      forwarded.append(";host=").append(token(authority));
    }
    String prior = trusted ? joined(in, HttpHeaderNames.FORWARDED) : null;
    b.set(HttpHeaderNames.FORWARDED,
        prior == null ? forwarded.toString() : prior + ", " + forwarded);
    appendVia(b, in, protocol.isMultiplex() ? VIA_2_0 : VIA_1_1);
    TraceContext trace = TraceContext.of(ctx);
    if (trace != null) {
      b.set(TraceContext.TRACEPARENT, trace.traceparent());
      if (!trace.continued()) {
        b.remove(TraceContext.TRACESTATE);
      }
    }
    if (route.hostRewrite() != null) {
      // An HTTP/1 request keeps its Host header beside :authority, and the client sends Host.
      b.remove(HttpHeaderNames.HOST);
      b.authority(route.hostRewrite());
    }
    String stickyCookie = route.sticky() == null ? null : route.sticky().cookie();
    if ((stickyCookie != null || !route.stripRequestCookies().isEmpty())
        && in.contains(HttpHeaderNames.COOKIE)) {
      Set<String> strip = route.stripRequestCookies();
      if (stickyCookie != null) {
        strip = new HashSet<>(strip);
        strip.add(stickyCookie);
      }
      String kept = withoutCookies(in.getAll(HttpHeaderNames.COOKIE), strip);
      b.remove(HttpHeaderNames.COOKIE);
      if (kept != null) {
        b.set(HttpHeaderNames.COOKIE, kept);
      }
    }
    return b.build();
  }

  private static ResponseHeaders responseHeaders(ResponseHeaders in,
      @Nullable ClientRequestContext upstream, ProxyConfig.Route route) {
    var b = in.toBuilder();
    removeHopByHop(b, in);
    for (String name : route.stripResponseHeaders()) {
      b.remove(name);
    }
    appendVia(b, in, upstreamVia(upstream));
    return b.build();
  }

  private static HttpHeaders stripResponse(HttpHeaders trailers, ProxyConfig.Route route) {
    HttpHeadersBuilder b = trailers.toBuilder();
    removeHopByHop(b, trailers);
    for (String name : route.stripResponseHeaders()) {
      b.remove(name);
    }
    return b.build();
  }

  /** Returns this proxy's Via entry for the response, by the upstream connection's version. */
  private static String upstreamVia(@Nullable ClientRequestContext upstream) {
    if (upstream != null && upstream.log().isAvailable(RequestLogProperty.SESSION)) {
      RequestLog log = upstream.log().partial();
      SessionProtocol p = log.sessionProtocol();
      if (p != null && p.isMultiplex()) {
        return VIA_2_0;
      }
    }
    return VIA_1_1;
  }

  /**
   * Removes the hop-by-hop headers and any header the Connection header names. {@code TE:
   * trailers} is kept: HTTP/2 allows it and gRPC needs it end to end.
   */
  private static void removeHopByHop(HttpHeadersBuilder b, HttpHeaders in) {
    List<String> connection = in.getAll(HttpHeaderNames.CONNECTION);
    boolean teNamed = !connection.isEmpty() && HopByHop.removeNamed(connection, b::remove);
    String te = in.get(HttpHeaderNames.TE);
    for (AsciiString name : HopByHop.NAMES) {
      b.remove(name);
    }
    if (HopByHop.keepsTrailers(te, teNamed)) {
      b.set(HttpHeaderNames.TE, "trailers");
    }
  }


  private static void appendVia(HttpHeadersBuilder b, HttpHeaders in, String via) {
    String prior = joined(in, HttpHeaderNames.VIA);
    b.set(HttpHeaderNames.VIA, prior == null ? via : prior + ", " + via);
  }

  private static @Nullable String joined(HttpHeaders headers, AsciiString name) {
    List<String> values = headers.getAll(name);
    return values.isEmpty() ? null : String.join(", ", values);
  }

  /** Returns the address as text, IPv6 without brackets or scope. */
  private static String address(InetAddress a) {
    String s = a.getHostAddress();
    int scope = s.indexOf('%');
    return scope < 0 ? s : s.substring(0, scope);
  }

  /** Returns a Forwarded parameter value, quoted unless it is a token. */
  private static String token(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!(Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0)) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
      }
    }
    return value;
  }
}
