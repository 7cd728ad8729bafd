package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.proxy.internal.Selection;
import java.util.Optional;

/**
 * What a filter may know about a proxied request: the route chosen for it and the configuration
 * it runs under. Both are fixed when the request arrives, so a reload during the request does
 * not change them.
 */
public final class ProxyRequest {
  private ProxyRequest() {}

  /** Returns the route chosen for the request, or empty outside the proxy's chain. */
  public static Optional<ProxyConfig.Route> route(ServiceRequestContext ctx) {
    Selection s = requireNonNull(ctx, "ctx").attr(Selection.KEY);
    return s == null ? Optional.empty() : Optional.of(s.route());
  }

  /**
   * Returns the configuration (with its policy) the request runs under, or empty outside the
   * proxy's chain.
   */
  public static Optional<ProxyConfig> config(ServiceRequestContext ctx) {
    Selection s = requireNonNull(ctx, "ctx").attr(Selection.KEY);
    return s == null ? Optional.empty() : Optional.of(s.snapshot().config());
  }
}
