package dev.custos.command.internal.api;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.command.internal.ingest.Tokens;
import io.netty.util.AttributeKey;
import org.jspecify.annotations.Nullable;

/**
 * Authentication and roles of the command plane's API ({@code /api/v1/...} apart from the
 * proxies' ingest and configuration routes). Every API route is registered with
 * {@link #require(Role)} as its decorator; the handler then finds the {@link Caller} with
 * {@link #caller(ServiceRequestContext)}. Answers 401 without a valid credential and 403 when
 * the role is not enough. Thread-safe.
 */
public final class ApiAccess {
  private static final AttributeKey<Caller> CALLER =
      AttributeKey.valueOf(ApiAccess.class, "caller");

  private final Tokens apiTokens;

  /** Returns the access check of these API tokens; every one of them is an admin for now. */
  public ApiAccess(Tokens apiTokens) {
    this.apiTokens = requireNonNull(apiTokens, "apiTokens");
  }

  /** Returns a decorator that lets a request through only for a caller holding {@code role}. */
  public DecoratingHttpServiceFunction require(Role role) {
    requireNonNull(role, "role");
    return (delegate, ctx, req) -> {
      Caller caller = authenticate(req.headers().get(HttpHeaderNames.AUTHORIZATION));
      if (caller == null) {
        return unauthorized();
      }
      if (!caller.role().includes(role)) {
        return HttpResponse.of(HttpStatus.FORBIDDEN, MediaType.JSON_UTF_8,
            "{\"error\":\"role " + caller.role().name().toLowerCase(java.util.Locale.ROOT)
                + " may not do this (expected: " + role.name().toLowerCase(java.util.Locale.ROOT)
                + ")\"}");
      }
      ctx.setAttr(CALLER, caller);
      return delegate.serve(ctx, req);
    };
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

  private @Nullable Caller authenticate(@Nullable String authorization) {
    String name = apiTokens.check(authorization);
    return name == null ? null : new Caller(name, Role.ADMIN);
  }

  private static HttpResponse unauthorized() {
    return HttpResponse.of(ResponseHeaders.builder(HttpStatus.UNAUTHORIZED)
        .contentType(MediaType.JSON_UTF_8)
        .set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"custos-command-api\"").build(),
        HttpData.ofUtf8("{\"error\":\"Authorization: missing or unknown credential (expected:"
            + " Bearer and a token of api_tokens)\"}"));
  }
}
