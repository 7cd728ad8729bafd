package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.Policy;
import dev.custos.engine.config.ConfigException;
import dev.custos.proxy.internal.ConfigReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The proxy's configuration, read from {@code custos.yaml} and validated against {@code
 * dev/custos/proxy/config.schema.json}. Immutable and thread-safe.
 *
 * <p>Every problem is reported as a {@link ConfigException} whose message starts with {@code
 * file:line:column: what (expected: what)}; a policy problem names the policy file (or, for an
 * inline policy, this file) and its position.
 */
public final class ProxyConfig {
  /** A host and port, such as {@code 127.0.0.1:8080}; port 0 asks for a free port. */
  public record Address(String host, int port) {
    /** Creates an address; the host is a name, an IPv4 address, or an IPv6 address without brackets. */
    public Address {
      requireNonNull(host, "host");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
      }
    }

    /** Returns {@code host:port}, with brackets around an IPv6 host. */
    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /**
   * A TLS listener.
   *
   * @param listen its address
   * @param cert the PEM certificate chain file (absolute); reloaded when it changes
   * @param key the PEM private key file (absolute); reloaded when it changes
   * @param minVersion the lowest TLS version accepted, {@code TLSv1.2} or {@code TLSv1.3}
   * @param ciphers the cipher suites offered (TLS 1.2 names, as Java or OpenSSL spell them);
   *     empty for the defaults
   */
  public record Tls(Address listen, Path cert, Path key, String minVersion, List<String> ciphers) {
    /** Creates a TLS listener description. */
    public Tls {
      requireNonNull(listen, "listen");
      requireNonNull(cert, "cert");
      requireNonNull(key, "key");
      minVersion = tlsVersion(minVersion);
      ciphers = List.copyOf(requireNonNull(ciphers, "ciphers"));
    }
  }

  /**
   * TLS towards a cluster's endpoints.
   *
   * @param ca PEM CA certificates the upstream's certificate must chain to, or null for the
   *     JDK's default trust store; reloaded when it changes
   * @param cert a PEM client certificate chain presented to the upstream (mTLS), or null
   * @param key the client certificate's PEM private key; set exactly when {@code cert} is
   * @param serverName the name sent as SNI and verified in the upstream's certificate when
   *     endpoints are IP addresses, or null for the endpoint's host
   * @param insecureSkipVerify whether the upstream's certificate is not verified at all
   * @param minVersion the lowest TLS version used, {@code TLSv1.2} or {@code TLSv1.3}
   */
  public record UpstreamTls(@Nullable Path ca, @Nullable Path cert, @Nullable Path key,
      @Nullable String serverName, boolean insecureSkipVerify, String minVersion) {
    /** Checks the parts. */
    public UpstreamTls {
      if ((cert == null) != (key == null)) {
        throw new IllegalArgumentException("cert and key: one without the other (expected: both"
            + " or neither)");
      }
      minVersion = tlsVersion(minVersion);
    }
  }

  private static String tlsVersion(String v) {
    requireNonNull(v, "minVersion");
    if (!v.equals("TLSv1.2") && !v.equals("TLSv1.3")) {
      throw new IllegalArgumentException("minVersion: " + v + " (expected: TLSv1.2 or TLSv1.3)");
    }
    return v;
  }

  /**
   * What a request must have for a route; absent conditions always hold.
   *
   * @param prefix a path prefix
   * @param path a path glob ({@code *} within a segment, {@code **} across segments)
   * @param host an exact host, or {@code *.example.com}
   * @param methods upper-case method names; empty for any
   */
  public record Match(@Nullable String prefix, @Nullable String path, @Nullable String host,
      Set<String> methods) {
    /** Creates a match. */
    public Match {
      methods = Set.copyOf(requireNonNull(methods, "methods"));
    }
  }

  /**
   * A route.
   *
   * @param name a name for logs and metrics
   * @param timeout how long the whole exchange may take; {@link Duration#ZERO} for no limit
   * @param hostRewrite the Host sent upstream instead of the client's, or null to keep it
   * @param inspection the route's own inspection limits (the configuration's, with the keys the
   *     route sets replaced), or null to use the configuration's
   * @param authn what callers must prove on this route, or null for nothing
   * @param limits the route's rate limits, body size limit and replay protection
   * @param cors the route's CORS policy, or null for none (CORS headers are passed through)
   * @param wasmFilters the proxy-wasm HTTP filters of the route, the first outermost
   * @param authz who may make which requests on this route, or null to allow every request
   */
  public record Route(String name, Match match, String cluster, Duration timeout,
      @Nullable String hostRewrite, @Nullable Inspection inspection,
      AuthnConfig.@Nullable Requirement authn, RouteLimits limits, @Nullable Cors cors,
      List<WasmFilter> wasmFilters, @Nullable Authz authz, @Nullable Split split,
      @Nullable Sticky sticky, Set<String> stripResponseHeaders, Set<String> stripRequestCookies,
      boolean websocket) {
    /**
     * Creates a route; with a split, {@code cluster} is the split's first cluster.
     *
     * @param split weighted clusters (canary releases), or null for {@code cluster} alone
     * @param sticky session affinity to an endpoint, or null for round robin
     * @param stripResponseHeaders lower-case header names removed from upstream responses
     * @param stripRequestCookies cookie names removed from the Cookie header sent upstream
     * @param websocket whether WebSocket upgrades are proxied (and their messages inspected);
     *     when false an upgrade is refused
     */
    public Route {
      requireNonNull(name, "name");
      requireNonNull(match, "match");
      requireNonNull(cluster, "cluster");
      requireNonNull(timeout, "timeout");
      requireNonNull(limits, "limits");
      wasmFilters = List.copyOf(requireNonNull(wasmFilters, "wasmFilters"));
      if (split != null && !split.clusters().get(0).cluster().equals(cluster)) {
        throw new IllegalArgumentException("cluster: " + cluster + " (expected: the split's first"
            + " cluster, " + split.clusters().get(0).cluster() + ")");
      }
      stripResponseHeaders = Set.copyOf(requireNonNull(stripResponseHeaders,
          "stripResponseHeaders"));
      stripRequestCookies = Set.copyOf(requireNonNull(stripRequestCookies,
          "stripRequestCookies"));
    }

    /** Creates a route that refuses WebSocket upgrades. */
    public Route(String name, Match match, String cluster, Duration timeout,
        @Nullable String hostRewrite, @Nullable Inspection inspection,
        AuthnConfig.@Nullable Requirement authn, RouteLimits limits, @Nullable Cors cors,
        List<WasmFilter> wasmFilters, @Nullable Authz authz, @Nullable Split split,
        @Nullable Sticky sticky, Set<String> stripResponseHeaders,
        Set<String> stripRequestCookies) {
      this(name, match, cluster, timeout, hostRewrite, inspection, authn, limits, cors,
          wasmFilters, authz, split, sticky, stripResponseHeaders, stripRequestCookies, false);
    }

    /** Returns the clusters requests may go to: the split's, or {@code cluster} alone. */
    public List<String> clusters() {
      return split == null ? List.of(cluster)
          : split.clusters().stream().map(Weighted::cluster).toList();
    }

    /** Creates a plain route: the configuration's inspection, no authentication or limits. */
    public Route(String name, Match match, String cluster, Duration timeout,
        @Nullable String hostRewrite) {
      this(name, match, cluster, timeout, hostRewrite, null, null, RouteLimits.NONE, null,
          List.of(), null, null, null, Set.of(), Set.of());
    }
  }

  /**
   * A route's authorization: a request is allowed when no deny rule matches it and an allow rule
   * does (default deny).
   *
   * @param rules the rules; deny rules are evaluated before allow rules, each kind in order
   */
  public record Authz(List<AuthzRule> rules) {
    /** Creates an authorization block. */
    public Authz {
      rules = List.copyOf(requireNonNull(rules, "rules"));
    }
  }

  /**
   * A cluster of a split and its share.
   *
   * @param weight the relative share of requests; 0 sends it only pinned requests
   * @param canary whether the cluster is watched by the halt
   */
  public record Weighted(String cluster, int weight, boolean canary) {
    /** Checks the weight. */
    public Weighted {
      requireNonNull(cluster, "cluster");
      if (weight < 0) {
        throw new IllegalArgumentException("weight: " + weight + " (expected: >= 0)");
      }
    }
  }

  /**
   * One authorization rule in the style of Istio's {@code AuthorizationPolicy}: it matches when
   * every condition given matches; an empty set or list is no condition.
   *
   * @param allow whether the rule allows (true) or denies (false) what it matches
   * @param principals verified principal names; {@code *} at the start or end matches any prefix
   *     or suffix, {@code *} alone any authenticated caller
   * @param claims verified JWT claims and their accepted values (as text)
   * @param sourceIps CIDRs of the client address
   * @param methods upper-case HTTP methods
   * @param paths path globs ({@code *} within a segment, {@code **} across segments)
   * @param when a CEL condition over {@code request} and {@code principal}, or null
   */
  public record AuthzRule(boolean allow, Set<String> principals, Map<String, Set<String>> claims,
      List<String> sourceIps, Set<String> methods, List<String> paths, @Nullable String when) {
    /** Creates a rule. */
    public AuthzRule {
      principals = Set.copyOf(requireNonNull(principals, "principals"));
      Map<String, Set<String>> c = new java.util.LinkedHashMap<>();
      requireNonNull(claims, "claims").forEach((k, v) -> c.put(k, Set.copyOf(v)));
      claims = java.util.Collections.unmodifiableMap(c);
      sourceIps = List.copyOf(requireNonNull(sourceIps, "sourceIps"));
      methods = Set.copyOf(requireNonNull(methods, "methods"));
      paths = List.copyOf(requireNonNull(paths, "paths"));
    }
  }

