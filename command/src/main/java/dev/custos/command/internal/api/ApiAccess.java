package dev.custos.command.internal.api;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.command.CommandConfig;
import dev.custos.command.internal.ingest.Tokens;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.netty.util.AttributeKey;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * Authentication and roles of the command plane's API ({@code /api/v1/...} apart from the
 * proxies' ingest and configuration routes). Every API route is registered with
 * {@link #require(Role)} as its decorator; the handler then finds the {@link Caller} with
 * {@link #caller(ServiceRequestContext)}.
 *
 * <p>A caller presents {@code Authorization: Bearer CREDENTIAL}: a token of {@code api_tokens}
 * (compared by digest in constant time; its configured role), or, when {@code oidc} is
 * configured, a JWT of the issuer (its roles claim gives the role). Answers 401 without a valid
 * credential, 403 when the role is not enough (or a valid JWT grants no role), 503 when the
 * issuer's keys cannot be fetched. A JWT whose keys come from a URL is verified on the blocking
 * task executor, never on an event loop. Thread-safe.
 */
public final class ApiAccess {
  private static final AttributeKey<Caller> CALLER =
      AttributeKey.valueOf(ApiAccess.class, "caller");

  private final Tokens apiTokens;
  private final Map<String, Role> roles;
  private final @Nullable OidcVerifier oidc;
  private final Map<String, Counter> outcomes;

  /** Returns the access check of these API tokens, every one of them an admin (tests). */
  public ApiAccess(Tokens apiTokens) {
    this.apiTokens = requireNonNull(apiTokens, "apiTokens");
    this.roles = Map.of();
    this.oidc = null;
    this.outcomes = counters(new CompositeMeterRegistry());
  }

  private ApiAccess(List<CommandConfig.ApiToken> tokens, CommandConfig.@Nullable Oidc oidc,
      Clock clock, MeterRegistry registry) {
    this.apiTokens = new Tokens(tokens.stream().map(CommandConfig.ApiToken::token).toList());
    Map<String, Role> r = new HashMap<>();
    for (CommandConfig.ApiToken t : tokens) {
      r.put(t.name(), t.role() == CommandConfig.ApiRole.ADMIN ? Role.ADMIN : Role.READ);
    }
    this.roles = Map.copyOf(r);
    this.oidc = oidc == null ? null : new OidcVerifier(oidc, clock);
    this.outcomes = counters(registry);
  }

  /**
   * Returns the access check of a configuration: its {@code api_tokens} with their roles, and
   * its {@code oidc} section if any; nothing counted.
   *
   * @throws IllegalArgumentException if the OIDC key file cannot be read
   */
  public static ApiAccess of(CommandConfig config, Clock clock) {
    return of(config, clock, new CompositeMeterRegistry());
  }

  /**
   * Returns the access check of a configuration, counting every decision in
   * {@code custos_command_api_access_total{result}}: {@code token} and {@code jwt} (let
   * through), {@code unauthorized} (401), {@code forbidden} (403), {@code unavailable} (503).
   *
   * @throws IllegalArgumentException if the OIDC key file cannot be read
   */
  public static ApiAccess of(CommandConfig config, Clock clock, MeterRegistry registry) {
    requireNonNull(config, "config");
    return new ApiAccess(config.apiTokens(), config.oidc(), requireNonNull(clock, "clock"),
        requireNonNull(registry, "registry"));
  }

  private static Map<String, Counter> counters(MeterRegistry registry) {
    Map<String, Counter> m = new HashMap<>();
    for (String result : List.of("token", "jwt", "unauthorized", "forbidden", "unavailable")) {
      m.put(result, Counter.builder("custos_command_api_access")
          .description("API requests by access decision").tag("result", result)
          .register(registry));
    }
    return Map.copyOf(m);
  }

  private void count(String result) {
    outcomes.get(result).increment();
  }

  /** Returns a decorator that lets a request through only for a caller holding {@code role}. */
  public DecoratingHttpServiceFunction require(Role role) {
    requireNonNull(role, "role");
    return (delegate, ctx, req) -> {
      String authorization = req.headers().get(HttpHeaderNames.AUTHORIZATION);
      String name = apiTokens.check(authorization);
      if (name != null) {
        return admit(new Caller(name, roles.getOrDefault(name, Role.ADMIN)), "token", role,
            delegate, ctx, req);
      }
      OidcVerifier verifier = oidc;
      String credential = bearer(authorization);
      if (verifier == null || credential == null || !OidcVerifier.looksLikeJwt(credential)) {
        count("unauthorized");
        return unauthorized("Authorization: missing or unknown credential (expected: Bearer and"
            + " a token of api_tokens" + (verifier == null ? "" : " or an OIDC JWT") + ")");
      }
      if (!verifier.remote()) {
        return decide(verifier.verify(credential), role, delegate, ctx, req);
      }
      return HttpResponse.of(CompletableFuture
          .supplyAsync(() -> verifier.verify(credential), ctx.blockingTaskExecutor())
          .thenApplyAsync(outcome -> {
            try {
              return decide(outcome, role, delegate, ctx, req);
            } catch (Exception e) {
              return HttpResponse.ofFailure(e);
            }
          }, ctx.eventLoop()));
    };
  }

  private HttpResponse decide(OidcVerifier.Outcome outcome, Role role,
      HttpService delegate, ServiceRequestContext ctx, HttpRequest req) throws Exception {
    if (outcome instanceof OidcVerifier.Accepted a) {
      return admit(a.caller(), "jwt", role, delegate, ctx, req);
    }
    OidcVerifier.Refused r = (OidcVerifier.Refused) outcome;
    return switch (r.status()) {
      case 401 -> {
        count("unauthorized");
        yield unauthorized("Authorization: " + r.reason());
      }
      case 403 -> {
        count("forbidden");
        yield ApiBasics.error(HttpStatus.FORBIDDEN, r.reason());
      }
      default -> {
        count("unavailable");
        yield ApiBasics.error(HttpStatus.SERVICE_UNAVAILABLE, r.reason());
      }
    };
  }

  private HttpResponse admit(Caller caller, String how, Role needed, HttpService delegate,
      ServiceRequestContext ctx, HttpRequest req) throws Exception {
    if (!caller.role().includes(needed)) {
      count("forbidden");
      return ApiBasics.error(HttpStatus.FORBIDDEN, "role "
          + caller.role().name().toLowerCase(Locale.ROOT) + " may not do this (expected: " + needed.name().toLowerCase(Locale.ROOT) + ")");
    }
    count(how);
    ctx.setAttr(CALLER, caller);
    return delegate.serve(ctx, req);
  }

  /**
   * Returns the caller of a request that went through {@link #require(Role)}.
   *
   * @throws IllegalStateException if the route was registered without it
   */
  public static Caller caller(ServiceRequestContext ctx) {
    Caller caller = ctx.attr(CALLER);
    if (caller == null) {
      throw new IllegalStateException("route registered without ApiAccess.require");
    }
    return caller;
  }

  private static @Nullable String bearer(@Nullable String authorization) {
    if (authorization == null || authorization.length() < 8
        || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String credential = authorization.substring(7).trim();
    return credential.isEmpty() ? null : credential;
  }

  private static HttpResponse unauthorized(String message) {
    return HttpResponse.of(ResponseHeaders.builder(HttpStatus.UNAUTHORIZED)
        .contentType(MediaType.JSON_UTF_8)
        .set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"custos-command-api\"").build(),
        HttpData.ofUtf8(ApiBasics.errorJson(message)));
  }
}
