package dev.custos.proxy.internal.authn;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.engine.EvidenceKey;
import dev.custos.proxy.AuthnConfig;
import dev.custos.proxy.CallerIdentity;
import dev.custos.proxy.Principal;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.ErrorResponses;
import dev.custos.proxy.internal.LogThrottle;
import dev.custos.proxy.internal.Selection;
import dev.custos.proxy.internal.Snapshot;
import dev.custos.proxy.internal.identity.IdentityHasher;
import dev.custos.proxy.internal.identity.IdentityResolver;
import dev.custos.proxy.internal.telemetry.Decisions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The authentication layer: for a route with an {@code authn} requirement it throttles sources
 * with too many recent failures (429), checks the credentials the requirement names, and on
 * success makes the verified identity the caller's identity for budgets and findings. Counts
 * {@code custos_authn_failures_total{route,reason}} and {@code
 * custos_authn_throttled_total{route}}. Credentials are never logged, counted by value or
 * echoed. Thread-safe; one instance serves every configuration the proxy reloads, so failure
 * counts survive reloads.
 */
public final class Authentication {
  /** The request attribute holding the verified {@link Principal}. */
  public static final AttributeKey<Principal> PRINCIPAL =
      AttributeKey.valueOf(Authentication.class, "PRINCIPAL");

  private static final Logger logger = LoggerFactory.getLogger(Authentication.class);

  private final MeterRegistry registry;
  private final IdentityHasher hasher;
  private final Clock clock;
  private final AbuseGuard guard;
  private final Cache<ProxyConfig, Authenticators> compiled = Caffeine.newBuilder()
      .weakKeys()
      .maximumSize(16)
      .build();
  private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final LogThrottle log = new LogThrottle(Duration.ofSeconds(1));

  /** Creates the layer; identities are hashed under {@code identityKey}. */
  public Authentication(MeterRegistry registry, EvidenceKey identityKey) {
    this(registry, identityKey, Clock.systemUTC(), Ticker.systemTicker());
  }

  Authentication(MeterRegistry registry, EvidenceKey identityKey, Clock clock, Ticker ticker) {
    this.registry = requireNonNull(registry, "registry");
    this.hasher = new IdentityHasher(requireNonNull(identityKey, "identityKey"));
    this.clock = clock;
    this.guard = new AbuseGuard(ticker);
  }

  /**
   * Reads the providers' keys, secrets and bundles for a configuration ahead of its requests.
   *
   * @throws IllegalArgumentException if one can no longer be read
   */
  public void prepare(ProxyConfig config) {
    compiled(config);
  }

  private Authenticators compiled(ProxyConfig config) {
    return compiled.get(config, c -> new Authenticators(c.authn(), hasher, clock));
  }