  /**
   * Weighted routing between cluster versions.
   *
   * @param pinHeader a request header whose value, naming a cluster of the split, forces it
   * @param pinCookie a cookie whose value, naming a cluster of the split, forces it
   * @param halt when a canary's share drops to 0, or null for never
   */
  public record Split(List<Weighted> clusters, @Nullable String pinHeader,
      @Nullable String pinCookie, @Nullable Halt halt) {
    /** Checks that there are clusters and a positive total weight. */
    public Split {
      clusters = List.copyOf(requireNonNull(clusters, "clusters"));
      if (clusters.stream().mapToLong(Weighted::weight).sum() <= 0) {
        throw new IllegalArgumentException("split.clusters: weights sum to 0 (expected: a"
            + " positive total)");
      }
    }
  }

  /**
   * A token-bucket rate: the bucket holds {@code burst} tokens, refills {@code requests} tokens
   * evenly over each {@code per}, and each request takes one.
   *
   * @param requests tokens added per {@code per}
   * @param per the refill period
   * @param burst the bucket's capacity (and its tokens at first use)
   */
  public record Rate(long requests, Duration per, long burst) {
    /** Checks the rate. */
    public Rate {
      requireNonNull(per, "per");
      if (requests < 1) {
        throw new IllegalArgumentException("requests: " + requests + " (expected: >= 1)");
      }
      if (burst < 1) {
        throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
      }
      if (per.isNegative() || per.isZero()) {
        throw new IllegalArgumentException("per: " + per + " (expected: > 0)");
      }
    }

    /** Returns a rate whose burst is {@code requests}. */
    public static Rate of(long requests, Duration per) {
      return new Rate(requests, per, requests);
    }

    /** Returns how long an empty bucket takes to fill up again. */
    public Duration refillTime() {
      return Duration.ofNanos(Math.max(1, (long) Math.ceil(
          (double) per.toNanos() * burst / requests)));
    }
  }

  /**
   * One rate limit of a route.
   *
   * @param name the limit's name in metrics and bucket keys, such as {@code route} or {@code
   *     identity}; unique within the route
   * @param key what each bucket counts: the whole route, or each caller on it
   * @param rate the bucket's rate
   */
  public record RateLimit(String name, Key key, Rate rate) {
    /** What a rate limit keeps a bucket per. */
    public enum Key {
      /** One bucket for the route. */
      ROUTE,
      /**
       * One bucket per caller: the verified identity when the authentication layer set one, else
       * the client IP (through trusted proxies); both as keyed hashes, never raw.
       */
      IDENTITY;

      /** Returns the id used in configuration: {@code route}, {@code identity}. */
      public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
      }
    }

