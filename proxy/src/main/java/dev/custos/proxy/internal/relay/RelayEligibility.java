package dev.custos.proxy.internal.relay;

import static java.util.Objects.requireNonNull;

import dev.custos.proxy.AuthnConfig;
import dev.custos.proxy.ClusterOptions;
import dev.custos.proxy.ProxyConfig;
import io.netty.util.NetUtil;
import org.jspecify.annotations.Nullable;

/**
 * Decides whether the cleartext listener's HTTP/1.1 connections may be relayed: when every route
 * and every proxy-wide setting that applies to a request needs nothing but forwarding. Every
 * feature the relay does not carry makes the listener ineligible; when in doubt, ineligible.
 * Stateless and thread-safe.
 */
public final class RelayEligibility {
  private RelayEligibility() {}

  /**
   * Returns why the listener's connections cannot be relayed under {@code config} (the first
   * setting found, named as in the configuration file), or null when they can.
   */
  public static @Nullable String ineligibility(ProxyConfig config) {
    requireNonNull(config, "config");
    if (config.http1Relay() == ProxyConfig.Http1Relay.OFF) {
      return "http1_relay: off";
    }
    ProxyConfig.AccessLog log = config.accessLog();
    if (log.file() != null || log.stdout()) {
      return "access_log";
    }
    if (config.tracing().isPresent()) {
      return "tracing";
    }
    if (config.egress().isPresent()) {
      return "egress";
    }
    if (config.maxRequestLength() != 0) {
      return "max_request_length";
    }
    ProxyConfig.Limits limits = config.limits();
    if (limits.global() != null || !limits.plans().isEmpty()) {
      return "limits";
    }
    AuthnConfig authn = config.authn();
    if (authn.jwt() != null || authn.mtls() != null || authn.apiKeys() != null) {
      return "authn";
    }
    for (ProxyConfig.Route route : config.routes()) {
      String reason = route(config, route);
      if (reason != null) {
        return "routes[" + route.name() + "]: " + reason;
      }
    }
    return null;
  }

  private static @Nullable String route(ProxyConfig config, ProxyConfig.Route route) {
    if (config.inspection(route).enabled()) {
      return "inspection";
    }
    if (route.authn() != null) {
      return "authn";
    }
    if (route.authz() != null) {
      return "authz";
    }
    ProxyConfig.RouteLimits limits = route.limits();
    if (!limits.rates().isEmpty() || limits.maxRequestBody() != 0 || limits.replay() != null) {
      return "limits";
    }
    if (route.cors() != null) {
      return "cors";
    }
    if (!route.wasmFilters().isEmpty()) {
      return "wasm_filters";
    }
    if (route.split() != null) {
      return "split";
    }
    if (route.sticky() != null) {
      return "sticky";
    }
    if (!route.stripResponseHeaders().isEmpty()) {
      return "strip_response_headers";
    }
    if (!route.stripRequestCookies().isEmpty()) {
      return "strip_request_cookies";
    }
    if (route.websocket()) {
      return "websocket";
    }
    ProxyConfig.Cluster cluster = config.clusters().get(route.cluster());
    if (cluster == null) {
      return "cluster " + route.cluster() + " unknown";
    }
    if (cluster.tls() != null) {
      return "cluster " + cluster.name() + ": tls";
    }
    if (!cluster.options().equals(ClusterOptions.DEFAULT)) {
      return "cluster " + cluster.name() + ": options";
    }
    if (cluster.endpoints().isEmpty()) {
      return "cluster " + cluster.name() + ": no static endpoints";
    }
    for (ProxyConfig.Address a : cluster.endpoints()) {
      if (!NetUtil.isValidIpV4Address(a.host()) && !NetUtil.isValidIpV6Address(a.host())) {
        return "cluster " + cluster.name() + ": endpoint host names (expected: IP addresses)";
      }
    }
    if (cluster.maxResponseLength() != 0) {
      return "cluster " + cluster.name() + ": max_response_length";
    }
    return null;
  }
}
