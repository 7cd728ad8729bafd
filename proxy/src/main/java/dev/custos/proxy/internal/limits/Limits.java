package dev.custos.proxy.internal.limits;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.custos.engine.EvidenceKey;
import dev.custos.proxy.AuthnConfig;
import dev.custos.proxy.CallerIdentity;
import dev.custos.proxy.Identity;
import dev.custos.proxy.Principal;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.RateLimitStore;
import dev.custos.proxy.internal.ErrorResponses;
import dev.custos.proxy.internal.Selection;
import dev.custos.proxy.internal.authn.Authentication;
import dev.custos.proxy.internal.identity.IdentityHasher;
import dev.custos.proxy.internal.identity.IdentityResolver;
import dev.custos.proxy.internal.shared.Nonces;
import dev.custos.proxy.internal.shared.SharedStateUnavailableException;
import dev.custos.proxy.internal.telemetry.Decisions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The limits layer (NIST SP 800-204 MS-SS-8, SP 800-204A default deny and egress).
 *
 * <ul>
 *   <li>Before a route is chosen ({@link #screen}): request headers over {@code
 *       limits.max_header_size} get 431, a host outside {@code egress.allowed_hosts} gets 403.
 *   <li>No route ({@link #noRoute}): 404.
 *   <li>Once a route is chosen ({@link #global}): the proxy's capacity bucket, 429.
 *   <li>After authentication ({@link #serve}): the route's body size (413), its rate limits and
 *       the caller's usage plan (429 with {@code Retry-After}), then replay protection (409 for a
 *       nonce seen before, 400 for none).
 * </ul>
 *
 * Counts {@code custos_rate_limited_total{route,limit}}, {@code
 * custos_replays_rejected_total{route}} and {@code custos_requests_rejected_total{reason}}
 * (header_size, body_size, no_route, egress_denied, nonce_missing, shared_state_unavailable).
 * With {@code shared_state: {on_unavailable: fail_closed}}, a rate limit or replay check that
 * cannot reach Redis answers 503. Bucket keys and remembered
 * nonces are keyed hashes, never raw values. Thread-safe; one instance serves every configuration
 * the proxy reloads, so buckets and nonces survive reloads.
 */
public final class Limits {
  private static final Logger logger = LoggerFactory.getLogger(Limits.class);

  /** The most nonces remembered; beyond it the oldest are dropped (see the docs). */
  static final long MAX_NONCES = 500_000;

  private final MeterRegistry registry;
  private final IdentityHasher hasher;
  private final RateLimitStore store;
  private final java.time.Clock wallClock;
  private final Nonces nonces;
  private final Cache<ProxyConfig, Map<String, String>> plansByKey = Caffeine.newBuilder()
      .weakKeys()
      .maximumSize(16)
      .build();
  private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();

  /**
   * Creates the layer with nonces in this process's memory.
   *
   * @param identityKey the key client addresses and nonces are hashed under
   * @param ticker the clock nonce expiry reads; the store has its own
   * @param wallClock the clock a JWT's {@code exp} is compared with
   */
  public Limits(MeterRegistry registry, EvidenceKey identityKey, RateLimitStore store,
      Ticker ticker, java.time.Clock wallClock) {
    this(registry, identityKey, store, localNonces(ticker), wallClock);
  }

  /**
   * Creates the layer.
   *
   * @param identityKey the key client addresses and nonces are hashed under
   * @param nonces where replay nonces are remembered
   * @param wallClock the clock a JWT's {@code exp} is compared with
   */
  public Limits(MeterRegistry registry, EvidenceKey identityKey, RateLimitStore store,
      Nonces nonces, java.time.Clock wallClock) {
    this.wallClock = requireNonNull(wallClock, "wallClock");
    this.registry = requireNonNull(registry, "registry");
    this.hasher = new IdentityHasher(requireNonNull(identityKey, "identityKey"));
    this.store = requireNonNull(store, "store");
    this.nonces = requireNonNull(nonces, "nonces");
  }

  /** Returns nonces in memory, at most {@link #MAX_NONCES}, expiring by {@code ticker}. */
  public static Nonces localNonces(Ticker ticker) {
    return Nonces.inMemory(MAX_NONCES, ticker);
  }

  /** Returns the store buckets live in. */
  public RateLimitStore store() {
    return store;
  }

  /**
   * Returns the refusal of a request no route may see (headers too large: 431; host outside the
   * egress list: 403), or null when it may be routed.
   */
  public @Nullable HttpResponse screen(RequestHeaders headers, @Nullable String host,
      ProxyConfig config) {
    long max = config.limits().maxHeaderSize();
    if (max > 0 && headerSize(headers) > max) {
      rejected("header_size");
      return ErrorResponses.of(HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
          "request headers too large");
    }
    ProxyConfig.Egress egress = config.egress().orElse(null);
    if (egress != null && !egress.allows(host)) {
      rejected("egress_denied");
      return ErrorResponses.of(HttpStatus.FORBIDDEN, "destination host not allowed");
    }
    return null;
  }

  /** Returns the answer to a request no route matches: 404, with nothing forwarded. */
  public HttpResponse noRoute() {
    rejected("no_route");
    return ErrorResponses.of(HttpStatus.NOT_FOUND, "no route");
  }

  /** Takes a token from the proxy's capacity bucket, then serves {@code next}; 429 when empty. */
  public HttpResponse global(HttpService next, ServiceRequestContext ctx, HttpRequest req)
      throws Exception {
    Selection selection = requireNonNull(ctx.attr(Selection.KEY), "selection");
    ProxyConfig.Rate global = selection.snapshot().config().limits().global();
    if (global == null) {
      return next.serve(ctx, req);
    }
    return run(List.of(new Check("global", "*", global, "global")), 0,
        selection.route().name(), next, ctx, req);
  }

  /** Serves a request through the route's limits, then {@code next}. */
  public HttpResponse serve(HttpService next, ServiceRequestContext ctx, HttpRequest req)
      throws Exception {
    Selection selection = ctx.attr(Selection.KEY);
    if (selection == null) {
      return next.serve(ctx, req);
    }
    ProxyConfig config = selection.snapshot().config();
    ProxyConfig.Route route = selection.route();
    ProxyConfig.RouteLimits limits = route.limits();
    if (limits.maxRequestBody() > 0) {
      long length = req.headers().contentLength();
      if (length > limits.maxRequestBody()) {
        rejected("body_size");
        Decisions.limit(ctx, "max_request_body");
        return ErrorResponses.of(HttpStatus.REQUEST_ENTITY_TOO_LARGE, "request body too large");
      }
      long current = ctx.maxRequestLength();
      if (current == 0 || current > limits.maxRequestBody()) {
        ctx.setMaxRequestLength(limits.maxRequestBody());
      }
    }
    List<Check> checks = new ArrayList<>(limits.rates().size() + 1);
    String identity = null;
    for (ProxyConfig.RateLimit l : limits.rates()) {
      String key = "*";
      if (l.key() == ProxyConfig.RateLimit.Key.IDENTITY) {
        identity = identity != null ? identity : identityKey(ctx, req.headers(), selection);
        key = identity;
      }
      checks.add(new Check("route:" + route.name() + "/" + l.name(), key, l.rate(), l.name()));
    }
    String plan = plan(ctx, config);
    if (plan != null) {
      Principal p = Authentication.principal(ctx);
      checks.add(new Check("plan:" + plan, p.identity().key(), config.limits().plans().get(plan),
          "plan:" + plan));
    }
    HttpService replayThenNext = limits.replay() == null ? next
        : (c, r) -> replay(next, c, r, route, limits.replay(), config);
    return run(checks, 0, route.name(), replayThenNext, ctx, req);
  }

  private record Check(String limit, String key, ProxyConfig.Rate rate, String label) {}

  /** Runs the checks from {@code i} on; stays synchronous while the store answers at once. */
  private HttpResponse run(List<Check> checks, int i, String route, HttpService next,
      ServiceRequestContext ctx, HttpRequest req) throws Exception {
    for (int at = i; at < checks.size(); at++) {
      Check c = checks.get(at);
      CompletableFuture<Duration> f;
      try {
        f = store.tryConsume(c.limit(), c.key(), c.rate()).toCompletableFuture();
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      if (f.isDone() && !f.isCompletedExceptionally()) {
        Duration wait = f.join();
        if (!wait.isZero()) {
          return tooMany(ctx, route, c.label(), wait);
        }
        continue;
      }
      int following = at + 1;
      return HttpResponse.of(f.handleAsync((wait, error) -> {
        if (error != null && SharedStateUnavailableException.isCause(error)) {
          return unavailable(ctx);
        } else if (error != null) {
          logger.warn("limits: rate limit store failed on route {} ({}); request let through",
              route, error.getClass().getSimpleName());
        } else if (!wait.isZero()) {
          return tooMany(ctx, route, c.label(), wait);
        }
        try {
          return run(checks, following, route, next, ctx, req);
        } catch (Exception e) {
          return HttpResponse.ofFailure(e);
        }
      }, ctx.eventLoop()));
    }
    return next.serve(ctx, req);
  }

  private HttpResponse tooMany(ServiceRequestContext ctx, String route, String limit,
      Duration wait) {
    Decisions.limit(ctx, limit);
    count("custos.rate.limited", "Requests refused with 429 by a rate limit, by route and limit",
        "route", route, "limit", limit);
    long seconds = Math.max(1, (wait.toNanos() + 999_999_999L) / 1_000_000_000L);
    return ErrorResponses.of(HttpStatus.TOO_MANY_REQUESTS, "rate limit exceeded",
        HttpHeaders.of("retry-after", String.valueOf(seconds)));
  }

  private HttpResponse replay(HttpService next, ServiceRequestContext ctx, HttpRequest req,
      ProxyConfig.Route route, ProxyConfig.Replay replay, ProxyConfig config) throws Exception {
    String nonce;
    long ttl = replay.window().toNanos();
    if (replay.jwtJti()) {
      JWTClaimsSet claims = verifiedClaims(ctx, req.headers(), config);
      nonce = claims == null ? null : claims.getJWTID();
      Date exp = claims == null ? null : claims.getExpirationTime();
      if (exp != null && config.authn().jwt() != null) {
        long untilExp = Duration.ofMillis(exp.getTime() - wallClock.millis())
            .plus(config.authn().jwt().clockSkew()).toNanos();
        ttl = Math.max(1_000_000_000L, Math.min(ttl, untilExp));
      }
    } else {
      nonce = req.headers().get(replay.header());
    }
    if (nonce == null || nonce.isEmpty()) {
      rejected("nonce_missing");
      return ErrorResponses.of(HttpStatus.BAD_REQUEST, replay.jwtJti()
          ? "token without jti on a replay-protected route" : "nonce header missing");
    }
    String key = route.name() + '\0' + hasher.identity(Identity.Kind.HEADER, nonce, false).key();
    CompletableFuture<Boolean> fresh;
    try {
      fresh = nonces.remember(key, Duration.ofNanos(ttl)).toCompletableFuture();
    } catch (RuntimeException e) {
      fresh = CompletableFuture.failedFuture(e);
    }
    if (fresh.isDone() && !fresh.isCompletedExceptionally()) {
      return fresh.join() ? next.serve(ctx, req) : replayed(ctx, route);
    }
    return HttpResponse.of(fresh.handleAsync((isNew, error) -> {
      if (error != null) {
        if (SharedStateUnavailableException.isCause(error)) {
          return unavailable(ctx);
        }
        logger.warn("limits: nonce store failed on route {} ({}); request refused", route.name(),
            error.getClass().getSimpleName());
        return ErrorResponses.of(HttpStatus.SERVICE_UNAVAILABLE, "replay check failed");
      }
      if (!isNew) {
        return replayed(ctx, route);
      }
      try {
        return next.serve(ctx, req);
      } catch (Exception e) {
        return HttpResponse.ofFailure(e);
      }
    }, ctx.eventLoop()));
  }

  private HttpResponse replayed(ServiceRequestContext ctx, ProxyConfig.Route route) {
    count("custos.replays.rejected", "Requests refused with 409 as replays, by route",
        "route", route.name(), null, null);
    Decisions.limit(ctx, "replay");
    return ErrorResponses.of(HttpStatus.CONFLICT, "replayed request");
  }

  /** Refuses a request whose limits need the shared state while it is unavailable: 503. */
  private HttpResponse unavailable(ServiceRequestContext ctx) {
    rejected("shared_state_unavailable");
    Decisions.limit(ctx, "shared_state_unavailable");
    return ErrorResponses.of(HttpStatus.SERVICE_UNAVAILABLE, "shared state unavailable");
  }

  /** Returns the claims of the JWT the authentication layer verified on this request, or null. */
  private static @Nullable JWTClaimsSet verifiedClaims(ServiceRequestContext ctx,
      RequestHeaders headers, ProxyConfig config) {
    Principal p = Authentication.principal(ctx);
    AuthnConfig.Jwt jwt = config.authn().jwt();
    if (p == null || jwt == null || !p.methods().contains(AuthnConfig.Method.JWT)) {
      return null;
    }
    String value = headers.get(jwt.header());
    if (value == null) {
      return null;
    }
    String token = value.regionMatches(true, 0, "Bearer ", 0, 7) ? value.substring(7).trim()
        : value.trim();
    try {
      return SignedJWT.parse(token).getJWTClaimsSet();
    } catch (ParseException e) {
      return null;
    }
  }

  /** Returns the usage plan of the API key the caller authenticated with, or null. */
  private @Nullable String plan(ServiceRequestContext ctx, ProxyConfig config) {
    if (config.limits().plans().isEmpty() || config.authn().apiKeys() == null) {
      return null;
    }
    Principal p = Authentication.principal(ctx);
    if (p == null || p.identity().kind() != Identity.Kind.API_KEY) {
      return null;
    }
    Map<String, String> plans = plansByKey.get(config, c -> {
      Map<String, String> m = new HashMap<>();
      for (AuthnConfig.ApiKey k : c.authn().apiKeys().keys()) {
        if (k.plan() != null) {
          m.put(k.name(), k.plan());
        }
      }
      return Map.copyOf(m);
    });
    return plans.get(p.name());
  }

  /**
   * Returns the key of the caller's buckets: the verified identity, else the keyed hash of the
   * client address.
   */
  private String identityKey(ServiceRequestContext ctx, RequestHeaders headers,
      Selection selection) {
    String verified = ctx.attr(CallerIdentity.ATTRIBUTE);
    if (verified != null) {
      return verified;
    }
    InetSocketAddress remote = ctx.remoteAddress();
    InetAddress peer = remote.getAddress() != null ? remote.getAddress() : ctx.clientAddress();
    String ip = IdentityResolver.clientAddress(headers, peer, selection.snapshot()::trusts);
    return hasher.identity(Identity.Kind.CLIENT_IP, ip, false).key();
  }

  /** Returns the bytes of a request's headers: each name and value plus 4, and the path. */
  static long headerSize(RequestHeaders headers) {
    long size = headers.path().length();
    for (Map.Entry<io.netty.util.AsciiString, String> e : headers) {
      if (e.getKey().charAt(0) != ':') {
        size += e.getKey().length() + e.getValue().length() + 4;
      }
    }
    return size;
  }

  /** Counts a request refused before it reached an upstream. */
  public void rejected(String reason) {
    count("custos.requests.rejected", "Requests refused by the proxy before any upstream was"
        + " contacted, by reason", "reason", reason, null, null);
  }

  private void count(String name, String description, String tag, String value,
      @Nullable String tag2, @Nullable String value2) {
    String key = name + '\0' + value + '\0' + value2;
    Counter c = counters.get(key);
    if (c == null) {
      c = counters.computeIfAbsent(key, k -> {
        Counter.Builder b = Counter.builder(name).description(description).tag(tag, value);
        if (tag2 != null) {
          b.tag(tag2, value2);
        }
        return b.register(registry);
      });
    }
    c.increment();
  }

  /** Returns where replay nonces are remembered. */
  public Nonces nonces() {
    return nonces;
  }

  @Override
  public String toString() {
    return "Limits{" + store + "}";
  }
}