  /**
   * Returns the TLS listener's trust manager: it accepts any client certificate chain at the
   * handshake (the certificate signature itself is still checked by TLS) and names the current
   * trust bundle's CAs to clients, so that each route decides with the bundle in force.
   */
  public X509TrustManager trustManager(Supplier<ProxyConfig> current) {
    requireNonNull(current, "current");
    return new X509ExtendedTrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType)
          throws CertificateException {
        throw new CertificateException("server certificates are not checked here");
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
          throws CertificateException {
        checkServerTrusted(chain, authType);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e)
          throws CertificateException {
        checkServerTrusted(chain, authType);
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        try {
          return compiled(current.get()).trustBundle().toArray(new X509Certificate[0]);
        } catch (RuntimeException e) {
          return new X509Certificate[0];
        }
      }
    };
  }

  /** Serves a request: authenticates it when its route asks for it, then calls {@code next}. */
  public HttpResponse serve(HttpService next, ServiceRequestContext ctx, HttpRequest req)
      throws Exception {
    Selection selection = ctx.attr(Selection.KEY);
    AuthnConfig.Requirement requirement = selection == null ? null : selection.route().authn();
    if (requirement == null) {
      return next.serve(ctx, req);
    }
    Snapshot snapshot = selection.snapshot();
    ProxyConfig config = snapshot.config();
    String route = selection.route().name();
    RequestHeaders headers = req.headers();
    String ipSource = "ip:" + clientIp(ctx, headers, snapshot);
    Authenticators authenticators;
    try {
      authenticators = compiled(config);
    } catch (RuntimeException e) {
      count("custos.authn.failures", route, "provider_unavailable");
      Decisions.authnRefused(ctx, "provider_unavailable");
      logRateLimited("authn: providers of {} cannot be read: {}", config.sourceName(),
          e.getMessage());
      return ErrorResponses.of(HttpStatus.SERVICE_UNAVAILABLE, "authentication unavailable");
    }
    List<String> sources = new ArrayList<>(3);
    sources.add(ipSource);
    for (String claimed : authenticators.claimed(headers, requirement)) {
      sources.add("id:" + claimed);
    }
    Duration wait = Duration.ZERO;
    for (String s : sources) {
      Duration d = guard.blockedFor(s);
      if (d.compareTo(wait) > 0) {
        wait = d;
      }
    }
    if (!wait.isZero()) {
      count("custos.authn.throttled", route, null);
      Decisions.authnRefused(ctx, "throttled");
      long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
      return ErrorResponses.of(HttpStatus.TOO_MANY_REQUESTS, "too many failed authentications",
          HttpHeaders.of("retry-after", String.valueOf(seconds)));
    }
    if (authenticators.mayBlock(requirement)) {
      CompletableFuture<HttpResponse> response = CompletableFuture
          .supplyAsync(() -> decide(authenticators, requirement, ctx, headers, route),
              ctx.blockingTaskExecutor())
          .thenApplyAsync(attempts -> {
            try {
              return respond(attempts, authenticators, requirement, config.authn().abuse(),
                  sources, route, next, ctx, req);
            } catch (Exception e) {
              return HttpResponse.ofFailure(e);
            }
          }, ctx.eventLoop());
      return HttpResponse.of(response);
    }
    return respond(decide(authenticators, requirement, ctx, headers, route), authenticators,
        requirement, config.authn().abuse(), sources, route, next, ctx, req);
  }

  /** Tries the requirement's methods; returns the ones that succeeded, then the failures. */
  private static List<Attempt> decide(Authenticators a, AuthnConfig.Requirement r,
      ServiceRequestContext ctx, RequestHeaders headers, String route) {
    List<Attempt> attempts = new ArrayList<>(r.methods().size());
    for (AuthnConfig.Method m : r.methods()) {
      Attempt at = a.verify(m, headers, ctx.sslSession(), route);
      attempts.add(at);
      if (r.all() ? !at.ok() : at.ok() && (!r.sensitive() || m != AuthnConfig.Method.API_KEY)) {
        break;
      }
    }
    return attempts;
  }

  private HttpResponse respond(List<Attempt> attempts, Authenticators a,
      AuthnConfig.Requirement r, AuthnConfig.Abuse abuse, List<String> sources, String route,
      HttpService next, ServiceRequestContext ctx, HttpRequest req) throws Exception {
    List<Attempt> ok = new ArrayList<>();
    Attempt worst = null;
    for (Attempt at : attempts) {
      if (at.ok()) {
        ok.add(at);
      } else if (worst == null || rank(at) > rank(worst)) {
        worst = at;
      }
    }
    boolean passed = r.all() ? worst == null : !ok.isEmpty();
    if (passed) {
      Set<AuthnConfig.Method> methods = EnumSet.noneOf(AuthnConfig.Method.class);
      ok.forEach(at -> methods.add(at.method()));
      if (r.sensitive() && methods.equals(EnumSet.of(AuthnConfig.Method.API_KEY))) {
        count("custos.authn.failures", route, "api_key_alone");
        Decisions.authnRefused(ctx, "api_key_alone");
        return ErrorResponses.of(HttpStatus.FORBIDDEN,
            "an API key alone is not accepted on this route");
      }
      Attempt primary = ok.get(0);
      ctx.setAttr(CallerIdentity.ATTRIBUTE, primary.identity().key());
      java.util.Map<String, Object> claims = java.util.Map.of();
      for (Attempt at : ok) {
        if (!at.claims().isEmpty()) {
          claims = at.claims();
        }
      }
      ctx.setAttr(PRINCIPAL, new Principal(primary.principal(), methods, primary.identity(),
          claims));
      Decisions.authnPassed(ctx, methods);
      return next.serve(ctx, req);
    }
    count("custos.authn.failures", route, worst.reason());
    Decisions.authnRefused(ctx, worst.reason());
    switch (worst.status()) {
      case FAILED -> {
        throttleOnFailure(abuse, sources, worst, route);
        if (worst.method() == AuthnConfig.Method.MTLS) {
          return ErrorResponses.of(HttpStatus.FORBIDDEN, "client certificate refused");
        }
        return ErrorResponses.of(HttpStatus.UNAUTHORIZED, "invalid credentials",
            challenges(a, r, worst.method() == AuthnConfig.Method.JWT));
      }
      case FORBIDDEN -> {
        return ErrorResponses.of(HttpStatus.FORBIDDEN, "API key not allowed on this route");
      }
      case UNAVAILABLE -> {
        logRateLimited("authn: {} could not be checked on route {}: {}", worst.method().id(),
            route, worst.reason());
        return ErrorResponses.of(HttpStatus.SERVICE_UNAVAILABLE, "authentication unavailable");
      }
      default -> {
        if (worst.method() == AuthnConfig.Method.MTLS) {
          return ErrorResponses.of(HttpStatus.FORBIDDEN, "client certificate required");
        }
        return ErrorResponses.of(HttpStatus.UNAUTHORIZED, "authentication required",
            challenges(a, r, false));
      }
    }
  }

  /** Orders failures by how much they tell: a refused credential first, a missing one last. */
  private static int rank(Attempt a) {
    return switch (a.status()) {
      case FAILED -> 4;
      case UNAVAILABLE -> 3;
      case FORBIDDEN -> 2;
      case MISSING -> 1;
      case OK -> 0;
    };
  }

  private static HttpHeaders challenges(Authenticators a, AuthnConfig.Requirement r,
      boolean invalidToken) {
    HttpHeadersBuilder h = HttpHeaders.builder();
    for (AuthnConfig.Method m : r.methods()) {
      String c = a.challenge(m, invalidToken);
      if (c != null) {
        h.add("www-authenticate", c);
      }
    }
    return h.build();
  }

  private void throttleOnFailure(AuthnConfig.Abuse abuse, List<String> sources, Attempt failed,
      String route) {
    List<String> counted = new ArrayList<>(2);
    counted.add(sources.get(0));
    if (failed.claimed() != null) {
      counted.add("id:" + failed.claimed());
    }
    for (String source : counted) {
      if (guard.failure(source, abuse)) {
        logRateLimited("authn: throttling {} for {}s after {} failed authentications within {}s"
            + " (last on route {}: {})", source, abuse.blockFor().toSeconds(),
            abuse.maxFailures(), abuse.window().toSeconds(), route, failed.reason());
      }
    }
  }

  private void logRateLimited(String format, Object... args) {
    long suppressed = log.tryAcquire();
    if (suppressed > 0) {
      logger.warn("authn: {} similar messages suppressed", suppressed);
    }
    if (suppressed >= 0) {
      logger.warn(format, args);
    }
  }

  private void count(String name, String route, @Nullable String reason) {
    String key = name + '\0' + route + '\0' + reason;
    Counter c = counters.get(key);
    if (c == null) {
      c = counters.computeIfAbsent(key, k -> {
        Counter.Builder b = Counter.builder(name).tag("route", route);
        if (reason != null) {
          b.tag("reason", reason).description("Failed authentications, by route and reason");
        } else {
          b.description("Requests refused with 429 after too many failed authentications");
        }
        return b.register(registry);
      });
    }
    c.increment();
  }

  private static String clientIp(ServiceRequestContext ctx, RequestHeaders headers,
      Snapshot snapshot) {
    InetSocketAddress remote = ctx.remoteAddress();
    InetAddress peer = remote.getAddress() != null ? remote.getAddress() : ctx.clientAddress();
    return IdentityResolver.clientAddress(headers, peer, snapshot::trusts);
  }

  /** Returns the verified principal of a request, or null. */
  public static @Nullable Principal principal(ServiceRequestContext ctx) {
    return ctx.attr(PRINCIPAL);
  }
}