    /** Checks the parts. */
    public RateLimit {
      requireNonNull(name, "name");
      requireNonNull(key, "key");
      requireNonNull(rate, "rate");
    }
  }

  /**
   * Replay protection of a route: a nonce header or a JWT's {@code jti} seen twice within its
   * validity is refused.
   *
   * @param header the request header carrying a nonce, or null to use the JWT's {@code jti}
   * @param window how long a nonce is remembered; for a {@code jti}, the longest it is remembered
   *     (the token's {@code exp} shortens it)
   */
  public record Replay(@Nullable String header, Duration window) {
    /** Checks the parts. */
    public Replay {
      requireNonNull(window, "window");
      if (window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException("window: " + window + " (expected: > 0)");
      }
    }

    /** Returns whether the JWT's {@code jti} is the nonce. */
    public boolean jwtJti() {
      return header == null;
    }
  }

  /**
   * When a canary is halted: its 5xx responses and failures over {@code window}, once it has at
   * least {@code minimumRequests} there, reach {@code errorRate}.
   */
  public record Halt(double errorRate, int minimumRequests, Duration window) {
    /** Checks the values. */
    public Halt {
      if (!(errorRate > 0 && errorRate <= 1)) {
        throw new IllegalArgumentException("errorRate: " + errorRate + " (expected: > 0, <= 1)");
      }
      if (minimumRequests < 1) {
        throw new IllegalArgumentException(
            "minimumRequests: " + minimumRequests + " (expected: >= 1)");
      }
      requireNonNull(window, "window");
    }
  }

  /**
   * The limits of a route.
   *
   * @param rates rate limits, all of which a request must pass, in order
   * @param maxRequestBody the largest request body accepted, in bytes; 0 for no route limit
   * @param replay replay protection, or null for none
   */
  public record RouteLimits(List<RateLimit> rates, long maxRequestBody, @Nullable Replay replay) {
    /** No limits. */
    public static final RouteLimits NONE = new RouteLimits(List.of(), 0, null);

    /** Checks the parts. */
    public RouteLimits {
      rates = List.copyOf(requireNonNull(rates, "rates"));
      if (maxRequestBody < 0) {
        throw new IllegalArgumentException(
            "maxRequestBody: " + maxRequestBody + " (expected: >= 0)");
      }
    }
  }

  /**
   * Session affinity to one endpoint of a cluster: by a signed cookie the proxy sets, or by a
   * consistent hash of a request header. Exactly one of {@code cookie} and {@code header}.
   *
   * @param cookieTtl the cookie's Max-Age; {@link Duration#ZERO} for a session cookie
   */
  public record Sticky(@Nullable String cookie, Duration cookieTtl, @Nullable String header) {
    /** Checks that exactly one of cookie and header is given. */
    public Sticky {
      requireNonNull(cookieTtl, "cookieTtl");
      if ((cookie == null) == (header == null)) {
        throw new IllegalArgumentException("sticky: " + (cookie == null ? "neither" : "both")
            + " cookie and header (expected: exactly one)");
      }
    }
  }

  /**
   * A route's CORS policy, answered by the proxy: preflight requests get the allowed methods and
   * headers without reaching the upstream, and responses to allowed origins get CORS headers.
   *
   * @param allowOrigins allowed origins, such as {@code https://app.example}, or {@code *}
   * @param allowMethods methods a preflight may allow
   * @param allowHeaders request headers a preflight may allow
   * @param exposeHeaders response headers scripts may read
   * @param maxAge how long a browser may cache a preflight answer
   * @param allowCredentials whether credentials are allowed (never with {@code *})
   */
  public record Cors(List<String> allowOrigins, Set<String> allowMethods,
      List<String> allowHeaders, List<String> exposeHeaders, Duration maxAge,
      boolean allowCredentials) {
    /** Checks the parts. */
    public Cors {
      allowOrigins = List.copyOf(requireNonNull(allowOrigins, "allowOrigins"));
      allowMethods = Set.copyOf(requireNonNull(allowMethods, "allowMethods"));
      allowHeaders = List.copyOf(requireNonNull(allowHeaders, "allowHeaders"));
      exposeHeaders = List.copyOf(requireNonNull(exposeHeaders, "exposeHeaders"));
      requireNonNull(maxAge, "maxAge");
      if (allowOrigins.isEmpty()) {
        throw new IllegalArgumentException("allowOrigins: [] (expected: at least one origin)");
      }
      if (allowCredentials && allowOrigins.contains("*")) {
        throw new IllegalArgumentException(
            "allowCredentials: true with origin * (expected: listed origins)");
      }
    }
  }

  /**
   * Limits for the whole proxy ({@code limits:} at the top level).
   *
   * @param global the capacity of the whole proxy, one bucket for every routed request, or null
   * @param plans usage plans by name, which API keys may name: each key on a plan has its own
   *     bucket at the plan's rate
   * @param maxHeaderSize the most request header bytes (names, values and {@code :path}); 0 for
   *     the listeners' own limit only
   */
  public record Limits(@Nullable Rate global, Map<String, Rate> plans, long maxHeaderSize) {
    /** No limits. */
    public static final Limits NONE = new Limits(null, Map.of(), 0);

    /** Checks the parts. */
    public Limits {
      plans = Map.copyOf(requireNonNull(plans, "plans"));
      if (maxHeaderSize < 0) {
        throw new IllegalArgumentException(
            "maxHeaderSize: " + maxHeaderSize + " (expected: >= 0)");
      }
    }
  }

  /**
   * Egress mode: requests are forwarded only when their host (Host or {@code :authority},
   * without port) is listed.
   *
   * @param allowedHosts exact hosts, or {@code *.example.com} for any subdomain; lower case
   */
  public record Egress(List<String> allowedHosts) {
    /** Checks the parts. */
    public Egress {
      allowedHosts = List.copyOf(requireNonNull(allowedHosts, "allowedHosts"));
    }

    /** Returns whether a lower-case host is listed. */
    public boolean allows(@Nullable String host) {
      if (host == null || host.isEmpty()) {
        return false;
      }
      for (String h : allowedHosts) {
        if (h.startsWith("*.") ? host.endsWith(h.substring(1))
            && host.length() > h.length() - 1 : host.equals(h)) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * A proxy-wasm HTTP filter of a route ({@code routes[].wasm_filters[]}), or a proxy-wasm
   * service ({@code wasm_services[]}).
   *
   * @param name the plugin name ({@code plugin_name}, the {@code filter} tag of metrics)
   * @param path the module file, absolute
   * @param sha256 the pinned SHA-256 of the module file (lower-case hex), or null for none
   * @param configuration the plugin configuration handed to {@code proxy_on_configure}
   * @param vmConfiguration the VM configuration handed to {@code proxy_on_vm_start}
   * @param rootId the root id the SDK picks its root context by
   * @param vmId the VM id ({@code plugin_vm_id}); VMs of one VM id share data and queues
   * @param timeout the deadline of one call into the filter
   * @param startTimeout the deadline of the call that starts a VM ({@code proxy_on_vm_start},
   *     {@code proxy_on_configure})
   * @param maxMemoryPages the most 64 KiB pages of linear memory one VM may have
   * @param failOpen on a filter failure, true skips the filter for that request, false answers
   *     with an error (or aborts a response that has started)
   * @param maxBufferedBody the most body bytes the filter may hold back per direction
   * @param restartBackoff the wait before the first restart of a crashed VM; doubled per
   *     consecutive failure
   * @param maxRestartBackoff the cap of that wait
   * @param origin where the filter is configured, {@code file:line:col}, for errors
   */
  public record WasmFilter(String name, Path path, @Nullable String sha256, String configuration,
      String vmConfiguration, String rootId, String vmId, Duration timeout, Duration startTimeout,
      int maxMemoryPages, boolean failOpen, long maxBufferedBody, Duration restartBackoff,
      Duration maxRestartBackoff, String origin) {
    /** Creates a filter definition. */
    public WasmFilter {
      requireNonNull(name, "name");
      requireNonNull(path, "path");
      requireNonNull(configuration, "configuration");
      requireNonNull(vmConfiguration, "vmConfiguration");
      requireNonNull(rootId, "rootId");
      requireNonNull(vmId, "vmId");
      requireNonNull(timeout, "timeout");
      requireNonNull(startTimeout, "startTimeout");
      requireNonNull(restartBackoff, "restartBackoff");
      requireNonNull(maxRestartBackoff, "maxRestartBackoff");
      requireNonNull(origin, "origin");
    }

    /** Returns whether {@code other} runs the same module the same way (origin aside). */
    public boolean sameAs(WasmFilter other) {
      return name.equals(other.name) && path.equals(other.path)
          && java.util.Objects.equals(sha256, other.sha256)
          && configuration.equals(other.configuration)
          && vmConfiguration.equals(other.vmConfiguration) && rootId.equals(other.rootId)
          && vmId.equals(other.vmId) && startTimeout.equals(other.startTimeout)
          && timeout.equals(other.timeout) && maxMemoryPages == other.maxMemoryPages
          && failOpen == other.failOpen && maxBufferedBody == other.maxBufferedBody
          && restartBackoff.equals(other.restartBackoff)
          && maxRestartBackoff.equals(other.maxRestartBackoff);
    }
  }

  /**
   * The inspection layer's limits ({@code inspection:} at the top level or under a route).
   *
   * @param enabled whether messages are inspected; false forwards them untouched and unrecorded
   * @param maxInspectedBody the most bytes of one message held while a decision waits
   * @param maxDecodedBody the most decoded bytes of one compressed body
   * @param maxDecodeRatio the highest decoded-to-compressed ratio accepted past the first MiB
   * @param skipMediaTypes media types whose bodies are not scanned, such as {@code image/*}
   * @param grpcDescriptorSet the {@code FileDescriptorSet} whose types name the fields of gRPC
   *     messages ({@code grpc: { descriptor_set: … }}), or null to read them without a schema
   * @param grpcReflection how the descriptors of called services are fetched from the upstream by
   *     gRPC server reflection ({@code grpc: { reflection: … }}), or null not to fetch them
   */
  public record Inspection(boolean enabled, long maxInspectedBody, long maxDecodedBody,
      int maxDecodeRatio, List<String> skipMediaTypes, java.nio.file.@Nullable Path grpcDescriptorSet,
      @Nullable GrpcReflection grpcReflection) {
    /**
     * The defaults: inspected, 8 MiB held, 64 MiB decoded, ratio 100, images, audio and video
     * skipped.
     */
    public static final Inspection DEFAULT = new Inspection(true, 8L << 20, 64L << 20, 100,
        List.of("image/*", "audio/*", "video/*"));

    /** Limits of an inspected route. */
    public Inspection(long maxInspectedBody, long maxDecodedBody, int maxDecodeRatio,
        List<String> skipMediaTypes) {
      this(true, maxInspectedBody, maxDecodedBody, maxDecodeRatio, skipMediaTypes);
    }

    /** Limits without gRPC descriptors. */
    public Inspection(boolean enabled, long maxInspectedBody, long maxDecodedBody,
        int maxDecodeRatio, List<String> skipMediaTypes) {
      this(enabled, maxInspectedBody, maxDecodedBody, maxDecodeRatio, skipMediaTypes, null, null);
    }

    /** Limits with gRPC descriptors from a file, or none, and no server reflection. */
    public Inspection(boolean enabled, long maxInspectedBody, long maxDecodedBody,
        int maxDecodeRatio, List<String> skipMediaTypes, java.nio.file.@Nullable Path grpcDescriptorSet) {
      this(enabled, maxInspectedBody, maxDecodedBody, maxDecodeRatio, skipMediaTypes,
          grpcDescriptorSet, null);
    }

    /** Checks the limits. */
    public Inspection {
      if (maxInspectedBody < 1 || maxInspectedBody > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("maxInspectedBody: " + maxInspectedBody
            + " (expected: 1 to " + (Integer.MAX_VALUE - 8) + ")");
      }
      if (maxDecodedBody < 1 || maxDecodedBody > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("maxDecodedBody: " + maxDecodedBody
            + " (expected: 1 to " + Integer.MAX_VALUE + ")");
      }
      if (maxDecodeRatio < 1) {
        throw new IllegalArgumentException(
            "maxDecodeRatio: " + maxDecodeRatio + " (expected: >= 1)");
      }
      skipMediaTypes = List.copyOf(requireNonNull(skipMediaTypes, "skipMediaTypes"));
      if (grpcDescriptorSet != null && grpcReflection != null) {
        throw new IllegalArgumentException("grpc: descriptor_set and reflection (expected: one of them)");
      }
    }
  }

  /**
   * Fetching gRPC descriptors from the upstream by server reflection ({@code
   * grpc.reflection.v1.ServerReflection}, falling back to {@code v1alpha}): the first call of a
   * service starts the fetch and its messages, and those of every call until the fetch ends, are
   * read without a schema; the descriptors are then kept per cluster and service, and fetched
   * again after {@code refresh}. A failed fetch is counted and retried after {@code refresh}.
   *
   * @param timeout how long one fetch may take (default 5s)
   * @param refresh how long fetched descriptors (or a failure) are kept (default 10m)
   */
  public record GrpcReflection(Duration timeout, Duration refresh) {
    /** 5 seconds to fetch, kept 10 minutes. */
    public static final GrpcReflection DEFAULT =
        new GrpcReflection(Duration.ofSeconds(5), Duration.ofMinutes(10));

    /** Checks both durations. */
    public GrpcReflection {
      requireNonNull(timeout, "timeout");
      requireNonNull(refresh, "refresh");
      if (timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
      }
      if (refresh.isZero() || refresh.isNegative()) {
        throw new IllegalArgumentException("refresh: " + refresh + " (expected: > 0)");
      }
    }
  }

  /**
   * Where the access log goes: one JSON line per request.
   *
   * @param file the file appended to, or null for none (off, or standard output)
   * @param stdout whether lines go to standard output
   */
  public record AccessLog(@Nullable Path file, boolean stdout) {
    /** No access log. */
    public static final AccessLog OFF = new AccessLog(null, false);
    /** The access log on standard output. */
    public static final AccessLog STDOUT = new AccessLog(null, true);

    /** Checks that at most one target is given. */
    public AccessLog {
      if (file != null && stdout) {
        throw new IllegalArgumentException("accessLog: file and stdout (expected: one of them)");
      }
    }

    /** Returns an access log appended to {@code file}. */
    public static AccessLog file(Path file) {
      return new AccessLog(requireNonNull(file, "file"), false);
    }

    /** Returns whether requests are logged at all. */
    public boolean enabled() {
      return file != null || stdout;
    }
  }

  /**
   * OpenTelemetry tracing: one server span per request, exported over OTLP/HTTP (protobuf).
   *
   * @param otlpEndpoint the OTLP/HTTP traces URL, such as {@code http://collector:4318/v1/traces}
   * @param serviceName the {@code service.name} resource attribute
   * @param sampleRatio the share of new traces sampled, 0 to 1; a continued trace follows the
   *     caller's sampled flag
   */
  public record Tracing(java.net.URI otlpEndpoint, String serviceName, double sampleRatio) {
    /** Checks the values. */
    public Tracing {
      requireNonNull(otlpEndpoint, "otlpEndpoint");
      requireNonNull(serviceName, "serviceName");
      String scheme = otlpEndpoint.getScheme();
      if (!"http".equals(scheme) && !"https".equals(scheme) || otlpEndpoint.getHost() == null) {
        throw new IllegalArgumentException("otlpEndpoint: " + otlpEndpoint
            + " (expected: an http or https URL)");
      }
      if (serviceName.isEmpty()) {
        throw new IllegalArgumentException("serviceName: empty");
      }
      if (!(sampleRatio >= 0 && sampleRatio <= 1)) {
        throw new IllegalArgumentException("sampleRatio: " + sampleRatio + " (expected: 0 to 1)");
      }
    }
  }

  /**
   * Where findings events also go: the command plane's ingestion endpoint ({@code POST
   * <url>/api/v1/ingest/events}), in gzip batches of JSON lines, through a bounded queue and a
   * disk spool so that a plane that is down or slow never slows a request.
   *
   * @param url the command plane's base URL, http or https
   * @param tokenFile the file holding this proxy's bearer token (read at each send, trimmed), or
   *     null when the proxy authenticates by its client certificate alone
   * @param spoolDir the folder of the disk spool (created when missing); one proxy per folder
   * @param proxyId the {@code Custos-Proxy-Id} this proxy sends
   * @param queueCapacity the events held in memory before new ones are dropped (and counted)
   * @param batchMaxEvents the most events in one batch, 1 to 1,000
   * @param linger how long the first event of a batch waits for more
   * @param spoolMaxBytes the spool's bound on disk; the oldest batches go beyond it (counted)
   * @param requestTimeout how long one POST may take
   * @param initialBackoff the first retry delay after a failed send; it doubles up to {@code
   *     maxBackoff}, with jitter
   * @param maxBackoff the longest retry delay (a {@code Retry-After} answer may ask for more)
   * @param shutdownTimeout how long stopping may spend sending what is queued before it spools
   *     the rest
   * @param policyPull how this proxy pulls its policy from the plane, or null when it does not
   * @param tls TLS towards an https plane (the same settings as a cluster's: CA certificates the
   *     plane's certificate must chain to, and the client certificate this proxy presents), or
   *     null for the JDK's trust store and no client certificate
   * @param configPull how this proxy pulls its configuration from the plane, or null when it
   *     does not
   */
  public record Command(java.net.URI url, @Nullable Path tokenFile, Path spoolDir, String proxyId,
      int queueCapacity, int batchMaxEvents, Duration linger, long spoolMaxBytes,
      Duration requestTimeout, Duration initialBackoff, Duration maxBackoff,
      Duration shutdownTimeout, @Nullable PolicyPull policyPull, @Nullable UpstreamTls tls,
      @Nullable PolicyPull configPull) {
    /** The most events the command plane takes in one batch. */
    public static final int MAX_BATCH_EVENTS = 1000;
    /** The smallest spool bound. */
    public static final long MIN_SPOOL_BYTES = 64 * 1024;

    /** Checks the values. */
    public Command {
      requireNonNull(url, "url");
      if (tokenFile == null && (tls == null || tls.cert() == null)) {
        throw new IllegalArgumentException("tokenFile and tls.cert: neither is set (expected: a"
            + " token file, a client certificate, or both)");
      }
      requireNonNull(spoolDir, "spoolDir");
      requireNonNull(proxyId, "proxyId");
      requireNonNull(linger, "linger");
      requireNonNull(requestTimeout, "requestTimeout");
      requireNonNull(initialBackoff, "initialBackoff");
      requireNonNull(maxBackoff, "maxBackoff");
      requireNonNull(shutdownTimeout, "shutdownTimeout");
      String scheme = url.getScheme();
      if (!"http".equals(scheme) && !"https".equals(scheme) || url.getHost() == null
          || url.getRawQuery() != null || url.getRawFragment() != null) {
        throw new IllegalArgumentException("url: " + url
            + " (expected: an http or https URL without query, such as http://command:8080)");
      }
      if (proxyId.isEmpty() || proxyId.length() > 128
          || !proxyId.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        throw new IllegalArgumentException("proxyId: '" + proxyId
            + "' (expected: 1 to 128 visible ASCII characters)");
      }
      if (queueCapacity < 1) {
        throw new IllegalArgumentException("queueCapacity: " + queueCapacity
            + " (expected: > 0)");
      }
      if (batchMaxEvents < 1 || batchMaxEvents > MAX_BATCH_EVENTS) {
        throw new IllegalArgumentException("batchMaxEvents: " + batchMaxEvents
            + " (expected: 1 to " + MAX_BATCH_EVENTS + ")");
      }
      if (spoolMaxBytes < MIN_SPOOL_BYTES) {
        throw new IllegalArgumentException("spoolMaxBytes: " + spoolMaxBytes
            + " (expected: at least " + MIN_SPOOL_BYTES + ")");
      }
      if (linger.isNegative() || requestTimeout.isNegative() || requestTimeout.isZero()
          || initialBackoff.isNegative() || initialBackoff.isZero()
          || maxBackoff.compareTo(initialBackoff) < 0 || shutdownTimeout.isNegative()) {
        throw new IllegalArgumentException("linger " + linger + ", requestTimeout "
            + requestTimeout + ", initialBackoff " + initialBackoff + ", maxBackoff " + maxBackoff
            + ", shutdownTimeout " + shutdownTimeout + " (expected: positive timeouts, backoff"
            + " initial at most max)");
      }
    }

    /** Returns the settings without configuration pulls. */
    public Command(java.net.URI url, @Nullable Path tokenFile, Path spoolDir, String proxyId,
        int queueCapacity, int batchMaxEvents, Duration linger, long spoolMaxBytes,
        Duration requestTimeout, Duration initialBackoff, Duration maxBackoff,
        Duration shutdownTimeout, @Nullable PolicyPull policyPull, @Nullable UpstreamTls tls) {
      this(url, tokenFile, spoolDir, proxyId, queueCapacity, batchMaxEvents, linger,
          spoolMaxBytes, requestTimeout, initialBackoff, maxBackoff, shutdownTimeout, policyPull,
          tls, null);
    }

    /** Returns the settings without policy pulls, authenticated by token, with default TLS. */
    public Command(java.net.URI url, Path tokenFile, Path spoolDir, String proxyId,
        int queueCapacity, int batchMaxEvents, Duration linger, long spoolMaxBytes,
        Duration requestTimeout, Duration initialBackoff, Duration maxBackoff,
        Duration shutdownTimeout) {
      this(url, tokenFile, spoolDir, proxyId, queueCapacity, batchMaxEvents, linger,
          spoolMaxBytes, requestTimeout, initialBackoff, maxBackoff, shutdownTimeout, null, null);
    }

    /** Returns the settings authenticated by token, with default TLS. */
    public Command(java.net.URI url, Path tokenFile, Path spoolDir, String proxyId,
        int queueCapacity, int batchMaxEvents, Duration linger, long spoolMaxBytes,
        Duration requestTimeout, Duration initialBackoff, Duration maxBackoff,
        Duration shutdownTimeout, @Nullable PolicyPull policyPull) {
      this(url, tokenFile, spoolDir, proxyId, queueCapacity, batchMaxEvents, linger,
          spoolMaxBytes, requestTimeout, initialBackoff, maxBackoff, shutdownTimeout, policyPull,
          null);
    }

    /**
     * Returns the settings with defaults: 10,000 queued events, batches of up to 500 events
     * lingering 1 s, a 256 MiB spool, 10 s per request, backoff 500 ms to 60 s, 5 s to send at
     * shutdown, no policy pulls.
     */
    public static Command of(java.net.URI url, Path tokenFile, Path spoolDir, String proxyId) {
      return new Command(url, tokenFile, spoolDir, proxyId, 10_000, 500, Duration.ofSeconds(1),
          256L << 20, Duration.ofSeconds(10), Duration.ofMillis(500), Duration.ofSeconds(60),
          Duration.ofSeconds(5));
    }

    /** Returns these settings with the senders' settings of this one and another policy pull. */
    public Command withPolicyPull(@Nullable PolicyPull pull) {
      return new Command(url, tokenFile, spoolDir, proxyId, queueCapacity, batchMaxEvents,
          linger, spoolMaxBytes, requestTimeout, initialBackoff, maxBackoff, shutdownTimeout,
          pull, tls, configPull);
    }

    /** Returns these settings with another configuration pull. */
    public Command withConfigPull(@Nullable PolicyPull pull) {
      return new Command(url, tokenFile, spoolDir, proxyId, queueCapacity, batchMaxEvents,
          linger, spoolMaxBytes, requestTimeout, initialBackoff, maxBackoff, shutdownTimeout,
          policyPull, tls, pull);
    }
  }

  /**
   * How a proxy pulls its policy ({@code GET <url>/api/v1/proxy/policy}) or its configuration
   * ({@code GET <url>/api/v1/proxy/config}) from the command plane: a long poll of at most {@code
   * longPoll}; the last good document kept in {@code cacheFile}.
   *
   * @param longPoll how long the plane may hold one pull ({@code wait}), 0 to 5 minutes
   * @param cacheFile where the last good pulled document is kept
   */
  public record PolicyPull(Duration longPoll, Path cacheFile) {
    /** The longest wait the plane accepts. */
    public static final Duration MAX_WAIT = Duration.ofMinutes(5);

    /** Checks the values. */
    public PolicyPull {
      requireNonNull(longPoll, "longPoll");
      requireNonNull(cacheFile, "cacheFile");
      if (longPoll.isNegative() || longPoll.compareTo(MAX_WAIT) > 0) {
        throw new IllegalArgumentException("longPoll: " + longPoll + " (expected: 0 to 5m)");
      }
    }
  }

  /**
   * State shared by replicas in Redis: per-identity budgets, rate-limit buckets and replay nonces.
   * Keys hold hashes only, never a found value, a client address or a nonce.
   *
   * @param redis the server, {@code redis://host:port/db} or {@code rediss://} for TLS; no
   *     password in it (see {@code passwordFile})
   * @param passwordFile a file whose first line is the password (AUTH), or null
   * @param caFile PEM certificates a {@code rediss://} server's certificate must chain to, or
   *     null for the JDK's trust store
   * @param keyPrefix prepended to every key, so that deployments can share a server
   * @param connectTimeout how long a connection attempt may take
   * @param commandTimeout how long one command may take before it counts as unavailable
   * @param onUnavailable what a request meets while Redis cannot answer
   */
  public record SharedState(java.net.URI redis, @Nullable Path passwordFile,
      @Nullable Path caFile, String keyPrefix, Duration connectTimeout, Duration commandTimeout,
      OnUnavailable onUnavailable) {
    /** Checks the values. */
    public SharedState {
      requireNonNull(redis, "redis");
      requireNonNull(keyPrefix, "keyPrefix");
      requireNonNull(connectTimeout, "connectTimeout");
      requireNonNull(commandTimeout, "commandTimeout");
      requireNonNull(onUnavailable, "onUnavailable");
      String scheme = redis.getScheme();
      if (!"redis".equals(scheme) && !"rediss".equals(scheme) || redis.getHost() == null) {
        throw new IllegalArgumentException("redis: " + redis.getScheme() + "://"
            + redis.getHost() + " (expected: redis://host:port or rediss://host:port)");
      }
      if (redis.getRawUserInfo() != null) {
        throw new IllegalArgumentException("redis: a URL with user information"
            + " (expected: the password in password_file)");
      }
      if (connectTimeout.isNegative() || connectTimeout.isZero()) {
        throw new IllegalArgumentException("connectTimeout: " + connectTimeout
            + " (expected: > 0)");
      }
      if (commandTimeout.isNegative() || commandTimeout.isZero()) {
        throw new IllegalArgumentException("commandTimeout: " + commandTimeout
            + " (expected: > 0)");
      }
    }

    /** What a request meets while the shared state cannot be read or written. */
    public enum OnUnavailable {
      /** Each proxy counts in its own memory meanwhile (limits per replica, not shared). */
      FAIL_OPEN,
      /** Requests that need the shared state are refused with 503. */
      FAIL_CLOSED;

      /** Returns the configuration's name of this behaviour. */
      public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
      }
    }
  }

  /**
   * A layer-4 listener: accepts TCP (or TLS) connections, cuts each client's byte stream into
   * records by its framing, inspects every record under the policy (as a request: client to
   * upstream) and forwards it to a cluster's endpoint over a connection of its own; the upstream's
   * bytes go back unchanged.
   *
   * @param name a name for metrics ({@code route} label) and findings events
   * @param listen where it listens; port 0 asks for a free port
   * @param tls the certificate and key it terminates TLS with ({@code tls.listen} equals {@code
   *     listen}), or null for cleartext
   * @param cluster the cluster whose static endpoints receive the records, in turn per connection
   * @param framing how records are delimited
   * @param format for {@link TcpFraming#LINES}: {@link dev.custos.engine.ContentType#TEXT} or
   *     {@link dev.custos.engine.ContentType#JSON} (JSON lines); ignored by the other framings
   * @param maxFrameBytes the longest frame held and scanned; a longer one is never held whole
   * @param onOversized what happens to a frame longer than {@code maxFrameBytes}
   */
  public record TcpListener(String name, Address listen, @Nullable Tls tls, String cluster,
      TcpFraming framing, dev.custos.engine.ContentType format, int maxFrameBytes,
      OnOversized onOversized) {
    /** Checks the parts. */
    public TcpListener {
      requireNonNull(name, "name");
      requireNonNull(listen, "listen");
      requireNonNull(cluster, "cluster");
      requireNonNull(framing, "framing");
      requireNonNull(format, "format");
      requireNonNull(onOversized, "onOversized");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("name: empty (expected: a listener name)");
      }
      if (format == dev.custos.engine.ContentType.FORM) {
        throw new IllegalArgumentException("format: form (expected: text or json)");
      }
      if (maxFrameBytes < 64 || maxFrameBytes > (64 << 20)) {
        throw new IllegalArgumentException("maxFrameBytes: " + maxFrameBytes
            + " (expected: 64 to 67108864)");
      }
      if (tls != null && !tls.listen().equals(listen)) {
        throw new IllegalArgumentException("tls.listen: " + tls.listen() + " (expected: " + listen
            + ", the listener's address)");
      }
    }
  }

  /** How a {@link TcpListener} delimits records. */
  public enum TcpFraming {
    /** One record per line (newline-delimited text or JSON lines). */
    LINES,
    /** Syslog over TCP, RFC 6587: octet counting or non-transparent framing, told per frame. */
    SYSLOG,
    /** Fluentd's Forward protocol v1 (MessagePack): every mode, gzip-compressed included. */
    FLUENT_FORWARD;

    /** Returns the configuration id: {@code lines}, {@code syslog}, {@code fluent_forward}. */
    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Returns the framing of a configuration id. */
    public static TcpFraming of(String id) {
      for (TcpFraming f : values()) {
        if (f.id().equals(id)) {
          return f;
        }
      }
      throw new IllegalArgumentException("framing: " + id
          + " (expected: lines, syslog or fluent_forward)");
    }
  }

  /** What a {@link TcpListener} does with a frame longer than its limit; either way it is counted. */
  public enum OnOversized {
    /** Forwards it unscanned, as it came. */
    FORWARD,
    /** Drops it; the connection stays open. */
    DROP;

    /** Returns the configuration id: {@code forward} or {@code drop}. */
    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * An upstream cluster.
   *
   * @param endpoints static endpoints; empty only when {@code options} discovers them by DNS or
   *     from Kubernetes
   * @param maxResponseLength the largest response body accepted; 0 for no limit
   * @param options discovery, load balancing, health checks and resilience
   * @param tls TLS towards the endpoints, or null for cleartext HTTP
   */
  /**
   * Whether the cleartext listener relays HTTP/1.1 connections below Armeria's request model when
   * every route needs nothing but forwarding.
   */
  public enum Http1Relay {
    /** Relay when the configuration allows it (the default). */
    AUTO,
    /** Never relay: every connection is served by Armeria. */
    OFF
  }

  public record Cluster(String name, List<Address> endpoints, Duration connectTimeout,
      long maxResponseLength, ClusterOptions options, @Nullable UpstreamTls tls) {
    /** Creates a cluster. */
    public Cluster {
      requireNonNull(name, "name");
      endpoints = List.copyOf(requireNonNull(endpoints, "endpoints"));
      requireNonNull(connectTimeout, "connectTimeout");
      requireNonNull(options, "options");
      if (endpoints.isEmpty() && options.dns() == null && options.kubernetes() == null) {
        throw new IllegalArgumentException(
            "endpoints: [] (expected: at least one endpoint, or dns, or kubernetes)");
      }
    }

    /** Creates a cleartext round-robin cluster of static endpoints without further options. */
    public Cluster(String name, List<Address> endpoints, Duration connectTimeout,
        long maxResponseLength) {
      this(name, endpoints, connectTimeout, maxResponseLength, ClusterOptions.DEFAULT, null);
    }
  }

  private final @Nullable Path source;
  private final String sourceName;
  private final Address listen;
  private final @Nullable Address admin;
  private final @Nullable Tls tls;
  private final Duration idleTimeout;
  private final Duration requestBodyIdleTimeout;
  private final Duration drainTimeout;
  private final Duration shutdownTimeout;
  private final int http2MaxConcurrentStreams;
  private final int http2MaxQueuedControlFrames;
  private final int http2MaxResetsPerMinute;
  private final int http2MaxPriorityFramesPerStream;
  private final int http2MaxWindowUpdatesPerDataFrame;
  private final long maxRequestLength;
  private final int workers;
  private final Http1Relay http1Relay;
  private final List<String> trustedProxies;
  private final List<Route> routes;
  private final List<TcpListener> tcpListeners;
  private final List<WasmFilter> wasmServices;
  private final Map<String, Cluster> clusters;
  private final Policy policy;
  private final @Nullable Path policyFile;
  private final Inspection inspection;
  private final @Nullable Path findingsFile;
  private final AccessLog accessLog;
  private final @Nullable Tracing tracing;
  private final @Nullable Command command;
  private final @Nullable SharedState sharedState;
  private final AuthnConfig authn;
  private final Limits limits;
  private final @Nullable Egress egress;
  private final AuthnConfig.@Nullable SecretRef adminToken;
  private final String version;

  private ProxyConfig(Builder v) {
    this.source = v.source;
    this.sourceName = requireNonNull(v.sourceName, "sourceName");
    this.listen = requireNonNull(v.listen, "listen");
    this.admin = v.admin;
    this.tls = v.tls;
    this.idleTimeout = requireNonNull(v.idleTimeout, "idleTimeout");
    this.requestBodyIdleTimeout = v.requestBodyIdleTimeout;
    this.drainTimeout = v.drainTimeout;
    this.shutdownTimeout = v.shutdownTimeout;
    this.http2MaxConcurrentStreams = v.http2MaxConcurrentStreams;
    this.http2MaxQueuedControlFrames = v.http2MaxQueuedControlFrames;
    this.http2MaxResetsPerMinute = v.http2MaxResetsPerMinute;
    this.http2MaxPriorityFramesPerStream = v.http2MaxPriorityFramesPerStream;
    this.http2MaxWindowUpdatesPerDataFrame = v.http2MaxWindowUpdatesPerDataFrame;
    this.maxRequestLength = v.maxRequestLength;
    this.workers = v.workers;
    this.http1Relay = v.http1Relay;
    this.trustedProxies = List.copyOf(v.trustedProxies);
    this.routes = List.copyOf(v.routes);
    this.tcpListeners = List.copyOf(v.tcpListeners);
    this.wasmServices = List.copyOf(v.wasmServices);
    this.clusters = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(v.clusters));
    this.policy = requireNonNull(v.policy, "policy");
    this.policyFile = v.policyFile;
    this.inspection = v.inspection;
    this.findingsFile = v.findingsFile;
    this.accessLog = v.accessLog;
    this.tracing = v.tracing;
    this.command = v.command;
    this.sharedState = v.sharedState;
    this.authn = v.authn;
    this.limits = v.limits;
    this.egress = v.egress;
    this.adminToken = v.adminToken;
    this.version = v.version;
  }

  private ProxyConfig(ProxyConfig c, Policy policy, String version) {
    this(c, policy, null, c.command, c.source, version);
  }

  private ProxyConfig(ProxyConfig c, @Nullable Command command, @Nullable Path source,
      String version) {
    this(c, c.policy, c.policyFile, command, source, version);
  }

  private ProxyConfig(ProxyConfig c, Policy policy, @Nullable Path policyFile,
      @Nullable Command command, @Nullable Path source, String version) {
    this.source = source;
    this.sourceName = c.sourceName;
    this.listen = c.listen;
    this.admin = c.admin;
    this.tls = c.tls;
    this.idleTimeout = c.idleTimeout;
    this.requestBodyIdleTimeout = c.requestBodyIdleTimeout;
    this.drainTimeout = c.drainTimeout;
    this.shutdownTimeout = c.shutdownTimeout;
    this.http2MaxConcurrentStreams = c.http2MaxConcurrentStreams;
    this.http2MaxQueuedControlFrames = c.http2MaxQueuedControlFrames;
    this.http2MaxResetsPerMinute = c.http2MaxResetsPerMinute;
    this.http2MaxPriorityFramesPerStream = c.http2MaxPriorityFramesPerStream;
    this.http2MaxWindowUpdatesPerDataFrame = c.http2MaxWindowUpdatesPerDataFrame;
    this.maxRequestLength = c.maxRequestLength;
    this.workers = c.workers;
    this.http1Relay = c.http1Relay;
    this.trustedProxies = c.trustedProxies;
    this.routes = c.routes;
    this.tcpListeners = c.tcpListeners;
    this.wasmServices = c.wasmServices;
    this.clusters = c.clusters;
    this.policy = requireNonNull(policy, "policy");
    this.policyFile = policyFile;
    this.inspection = c.inspection;
    this.findingsFile = c.findingsFile;
    this.accessLog = c.accessLog;
    this.tracing = c.tracing;
    this.command = command;
    this.sharedState = c.sharedState;
    this.authn = c.authn;
    this.limits = c.limits;
    this.egress = c.egress;
    this.adminToken = c.adminToken;
    this.version = requireNonNull(version, "version");
  }

  /**
   * Returns this configuration with another policy (no policy file) and version: the policy the
   * command plane distributed, reported as its version.
   */
  ProxyConfig withPolicy(Policy policy, String version) {
    return new ProxyConfig(this, policy, version);
  }

  /**
   * Returns this configuration (one the command plane distributed) with the bootstrap file's
   * command section, source and version: what the proxy runs from a pulled configuration.
   */
  ProxyConfig withBootstrap(@Nullable Command command, @Nullable Path source, String version) {
    return new ProxyConfig(this, command, source, version);
  }

  /**
   * Reads a configuration file; relative paths in it (policy, TLS files) are resolved against its
   * folder.
   *
   * @throws ConfigException if the file cannot be read or is not valid
   */
  public static ProxyConfig load(Path file) {
    return ConfigReader.load(requireNonNull(file, "file"));
  }

  /**
   * Parses configuration text.
   *
   * @param sourceName the name used in error messages, such as a file name
   * @param baseDir the folder relative paths in the text are resolved against
   * @throws ConfigException if the text is not valid
   */
  public static ProxyConfig parse(String yaml, String sourceName, Path baseDir) {
    return ConfigReader.parse(requireNonNull(yaml, "yaml"), requireNonNull(sourceName,
        "sourceName"), requireNonNull(baseDir, "baseDir"), null);
  }

  /**
   * Checks configuration text as {@link #parse} does (schema, types, ranges, references between
   * routes, clusters and listeners...) without reading the files and environment variables it
   * names: each file path is checked to be a path to a file and nothing is opened. This is how the
   * command plane checks a configuration it distributes; each proxy parses it fully when it pulls
   * it, with its own files and environment, and refuses it if they are missing or wrong.
   *
   * @param sourceName the name used in error messages
   * @throws ConfigException with every problem found, each with its line and column
   */
  public static void validateStructure(String yaml, String sourceName) {
    ConfigReader.validateStructure(requireNonNull(yaml, "yaml"),
        requireNonNull(sourceName, "sourceName"));
  }

  /** Returns the file this configuration was loaded from, if any. */
  public Optional<Path> source() {
    return Optional.ofNullable(source);
  }

  /** Returns the name used in error messages, such as the file name. */
  public String sourceName() {
    return sourceName;
  }

  /** Returns the cleartext listener's address. */
  public Address listen() {
    return listen;
  }

  /** Returns the admin server's address, if configured. */
  public Optional<Address> admin() {
    return Optional.ofNullable(admin);
  }

  /** Returns the TLS listener, if configured. */
  public Optional<Tls> tls() {
    return Optional.ofNullable(tls);
  }

  /** Returns how long a client connection may stay idle; zero for no limit. */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  /**
   * Returns how long a request body may send nothing before the exchange is cut; zero for no
   * limit.
   */
  public Duration requestBodyIdleTimeout() {
    return requestBodyIdleTimeout;
  }

  /**
   * Returns how long, on a graceful shutdown, {@code /readyz} answers 503 while the listeners keep
   * serving.
   */
  public Duration drainTimeout() {
    return drainTimeout;
  }

  /** Returns how long exchanges in flight may take to finish once the listeners stop. */
  public Duration shutdownTimeout() {
    return shutdownTimeout;
  }

  /** Returns the most streams one HTTP/2 client connection may have open at once. */
  public int http2MaxConcurrentStreams() {
    return http2MaxConcurrentStreams;
  }

  /**
   * Returns the most PING and SETTINGS acknowledgements queued for an HTTP/2 client connection
   * before it is closed with GOAWAY ENHANCE_YOUR_CALM.
   */
  public int http2MaxQueuedControlFrames() {
    return http2MaxQueuedControlFrames;
  }

  /**
   * Returns the most RST_STREAM frames an HTTP/2 client connection may send per minute (rapid
   * reset) before it gets GOAWAY ENHANCE_YOUR_CALM; 0 for no limit.
   */
  public int http2MaxResetsPerMinute() {
    return http2MaxResetsPerMinute;
  }

  /**
   * Returns how many PRIORITY frames an HTTP/2 client connection may send per stream it opened
   * (plus one) before it gets GOAWAY ENHANCE_YOUR_CALM.
   */
  public int http2MaxPriorityFramesPerStream() {
    return http2MaxPriorityFramesPerStream;
  }

  /**
   * Returns how many WINDOW_UPDATE frames an HTTP/2 client connection may send per 16 KiB the
   * proxy sent it, per stream it opened, plus one, before it gets GOAWAY ENHANCE_YOUR_CALM.
   */
  public int http2MaxWindowUpdatesPerDataFrame() {
    return http2MaxWindowUpdatesPerDataFrame;
  }

  /** Returns the largest request body accepted; 0 for no limit. */
  public long maxRequestLength() {
    return maxRequestLength;
  }

  /** Returns the number of event-loop threads; 0 for one per core. */
  public int workers() {
    return workers;
  }

  /**
   * Returns whether the cleartext listener may relay HTTP/1.1 connections below Armeria when the
   * configuration needs nothing but forwarding ({@code http1_relay}, default {@code auto}).
   */
  public Http1Relay http1Relay() {
    return http1Relay;
  }

  /** Returns the CIDRs of peers whose forwarding headers are trusted. */
  public List<String> trustedProxies() {
    return trustedProxies;
  }

  /** Returns the routes in the order they are tried. */
  public List<Route> routes() {
    return routes;
  }

  /** Returns the layer-4 listeners, fixed at start (a reload that changes them needs a restart). */
  public List<TcpListener> tcpListeners() {
    return tcpListeners;
  }

  /**
   * Returns the proxy-wasm services: singletons with a root context only (Envoy's bootstrap
   * {@code wasm} extension with {@code singleton: true}), one VM each on one event loop, for
   * ticks, HTTP calls, shared data and queues; {@code failOpen} and {@code maxBufferedBody} do not
   * apply.
   */
  public List<WasmFilter> wasmServices() {
    return wasmServices;
  }

  /** Returns the clusters by name. */
  public Map<String, Cluster> clusters() {
    return clusters;
  }

  /** Returns the data-protection policy. */
  public Policy policy() {
    return policy;
  }

  /** Returns the policy file, if the policy was given as a path. */
  public Optional<Path> policyFile() {
    return Optional.ofNullable(policyFile);
  }

  /** Returns the inspection limits routes use unless they set their own. */
  public Inspection inspection() {
    return inspection;
  }

  /** Returns the inspection limits of {@code route}: its own, else the configuration's. */
  public Inspection inspection(Route route) {
    Inspection own = requireNonNull(route, "route").inspection();
    return own != null ? own : inspection;
  }

  /**
   * Returns the JSON-lines file findings events are appended to, or empty when they are not
   * written to a file.
   */
  public Optional<Path> findingsFile() {
    return Optional.ofNullable(findingsFile);
  }

  /** Returns where the access log goes. */
  public AccessLog accessLog() {
    return accessLog;
  }

  /** Returns the OpenTelemetry tracing settings, or empty when spans are not exported. */
  public Optional<Tracing> tracing() {
    return Optional.ofNullable(tracing);
  }

  /** Returns the Redis state shared by replicas, or empty when each proxy counts alone. */
  public Optional<SharedState> sharedState() {
    return Optional.ofNullable(sharedState);
  }

  /** Returns where findings events go besides the file, or empty for no command plane. */
  public Optional<Command> command() {
    return Optional.ofNullable(command);
  }

  /** Returns the authentication providers and abuse limits. */
  public AuthnConfig authn() {
    return authn;
  }

  /** Returns the proxy-wide limits: global capacity, usage plans, header size. */
  public Limits limits() {
    return limits;
  }

  /** Returns the egress allow list, if the proxy runs in egress mode. */
  public Optional<Egress> egress() {
    return Optional.ofNullable(egress);
  }

  /** Returns where the admin server's bearer token comes from, if it requires one. */
  public Optional<AuthnConfig.SecretRef> adminToken() {
    return Optional.ofNullable(adminToken);
  }

  /**
   * Returns this configuration's version: the first 16 hex digits of the SHA-256 of its text
   * (for one built in code, {@code "code"} unless set), logged with authorization decisions.
   */
  public String version() {
    return version;
  }

  /** Returns whether the listener settings differ from another configuration's. */
  boolean listenersDiffer(ProxyConfig other) {
    return !listenerChanges(other).isEmpty();
  }

  /**
   * Returns the names of the listener settings (fixed at start) that differ from another
   * configuration's, in the configuration file's words; empty when none does.
   */
  List<String> listenerChanges(ProxyConfig other) {
    requireNonNull(other, "other");
    List<String> out = new java.util.ArrayList<>();
    diff(out, "listen", !listen.equals(other.listen));
    diff(out, "admin", !java.util.Objects.equals(admin, other.admin));
    diff(out, "authn.mtls", (authn.mtls() == null) != (other.authn.mtls() == null));
    diff(out, "tls", !java.util.Objects.equals(tls, other.tls));
    diff(out, "idle_timeout", !idleTimeout.equals(other.idleTimeout));
    diff(out, "max_request_length", maxRequestLength != other.maxRequestLength);
    diff(out, "workers", workers != other.workers);
    diff(out, "shutdown_timeout", !shutdownTimeout.equals(other.shutdownTimeout));
    diff(out, "http2_max_concurrent_streams",
        http2MaxConcurrentStreams != other.http2MaxConcurrentStreams);
    diff(out, "http2_max_queued_control_frames",
        http2MaxQueuedControlFrames != other.http2MaxQueuedControlFrames);
    diff(out, "http2_max_resets_per_minute",
        http2MaxResetsPerMinute != other.http2MaxResetsPerMinute);
    diff(out, "http2_max_priority_frames_per_stream",
        http2MaxPriorityFramesPerStream != other.http2MaxPriorityFramesPerStream);
    diff(out, "http2_max_window_updates_per_data_frame",
        http2MaxWindowUpdatesPerDataFrame != other.http2MaxWindowUpdatesPerDataFrame);
    diff(out, "limits.max_header_size (larger)",
        limits.maxHeaderSize() > other.limits.maxHeaderSize());
    diff(out, "tcp_listeners", !tcpListeners.equals(other.tcpListeners));
    return out;
  }

  private static void diff(List<String> out, String name, boolean differs) {
    if (differs) {
      out.add(name);
    }
  }

  @Override
  public String toString() {
    return "ProxyConfig{" + sourceName + ", listen=" + listen + ", routes=" + routes.size()
        + ", clusters=" + clusters.keySet() + "}";
  }

  /**
   * Returns whether a host names this machine's loopback interface: {@code localhost}, an
   * address in 127.0.0.0/8 or {@code ::1}. Names are not resolved.
   */
  public static boolean isLoopback(String host) {
    requireNonNull(host, "host");
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (host.matches("127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}")) {
      return true;
    }
    if (host.indexOf(':') >= 0) {
      try {
        return java.net.InetAddress.getByName(host).isLoopbackAddress();
      } catch (java.net.UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  /** Returns a builder; {@code listen}, a route and a cluster are required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builds a {@link ProxyConfig} in code; {@link #load} and {@link #parse} read one from YAML.
   * Not thread-safe.
   */
  public static final class Builder {
    private @Nullable Path source;
    private String sourceName = "<config>";
    private @Nullable Address listen;
    private @Nullable Address admin;
    private @Nullable Tls tls;
    private Duration idleTimeout = Duration.ofSeconds(60);
    private Duration requestBodyIdleTimeout = Duration.ofSeconds(10);
    private Duration drainTimeout = Duration.ofSeconds(5);
    private Duration shutdownTimeout = Duration.ofSeconds(20);
    private int http2MaxConcurrentStreams = 100;
    private int http2MaxQueuedControlFrames = 10_000;
    private int http2MaxResetsPerMinute = 400;
    private int http2MaxPriorityFramesPerStream = 100;
    private int http2MaxWindowUpdatesPerDataFrame = 10;
    private long maxRequestLength;
    private int workers;
    private Http1Relay http1Relay = Http1Relay.AUTO;
    private final List<String> trustedProxies = new java.util.ArrayList<>();
    private final List<Route> routes = new java.util.ArrayList<>();
    private final List<TcpListener> tcpListeners = new java.util.ArrayList<>();
    private final List<WasmFilter> wasmServices = new java.util.ArrayList<>();
    private final Map<String, Cluster> clusters = new java.util.LinkedHashMap<>();
    private Policy policy = Policy.ofDefault();
    private @Nullable Path policyFile;
    private Inspection inspection = Inspection.DEFAULT;
    private @Nullable Path findingsFile;
    private AccessLog accessLog = AccessLog.OFF;
    private @Nullable Tracing tracing;
    private @Nullable Command command;
    private @Nullable SharedState sharedState;
    private AuthnConfig authn = AuthnConfig.NONE;
    private Limits limits = Limits.NONE;
    private @Nullable Egress egress;
    private AuthnConfig.@Nullable SecretRef adminToken;
    private String version = "code";

    private Builder() {}

    /** Sets the version logged with authorization decisions, such as a digest of the text. */
    public Builder version(String version) {
      this.version = requireNonNull(version, "version");
      return this;
    }

    /** Sets the authentication providers and abuse limits (default {@link AuthnConfig#NONE}). */
    public Builder authn(AuthnConfig authn) {
      this.authn = requireNonNull(authn, "authn");
      return this;
    }

    /** Sets the proxy-wide limits (default {@link Limits#NONE}). */
    public Builder limits(Limits limits) {
      this.limits = requireNonNull(limits, "limits");
      return this;
    }

    /** Sets the egress allow list; null (the default) for no egress mode. */
    public Builder egress(@Nullable Egress egress) {
      this.egress = egress;
      return this;
    }

    /**
     * Sets where the admin server's bearer token comes from; null (the default) for none, which
     * only a loopback admin address allows.
     */
    public Builder adminToken(AuthnConfig.@Nullable SecretRef adminToken) {
      this.adminToken = adminToken;
      return this;
    }

    /** Sets the inspection limits routes use unless they set their own (default: defaults). */
    public Builder inspection(Inspection inspection) {
      this.inspection = requireNonNull(inspection, "inspection");
      return this;
    }

    /** Sets the JSON-lines file findings events are appended to; null for none (the default). */
    public Builder findingsFile(@Nullable Path findingsFile) {
      this.findingsFile = findingsFile;
      return this;
    }

    /** Sets where the access log goes (default {@link AccessLog#OFF}). */
    public Builder accessLog(AccessLog accessLog) {
      this.accessLog = requireNonNull(accessLog, "accessLog");
      return this;
    }

    /** Sets the OpenTelemetry tracing settings; null (the default) for no span export. */
    public Builder tracing(@Nullable Tracing tracing) {
      this.tracing = tracing;
      return this;
    }

    /** Sets where findings events go besides the file; null (the default) for no command plane. */
    public Builder command(@Nullable Command command) {
      this.command = command;
      return this;
    }

    /** Sets the Redis state shared by replicas; null (the default) for none. */
    public Builder sharedState(@Nullable SharedState sharedState) {
      this.sharedState = sharedState;
      return this;
    }

    /** Sets the file the configuration came from, and its name for messages. */
    public Builder source(@Nullable Path source, String sourceName) {
      this.source = source;
      this.sourceName = requireNonNull(sourceName, "sourceName");
      return this;
    }

    /** Sets the cleartext listener's address. */
    public Builder listen(Address listen) {
      this.listen = requireNonNull(listen, "listen");
      return this;
    }

    /** Sets the admin server's address; null for none. */
    public Builder admin(@Nullable Address admin) {
      this.admin = admin;
      return this;
    }

    /** Sets the TLS listener; null for none. */
    public Builder tls(@Nullable Tls tls) {
      this.tls = tls;
      return this;
    }

    /** Sets how long a client connection may stay idle; zero for no limit. */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = requireNonNull(idleTimeout, "idleTimeout");
      return this;
    }

    /**
     * Sets how long a request body may send nothing before the exchange is cut (default 10s);
     * zero for no limit.
     */
    public Builder requestBodyIdleTimeout(Duration timeout) {
      this.requestBodyIdleTimeout = nonNegative(timeout, "requestBodyIdleTimeout");
      return this;
    }

    /**
     * Sets how long, on a graceful shutdown, {@code /readyz} answers 503 while the listeners keep
     * serving (default 5s).
     */
    public Builder drainTimeout(Duration timeout) {
      this.drainTimeout = nonNegative(timeout, "drainTimeout");
      return this;
    }

    /** Sets how long exchanges in flight may take to finish once the listeners stop (default 20s). */
    public Builder shutdownTimeout(Duration timeout) {
      this.shutdownTimeout = nonNegative(timeout, "shutdownTimeout");
      return this;
    }

    /** Sets the most streams one HTTP/2 client connection may have open at once (default 100). */
    public Builder http2MaxConcurrentStreams(int streams) {
      if (streams < 1) {
        throw new IllegalArgumentException(
            "http2MaxConcurrentStreams: " + streams + " (expected: >= 1)");
      }
      this.http2MaxConcurrentStreams = streams;
      return this;
    }

    /**
     * Sets the most PING and SETTINGS acknowledgements queued for an HTTP/2 client connection
     * that does not read, before it is closed (default 10,000).
     */
    public Builder http2MaxQueuedControlFrames(int frames) {
      if (frames < 1) {
        throw new IllegalArgumentException(
            "http2MaxQueuedControlFrames: " + frames + " (expected: >= 1)");
      }
      this.http2MaxQueuedControlFrames = frames;
      return this;
    }

    /**
     * Sets the most RST_STREAM frames an HTTP/2 client connection may send per minute before it is
     * closed (default 400; 0 no limit).
     */
    public Builder http2MaxResetsPerMinute(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("http2MaxResetsPerMinute: " + n + " (expected: >= 0)");
      }
      this.http2MaxResetsPerMinute = n;
      return this;
    }

    /**
     * Sets how many PRIORITY frames an HTTP/2 client connection may send per stream it opened, plus
     * one, before it is closed (default 100).
     */
    public Builder http2MaxPriorityFramesPerStream(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("http2MaxPriorityFramesPerStream: " + n + " (expected: >= 1)");
      }
      this.http2MaxPriorityFramesPerStream = n;
      return this;
    }

    /**
     * Sets how many WINDOW_UPDATE frames an HTTP/2 client connection may send per 16 KiB the proxy
     * sent it, per stream it opened, plus one, before it is closed (default 10).
     */
    public Builder http2MaxWindowUpdatesPerDataFrame(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("http2MaxWindowUpdatesPerDataFrame: " + n + " (expected: >= 1)");
      }
      this.http2MaxWindowUpdatesPerDataFrame = n;
      return this;
    }

    private static Duration nonNegative(Duration d, String name) {
      requireNonNull(d, name);
      if (d.isNegative()) {
        throw new IllegalArgumentException(name + ": " + d + " (expected: >= 0)");
      }
      return d;
    }

    /** Sets whether HTTP/1.1 connections may be relayed below Armeria (default auto). */
    public Builder http1Relay(Http1Relay http1Relay) {
      this.http1Relay = requireNonNull(http1Relay, "http1Relay");
      return this;
    }

    /** Sets the number of event-loop threads; 0 (the default) for one per core. */
    public Builder workers(int workers) {
      if (workers < 0) {
        throw new IllegalArgumentException("workers: " + workers + " (expected: >= 0)");
      }
      this.workers = workers;
      return this;
    }

    /** Sets the largest request body accepted; 0 for no limit. */
    public Builder maxRequestLength(long maxRequestLength) {
      if (maxRequestLength < 0) {
        throw new IllegalArgumentException(
            "maxRequestLength: " + maxRequestLength + " (expected: >= 0)");
      }
      this.maxRequestLength = maxRequestLength;
      return this;
    }

    /** Adds a CIDR of peers whose forwarding headers are trusted. */
    public Builder trustedProxy(String cidr) {
      trustedProxies.add(requireNonNull(cidr, "cidr"));
      return this;
    }

    /** Adds a route, tried after those added before. */
    public Builder route(Route route) {
      routes.add(requireNonNull(route, "route"));
      return this;
    }

    /** Adds a layer-4 listener; its cluster must be added too. */
    public Builder tcpListener(TcpListener listener) {
      tcpListeners.add(requireNonNull(listener, "listener"));
      return this;
    }

    /** Adds a proxy-wasm service (a singleton with a root context only). */
    public Builder wasmService(WasmFilter service) {
      wasmServices.add(requireNonNull(service, "service"));
      return this;
    }

    /** Adds a cluster. */
    public Builder cluster(Cluster cluster) {
      requireNonNull(cluster, "cluster");
      clusters.put(cluster.name(), cluster);
      return this;
    }

    /** Sets the policy, and the file it was read from (null when inline or built in code). */
    public Builder policy(Policy policy, @Nullable Path policyFile) {
      this.policy = requireNonNull(policy, "policy");
      this.policyFile = policyFile;
      return this;
    }

    /**
     * Returns the configuration.
     *
     * @throws IllegalStateException if listen, routes or clusters are missing
     * @throws IllegalArgumentException if a route names a cluster that is not defined, or
     *     requires an authentication method that has no provider, or mTLS without TLS, or an
     *     authorization rule has a CIDR or CEL condition that is not valid
     */
    public ProxyConfig build() {
      if (listen == null) {
        throw new IllegalStateException("listen: missing (expected: an address)");
      }
      if (routes.isEmpty()) {
        throw new IllegalStateException("routes: [] (expected: at least one route)");
      }
      for (Route r : routes) {
        for (String c : r.clusters()) {
          if (!clusters.containsKey(c)) {
            throw new IllegalArgumentException("cluster: " + c + " (expected one of: "
                + String.join(", ", clusters.keySet()) + ")");
          }
        }
        if (r.authn() != null) {
          for (AuthnConfig.Method m : r.authn().methods()) {
            if (!authn.provides(m)) {
              throw new IllegalArgumentException("routes." + r.name() + ".authn: " + m.id()
                  + " (expected: a method configured under authn)");
            }
          }
        }
      }
      for (Route r : routes) {
        if (r.authz() != null) {
          try {
            new dev.custos.proxy.internal.authz.CompiledAuthz(r.authz());
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("routes." + r.name() + ".authz." + e.getMessage(),
                e);
          }
        }
      }
      java.util.Set<String> tcpNames = new java.util.HashSet<>();
      for (TcpListener t : tcpListeners) {
        if (!tcpNames.add(t.name())) {
          throw new IllegalArgumentException("tcp_listeners: name '" + t.name()
              + "' used twice (expected: unique names)");
        }
        Cluster c = clusters.get(t.cluster());
        if (c == null) {
          throw new IllegalArgumentException("tcp_listeners." + t.name() + ".cluster: "
              + t.cluster() + " (expected one of: " + String.join(", ", clusters.keySet()) + ")");
        }
        if (c.endpoints().isEmpty() || c.tls() != null) {
          throw new IllegalArgumentException("tcp_listeners." + t.name() + ".cluster: "
              + t.cluster() + " (expected: a cluster of static endpoints without tls)");
        }
      }
      if (authn.mtls() != null && tls == null) {
        throw new IllegalArgumentException("authn.mtls: set without tls (expected: a TLS listener)");
      }
      if (authn.apiKeys() != null) {
        for (AuthnConfig.ApiKey k : authn.apiKeys().keys()) {
          if (k.plan() != null && !limits.plans().containsKey(k.plan())) {
            throw new IllegalArgumentException("authn.api_keys." + k.name() + ".plan: " + k.plan()
                + " (expected one of: " + String.join(", ", limits.plans().keySet()) + ")");
          }
        }
      }
      if (admin != null && adminToken == null && !isLoopback(admin.host())) {
        throw new IllegalArgumentException("admin: " + admin + " without a token (expected: a"
            + " loopback address, or admin_token_file or admin_token_env)");
      }
      return new ProxyConfig(this);
    }
  }
}
