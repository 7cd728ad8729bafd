package dev.custos.proxy.internal;

import dev.custos.proxy.ProxyConfig;
import io.netty.util.AttributeKey;

/**
 * The snapshot a request runs under and the route chosen for it, stored in the request context
 * by {@link RoutingService} before any filter runs, with the proxy's canaries that choose among
 * a split's clusters ({@link ClusterChoice}).
 */
public record Selection(Snapshot snapshot, ProxyConfig.Route route, Canaries canaries) {
  /** The request context attribute holding the selection. */
  public static final AttributeKey<Selection> KEY =
      AttributeKey.valueOf(Selection.class, "SELECTION");

  /**
   * The request context attribute that says whether the request arrived without a body (set by
   * {@link RoutingService} before any filter replaces the request); only such requests, and those
   * with a small declared body, may be retried.
   */
  public static final AttributeKey<Boolean> BODYLESS =
      AttributeKey.valueOf(Selection.class, "BODYLESS");

  /**
   * The request context attribute set (true) by {@link RoutingService} on a WebSocket upgrade to
   * a route that proxies WebSocket: the inspection layer scans its handshake only, and the
   * forwarding service relays its messages.
   */
  public static final AttributeKey<Boolean> WEBSOCKET =
      AttributeKey.valueOf(Selection.class, "WEBSOCKET");

  /** Returns whether the request of {@code ctx} is a WebSocket upgrade its route proxies. */
  public static boolean webSocket(com.linecorp.armeria.server.ServiceRequestContext ctx) {
    return Boolean.TRUE.equals(ctx.attr(WEBSOCKET));
  }
}
