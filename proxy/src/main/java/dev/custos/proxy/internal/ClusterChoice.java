package dev.custos.proxy.internal;

import com.linecorp.armeria.common.Cookie;
import com.linecorp.armeria.common.Cookies;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.proxy.ProxyConfig;
import io.netty.util.AttributeKey;
import org.jspecify.annotations.Nullable;

/**
 * The cluster chosen for one request, chosen at most once and kept in its context: by the
 * forwarding service when it forwards, or earlier by the inspection layer when a findings event
 * needs it first (a request without a body is inspected in full before it is forwarded). Either
 * way the request goes where its event says. A route without a split has its one cluster.
 *
 * @param cluster the cluster's name
 * @param affine the verified affinity cookie of a sticky route, or null
 */
public record ClusterChoice(String cluster, Affinity.@Nullable Pin affine) {
  private static final AttributeKey<ClusterChoice> KEY =
      AttributeKey.valueOf(ClusterChoice.class, "CLUSTER_CHOICE");

  /**
   * Returns the cluster chosen for the request of {@code ctx}, choosing it from {@code headers}
   * (its pin header or cookie, its affinity cookie, then the split's weights) if no one has yet;
   * null when no route was selected. Call on the request's event loop.
   */
  public static @Nullable String cluster(ServiceRequestContext ctx, RequestHeaders headers) {
    Selection selection = ctx.attr(Selection.KEY);
    return selection == null ? null : of(ctx, selection, headers).cluster();
  }

  /** Returns the choice for the request of {@code ctx}, making it from {@code in} if needed. */
  static ClusterChoice of(ServiceRequestContext ctx, Selection selection, RequestHeaders in) {
    ClusterChoice chosen = ctx.attr(KEY);
    if (chosen != null) {
      return chosen;
    }
    ProxyConfig.Route route = selection.route();
    ProxyConfig.Split split = route.split();
    ProxyConfig.Sticky sticky = route.sticky();
    if (split == null && (sticky == null || sticky.cookie() == null)) {
      chosen = new ClusterChoice(route.cluster(), null);
    } else {
      boolean readsCookies = (split != null && split.pinCookie() != null)
          || (sticky != null && sticky.cookie() != null);
      Cookies cookies = readsCookies && in.contains(HttpHeaderNames.COOKIE)
          ? Cookie.fromCookieHeaders(in.getAll(HttpHeaderNames.COOKIE)) : Cookies.of();
      String pinned = null;
      if (split != null) {
        pinned = split.pinHeader() != null ? in.get(split.pinHeader())
            : split.pinCookie() != null ? cookie(cookies, split.pinCookie()) : null;
      }
      Affinity.Pin affine = sticky != null && sticky.cookie() != null
          ? selection.snapshot().affinity().verify(cookie(cookies, sticky.cookie())) : null;
      chosen = new ClusterChoice(selection.canaries().choose(route, pinned,
          affine == null ? null : affine.cluster()), affine);
    }
    ctx.setAttr(KEY, chosen);
    return chosen;
  }

  private static @Nullable String cookie(Cookies cookies, String name) {
    for (Cookie c : cookies) {
      if (c.name().equals(name)) {
        return c.value();
      }
    }
    return null;
  }
}
