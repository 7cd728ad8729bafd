package dev.custos.proxy.internal;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.client.endpoint.EndpointSelectionStrategy;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.util.InetAddressPredicates;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.cors.CorsService;
import com.linecorp.armeria.server.cors.CorsServiceBuilder;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.authz.CompiledAuthz;
import dev.custos.proxy.internal.upstream.ClusterRuntime;
import dev.custos.proxy.internal.wasm.WasmFilterRuntime;
import dev.custos.proxy.internal.wasm.WasmFilters;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Everything a request needs from one configuration: compiled routes, a client per cluster and
 * the trusted proxy CIDRs. Built once per (re)load and swapped atomically; a request reads the
 * current snapshot once and keeps it. Immutable and thread-safe.
 */
public final class Snapshot {
  /** The request option attribute the hashed clients pick an endpoint by. */
  static final io.netty.util.AttributeKey<Long> STICKY_HASH =
      io.netty.util.AttributeKey.valueOf(Snapshot.class, "STICKY_HASH");

  private final ProxyConfig config;
  private final List<CompiledRoute> routes;
  private final Map<String, ClusterRuntime> clients;
  private final Map<String, WebClient> hashed;
  private final Map<String, Map<String, WebClient>> byEndpointId;
  private final Affinity affinity;
  private final List<Predicate<InetAddress>> trusted;
  private final java.util.concurrent.ConcurrentMap<String, HttpService> cors =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, List<WasmFilterRuntime>> wasmFilters;
  private final Map<ProxyConfig.Route, CompiledAuthz> authz;

  /**
   * Builds a snapshot.
   *
   * @param clusters the runtime of each of the configuration's clusters, kept across snapshots
   *     while a cluster is unchanged so that its connections, health and breaker state survive
   * @param wasmFilters the running filters by route name, prepared by {@link WasmFilters}
   * @param factories the client factory of a cluster, for the per-endpoint and hashed clients of
   *     sticky routes
   * @param affinity signs and checks affinity cookies
   */
  public Snapshot(ProxyConfig config, Map<String, ClusterRuntime> clusters,
      Map<String, List<WasmFilterRuntime>> wasmFilters,
      Function<ProxyConfig.Cluster, ClientFactory> factories, Affinity affinity) {
    this.config = config;
    this.wasmFilters = Map.copyOf(wasmFilters);
    this.affinity = affinity;
    List<CompiledRoute> compiled = new ArrayList<>();
    for (ProxyConfig.Route r : config.routes()) {
      compiled.add(new CompiledRoute(r));
    }
    this.routes = List.copyOf(compiled);
    Map<ProxyConfig.Route, CompiledAuthz> byRoute = new IdentityHashMap<>();
    for (ProxyConfig.Route r : config.routes()) {
      if (r.authz() != null) {
        byRoute.put(r, new CompiledAuthz(r.authz()));
      }
    }
    this.authz = java.util.Collections.unmodifiableMap(byRoute);
    this.clients = Map.copyOf(clusters);
    Map<String, WebClient> hashedByCluster = new HashMap<>();
    Map<String, Map<String, WebClient>> endpointClients = new HashMap<>();
    Set<String> stickyClusters = new HashSet<>();
    for (ProxyConfig.Route r : config.routes()) {
      if (r.sticky() != null) {
        stickyClusters.addAll(r.clusters());
      }
    }
    for (ProxyConfig.Cluster c : config.clusters().values()) {
      if (!stickyClusters.contains(c.name())) {
        continue;
      }
      // Sticky routes pick their endpoint themselves, so these clients bypass the cluster's
      // health checks, retries and breaker.
      ClientFactory factory = factories.apply(c);
      SessionProtocol protocol = c.tls() == null ? SessionProtocol.HTTP : SessionProtocol.HTTPS;
      List<Endpoint> endpoints = new ArrayList<>();
      Map<String, WebClient> byId = new HashMap<>();
      for (ProxyConfig.Address a : c.endpoints()) {
        Endpoint e = Endpoint.of(a.host(), a.port());
        endpoints.add(e);
        byId.put(affinity.endpointId(c.name(), e),
            WebClient.builder(protocol, e).factory(factory).build());
      }
      EndpointGroup sticky = EndpointGroup.of(EndpointSelectionStrategy.sticky(ctx -> {
        Long hash = ctx.attr(STICKY_HASH);
        return hash == null ? 0 : hash;
      }), endpoints);
      hashedByCluster.put(c.name(), WebClient.builder(protocol, sticky)
          .factory(factory)
          .build());
      endpointClients.put(c.name(), Map.copyOf(byId));
    }
    this.hashed = Map.copyOf(hashedByCluster);
    this.byEndpointId = Map.copyOf(endpointClients);
    List<Predicate<InetAddress>> cidrs = new ArrayList<>();
    for (String cidr : config.trustedProxies()) {
      cidrs.add(InetAddressPredicates.ofCidr(
          cidr.contains("/") ? cidr : cidr + (cidr.contains(":") ? "/128" : "/32")));
    }
    this.trusted = List.copyOf(cidrs);
  }

