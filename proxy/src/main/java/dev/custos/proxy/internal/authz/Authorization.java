package dev.custos.proxy.internal.authz;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.proxy.AuthnConfig;
import dev.custos.proxy.Principal;
import dev.custos.proxy.internal.ErrorResponses;
import dev.custos.proxy.internal.LogThrottle;
import dev.custos.proxy.internal.Selection;
import dev.custos.proxy.internal.Snapshot;
import dev.custos.proxy.internal.authn.Authentication;
import dev.custos.proxy.internal.identity.IdentityResolver;
import dev.custos.proxy.internal.telemetry.Decisions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The authorization layer: for a route with an {@code authz} block it decides each request with
 * the route's compiled rules (deny first, then allow, else deny) and answers a refusal with 403
 * {@code {"error":"forbidden","status":403}}. Counts {@code
 * custos_authz_decisions_total{route,decision}}; logs refusals at INFO and allowances at DEBUG,
 * at most one line a second each (with a count of those suppressed), naming the route, the rule
 * index or {@code default} and the configuration version. Never logs a principal, a claim or a
 * header. Thread-safe; runs on the event loop (no I/O).
 */
public final class Authorization {
  private static final Logger logger = LoggerFactory.getLogger(Authorization.class);

  private final MeterRegistry registry;
  private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final LogThrottle denyLog = new LogThrottle(Duration.ofSeconds(1));
  private final LogThrottle allowLog = new LogThrottle(Duration.ofSeconds(1));

  /** Creates the layer, counting into {@code registry}. */
  public Authorization(MeterRegistry registry) {
    this.registry = requireNonNull(registry, "registry");
  }

  /** Serves a request: decides it when its route has an authz block, then calls {@code next}. */
  public HttpResponse serve(HttpService next, ServiceRequestContext ctx, HttpRequest req)
      throws Exception {
    Selection selection = ctx.attr(Selection.KEY);
    if (selection == null) {
      return next.serve(ctx, req);
    }
    CompiledAuthz authz = selection.snapshot().authz(selection.route());
    if (authz == null) {
      return next.serve(ctx, req);
    }
    String route = selection.route().name();
    String version = selection.snapshot().config().version();
    CompiledAuthz.Decision d = authz.decide(new RequestView(ctx, req.headers(),
        selection.snapshot()));
    count(route, d.allowed() ? "allow" : "deny");
    Decisions.authz(ctx, d.allowed(), d.ruleName());
    if (!d.allowed()) {
      long suppressed = denyLog.tryAcquire();
      if (suppressed >= 0) {
        logger.info("authz: deny route={} rule={} version={}{}", route, d.ruleName(), version,
            suppressed > 0 ? " (" + suppressed + " similar suppressed)" : "");
      }
      return ErrorResponses.of(HttpStatus.FORBIDDEN, "forbidden");
    }
    if (logger.isDebugEnabled() && allowLog.tryAcquire() >= 0) {
      logger.debug("authz: allow route={} rule={} version={}", route, d.ruleName(), version);
    }
    return next.serve(ctx, req);
  }

  private void count(String route, String decision) {
    String key = route + '\0' + decision;
    Counter c = counters.get(key);
    if (c == null) {
      c = counters.computeIfAbsent(key, k -> Counter.builder("custos.authz.decisions")
          .description("Authorization decisions, by route and decision")
          .tag("route", route)
          .tag("decision", decision)
          .register(registry));
    }
    c.increment();
  }

  /** One request as the rules see it; CEL variables are built only when a condition asks. */
  private static final class RequestView implements CompiledAuthz.Request {
    private final ServiceRequestContext ctx;
    private final RequestHeaders headers;
    private final Snapshot snapshot;
    private final @Nullable Principal principal;
    private @Nullable String sourceIpText;
    private @Nullable Map<String, Object> cel;

    RequestView(ServiceRequestContext ctx, RequestHeaders headers, Snapshot snapshot) {
      this.ctx = ctx;
      this.headers = headers;
      this.snapshot = snapshot;
      this.principal = Authentication.principal(ctx);
    }

    @Override
    public String method() {
      return headers.method().name();
    }

    @Override
    public String path() {
      return ctx.path();
    }

    private String sourceIpText() {
      if (sourceIpText == null) {
        InetSocketAddress remote = ctx.remoteAddress();
        InetAddress peer = remote.getAddress() != null ? remote.getAddress()
            : ctx.clientAddress();
        sourceIpText = IdentityResolver.clientAddress(headers, peer, snapshot::trusts);
      }
      return sourceIpText;
    }

    @Override
    public @Nullable InetAddress sourceIp() {
      return NetUtil.createInetAddressFromIpAddressString(sourceIpText());
    }

    @Override
    public @Nullable String principal() {
      return principal == null ? null : principal.name();
    }

    @Override
    public Map<String, Object> claims() {
      return principal == null ? Map.of() : principal.claims();
    }

    @Override
    public Map<String, Object> celVariables() {
      if (cel == null) {
        Map<String, Object> h = new LinkedHashMap<>();
        headers.forEach((name, value) -> {
          String n = name.toString().toLowerCase(Locale.ROOT);
          if (!n.startsWith(":")) {
            h.merge(n, value, (a, b) -> a + "," + b);
          }
        });
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("method", method());
        request.put("path", path());
        String host = headers.authority();
        request.put("host", host == null ? "" : host);
        request.put("source_ip", sourceIpText());
        request.put("headers", h);
        Map<String, Object> p = new LinkedHashMap<>();
        List<Object> methods = new ArrayList<>();
        if (principal != null) {
          p.put("name", principal.name());
          for (AuthnConfig.Method m : principal.methods()) {
            methods.add(m.id());
          }
        }
        p.put("methods", methods);
        p.put("claims", AuthzCel.value(claims()));
        cel = Map.of("request", request, "principal", p);
      }
      return cel;
    }
  }
}
