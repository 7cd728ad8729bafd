package dev.custos.proxy.internal;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.ServerBuilder;
import dev.custos.proxy.AuthnConfig;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.authn.AuthnFiles;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The admin server's endpoints: {@code /healthz}, {@code /readyz}, {@code /config}, {@code
 * /metrics}. With an admin token configured, every endpoint but {@code /healthz} (a liveness
 * probe that tells nothing) requires {@code Authorization: Bearer <token>}, compared in constant
 * time through SHA-256 digests; a missing or wrong token gets 401.
 * Also {@code POST /canaries/resume?route=R&cluster=C}, which gives a halted canary its
 * share back (200, or 404 when that canary is not halted).
 */
public final class AdminService {
  private AdminService() {}

  /**
   * Adds the admin endpoints.
   *
   * @param running whether the proxy's listeners are up and no fatal error was seen
   *     ({@code /healthz})
   * @param ready whether, besides, the proxy is not shutting down ({@code /readyz})
   */
  public static void addTo(ServerBuilder sb, AtomicReference<Snapshot> current,
      BooleanSupplier running, BooleanSupplier ready, PrometheusMeterRegistry registry,
      Supplier<byte @Nullable []> tokenDigest, Canaries canaries) {
    sb.decorator((delegate, ctx, req) -> {
      byte[] expected = tokenDigest.get();
      if (expected == null || ctx.path().equals("/healthz")) {
        return delegate.serve(ctx, req);
      }
      String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
      byte[] given = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
          ? sha256(auth.substring(7).trim().getBytes(StandardCharsets.UTF_8)) : new byte[32];
      if (!MessageDigest.isEqual(expected, given)) {
        return ErrorResponses.of(HttpStatus.UNAUTHORIZED, "admin token required",
            HttpHeaders.of(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"custos-admin\""));
      }
      return delegate.serve(ctx, req);
    });
    sb.service("/healthz", (ctx, req) -> running.getAsBoolean()
        ? HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, "ok\n")
        : HttpResponse.of(HttpStatus.SERVICE_UNAVAILABLE, MediaType.PLAIN_TEXT_UTF_8,
            "stopped\n"));
    sb.service("/readyz", (ctx, req) -> ready.getAsBoolean() && current.get() != null
        ? HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, "ready\n")
        : HttpResponse.of(HttpStatus.SERVICE_UNAVAILABLE, MediaType.PLAIN_TEXT_UTF_8,
            "not ready\n"));
    sb.service("/config", (ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8,
        ConfigJson.render(current.get().config()).toPrettyString()));
    sb.route().post("/canaries/resume").build((ctx, req) -> {
      String route = ctx.queryParam("route");
      String cluster = ctx.queryParam("cluster");
      if (route == null || cluster == null) {
        return ErrorResponses.of(HttpStatus.BAD_REQUEST,
            "route, cluster: missing (expected: both query parameters)");
      }
      return canaries.resume(route, cluster)
          ? HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, "resumed\n")
          : ErrorResponses.of(HttpStatus.NOT_FOUND, "no halted canary (expected: a route and"
              + " cluster that custos_canary_halted shows as 1)");
    });
    // Scraping walks every meter: done on the blocking executor, never on an event loop.
    sb.service("/metrics", (ctx, req) -> HttpResponse.of(CompletableFuture.supplyAsync(
        () -> HttpResponse.of(HttpStatus.OK,
            MediaType.parse("text/plain; version=0.0.4; charset=utf-8"), registry.scrape()),
        ctx.blockingTaskExecutor())));
  }

  /**
   * Returns the SHA-256 of the configuration's admin token, or null when it has none.
   *
   * @throws IllegalArgumentException if the token cannot be read
   */
  public static byte @Nullable [] tokenDigest(ProxyConfig config) {
    AuthnConfig.SecretRef ref = config.adminToken().orElse(null);
    if (ref == null) {
      return null;
    }
    byte[] token = AuthnFiles.secret(ref);
    try {
      return sha256(token);
    } finally {
      java.util.Arrays.fill(token, (byte) 0);
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