  public ProxyConfig config() {
    return config;
  }

  /** Returns the compiled authorization of one of this snapshot's routes, or null for none. */
  public @Nullable CompiledAuthz authz(ProxyConfig.Route route) {
    return authz.get(route);
  }

  /**
   * Returns the first route whose match fits, or null.
   *
   * @param host the request's host as {@link CompiledRoute#host} returns it
   */
  public ProxyConfig.@Nullable Route select(HttpMethod method, @Nullable String host, String path) {
    for (CompiledRoute r : routes) {
      if (r.matches(method, host, path)) {
        return r.route();
      }
    }
    return null;
  }

  /**
   * Returns the route's CORS policy (Armeria's {@link CorsService}) in front of {@code next},
   * built on first use; {@code next} must be the same for every call.
   */
  HttpService cors(ProxyConfig.Route route, HttpService next) {
    HttpService s = cors.get(route.name());
    return s != null ? s : cors.computeIfAbsent(route.name(), n -> corsService(route, next));
  }

  private static HttpService corsService(ProxyConfig.Route route, HttpService next) {
    ProxyConfig.Cors c = java.util.Objects.requireNonNull(route.cors(), "cors");
    CorsServiceBuilder b = c.allowOrigins().contains("*") ? CorsService.builderForAnyOrigin()
        : CorsService.builder(c.allowOrigins());
    List<HttpMethod> methods = new ArrayList<>();
    c.allowMethods().forEach(m -> methods.add(HttpMethod.valueOf(m)));
    b.allowRequestMethods(methods).maxAge(c.maxAge());
    if (!c.allowHeaders().isEmpty()) {
      b.allowRequestHeaders(c.allowHeaders());
    }
    if (!c.exposeHeaders().isEmpty()) {
      b.exposeHeaders(c.exposeHeaders());
    }
    if (c.allowCredentials()) {
      b.allowCredentials();
    }
    return b.build(next);
  }

  /** Returns the running WebAssembly filters of a route, the first outermost. */
  public List<WasmFilterRuntime> wasmFilters(String route) {
    return wasmFilters.getOrDefault(route, List.of());
  }

  /**
   * Returns the client for a request the proxy itself makes to a configured cluster, such as a
   * WebAssembly filter's HTTP call.
   */
  public WebClient client(String cluster, HttpRequest req) {
    return upstream(cluster).client(req, false);
  }

  ClusterRuntime upstream(String cluster) {
    ClusterRuntime c = clients.get(cluster);
    if (c == null) {
      throw new IllegalStateException("cluster: " + cluster + " (expected: a configured cluster)");
    }
    return c;
  }

  /**
   * Returns the client of a cluster whose endpoint is chosen by a consistent hash of {@link
   * #STICKY_HASH}, a request option attribute.
   */
  WebClient hashedClient(String cluster) {
    WebClient c = hashed.get(cluster);
    if (c == null) {
      throw new IllegalStateException("cluster: " + cluster
          + " (expected: a cluster of a sticky route)");
    }
    return c;
  }

  /** Returns the client of one endpoint of a cluster by its affinity id, or null. */
  @Nullable WebClient endpointClient(String cluster, String endpointId) {
    Map<String, WebClient> byId = byEndpointId.get(cluster);
    return byId == null ? null : byId.get(endpointId);
  }

  Affinity affinity() {
    return affinity;
  }

  ProxyConfig.Cluster cluster(String name) {
    ProxyConfig.Cluster c = config.clusters().get(name);
    if (c == null) {
      throw new IllegalStateException("cluster: " + name + " (expected: a configured cluster)");
    }
    return c;
  }

  /** Returns whether forwarding headers from {@code peer} are trusted. */
  public boolean trusts(InetAddress peer) {
    for (Predicate<InetAddress> p : trusted) {
      if (p.test(peer)) {
        return true;
      }
    }
    return false;
  }
}
