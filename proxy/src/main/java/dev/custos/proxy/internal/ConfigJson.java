package dev.custos.proxy.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custos.proxy.AuthnConfig;
import dev.custos.proxy.ClusterOptions;
import dev.custos.proxy.ProxyConfig;
import java.util.regex.Pattern;

/**
 * The effective configuration as JSON for the admin server. File contents (TLS key, policy, JWK
 * sets, secrets, key lists) are never included, only paths, and API keys only by name; a value
 * whose key looks like a credential is masked.
 */
final class ConfigJson {
  private static final Pattern CREDENTIAL = Pattern.compile(
      "(?i).*(password|passwd|secret|token|credential|api[_-]?key|authorization|private).*");

  private ConfigJson() {}

  static ObjectNode render(ProxyConfig config) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    put(root, "source", config.sourceName());
    put(root, "listen", config.listen().toString());
    config.admin().ifPresent(a -> put(root, "admin", a.toString()));
    config.tls().ifPresent(t -> {
      ObjectNode tls = root.putObject("tls");
      put(tls, "listen", t.listen().toString());
      put(tls, "cert", t.cert().toString());
      put(tls, "key", t.key().toString());
    });
    put(root, "idle_timeout", duration(config.idleTimeout()));
    root.put("max_request_length", config.maxRequestLength());
    put(root, "request_body_idle_timeout", duration(config.requestBodyIdleTimeout()));
    put(root, "drain_timeout", duration(config.drainTimeout()));
    put(root, "shutdown_timeout", duration(config.shutdownTimeout()));
    root.put("http2_max_concurrent_streams", config.http2MaxConcurrentStreams());
    root.put("http2_max_queued_control_frames", config.http2MaxQueuedControlFrames());
    root.put("http2_max_resets_per_minute", config.http2MaxResetsPerMinute());
    root.put("http2_max_priority_frames_per_stream", config.http2MaxPriorityFramesPerStream());
    root.put("http2_max_window_updates_per_data_frame", config.http2MaxWindowUpdatesPerDataFrame());
    root.put("workers", config.workers());
    root.put("http1_relay", config.http1Relay().name().toLowerCase(java.util.Locale.ROOT));
    ArrayNode trusted = root.putArray("trusted_proxies");
    config.trustedProxies().forEach(trusted::add);
    ArrayNode routes = root.putArray("routes");
    for (ProxyConfig.Route r : config.routes()) {
      ObjectNode route = routes.addObject();
      put(route, "name", r.name());
      ObjectNode match = route.putObject("match");
      if (r.match().prefix() != null) {
        put(match, "prefix", r.match().prefix());
      }
      if (r.match().path() != null) {
        put(match, "path", r.match().path());
      }
      if (r.match().host() != null) {
        put(match, "host", r.match().host());
      }
      if (!r.match().methods().isEmpty()) {
        ArrayNode methods = match.putArray("methods");
        r.match().methods().stream().sorted().forEach(methods::add);
      }
      if (r.split() == null) {
        put(route, "cluster", r.cluster());
      } else {
        ObjectNode split = route.putObject("split");
        ArrayNode list = split.putArray("clusters");
        for (ProxyConfig.Weighted w : r.split().clusters()) {
          ObjectNode c = list.addObject();
          put(c, "cluster", w.cluster());
          c.put("weight", w.weight());
          c.put("canary", w.canary());
        }
        if (r.split().pinHeader() != null) {
          put(split.putObject("pin"), "header", r.split().pinHeader());
        } else if (r.split().pinCookie() != null) {
          put(split.putObject("pin"), "cookie", r.split().pinCookie());
        }
        ProxyConfig.Halt h = r.split().halt();
        if (h != null) {
          ObjectNode halt = split.putObject("halt");
          halt.put("error_rate", h.errorRate());
          halt.put("minimum_requests", h.minimumRequests());
          put(halt, "window", duration(h.window()));
        }
      }
      if (r.sticky() != null) {
        ObjectNode sticky = route.putObject("sticky");
        if (r.sticky().header() != null) {
          put(sticky, "header", r.sticky().header());
        } else {
          ObjectNode cookie = sticky.putObject("cookie");
          put(cookie, "name", r.sticky().cookie());
          put(cookie, "ttl", duration(r.sticky().cookieTtl()));
        }
      }
      if (!r.stripResponseHeaders().isEmpty()) {
        ArrayNode strip = route.putArray("strip_response_headers");
        r.stripResponseHeaders().stream().sorted().forEach(strip::add);
      }
      if (!r.stripRequestCookies().isEmpty()) {
        ArrayNode strip = route.putArray("strip_request_cookies");
        r.stripRequestCookies().stream().sorted().forEach(strip::add);
      }
      if (r.websocket()) {
        route.put("websocket", true);
      }
      put(route, "timeout", duration(r.timeout()));
      if (r.hostRewrite() != null) {
        put(route, "host_rewrite", r.hostRewrite());
      }
      if (r.inspection() != null) {
        inspection(route.putObject("inspection"), r.inspection());
      }
      ProxyConfig.RouteLimits limits = r.limits();
      if (!limits.rates().isEmpty()) {
        ArrayNode list = route.putArray("limits");
        for (ProxyConfig.RateLimit l : limits.rates()) {
          ObjectNode limit = rate(list.addObject(), l.rate());
          limit.put("name", l.name());
          limit.put("key", l.key().id());
        }
      }
      if (limits.maxRequestBody() > 0) {
        route.put("max_request_body", limits.maxRequestBody());
      }
      if (limits.replay() != null) {
        ObjectNode replay = route.putObject("replay_protection");
        if (limits.replay().jwtJti()) {
          replay.put("jwt_jti", true);
        } else {
          replay.put("header", limits.replay().header());
        }
        replay.put("window", duration(limits.replay().window()));
      }
      if (r.cors() != null) {
        ObjectNode cors = route.putObject("cors");
        r.cors().allowOrigins().forEach(cors.putArray("allow_origins")::add);
        r.cors().allowMethods().stream().sorted().forEach(cors.putArray("allow_methods")::add);
        r.cors().allowHeaders().forEach(cors.putArray("allow_headers")::add);
        r.cors().exposeHeaders().forEach(cors.putArray("expose_headers")::add);
        cors.put("max_age", duration(r.cors().maxAge()));
        cors.put("allow_credentials", r.cors().allowCredentials());
      }
      if (r.authn() != null) {
        ObjectNode authn = route.putObject("authn");
        ArrayNode methods = authn.putArray(r.authn().all() ? "require" : "any_of");
        r.authn().methods().forEach(m -> methods.add(m.id()));
        authn.put("sensitive", r.authn().sensitive());
      }
      if (!r.wasmFilters().isEmpty()) {
        ArrayNode filters = route.putArray("wasm_filters");
        for (ProxyConfig.WasmFilter w : r.wasmFilters()) {
          wasm(filters.addObject(), w, true);
        }
      }
    }
    if (!config.wasmServices().isEmpty()) {
      ArrayNode services = root.putArray("wasm_services");
      for (ProxyConfig.WasmFilter w : config.wasmServices()) {
        wasm(services.addObject(), w, false);
      }
    }
    if (!config.tcpListeners().isEmpty()) {
      ArrayNode tcp = root.putArray("tcp_listeners");
      for (ProxyConfig.TcpListener t : config.tcpListeners()) {
        ObjectNode l = tcp.addObject();
        put(l, "name", t.name());
        put(l, "listen", t.listen().toString());
        if (t.tls() != null) {
          ObjectNode tls = l.putObject("tls");
          put(tls, "cert", t.tls().cert().toString());
          put(tls, "key", t.tls().key().toString());
          put(tls, "min_version", t.tls().minVersion());
        }
        put(l, "cluster", t.cluster());
        put(l, "framing", t.framing().id());
        if (t.framing() == ProxyConfig.TcpFraming.LINES) {
          put(l, "format", t.format().id());
        }
        l.put("max_frame_bytes", t.maxFrameBytes());
        put(l, "on_oversized", t.onOversized().id());
      }
    }
    ObjectNode clusters = root.putObject("clusters");
    for (ProxyConfig.Cluster c : config.clusters().values()) {
      ObjectNode cluster = clusters.putObject(c.name());
      ArrayNode endpoints = cluster.putArray("endpoints");
      ClusterOptions o = c.options();
      c.endpoints().forEach(e -> {
        Integer weight = o.weights().get(e);
        if (weight == null) {
          endpoints.add(e.toString());
        } else {
          endpoints.addObject().put("address", e.toString()).put("weight", weight);
        }
      });
      put(cluster, "connect_timeout", duration(c.connectTimeout()));
      cluster.put("max_response_length", c.maxResponseLength());
      options(cluster, o);
    }
    inspection(root.putObject("inspection"), config.inspection());
    authn(root.putObject("authn"), config.authn());
    ObjectNode limits = root.putObject("limits");
    if (config.limits().global() != null) {
      rate(limits.putObject("global"), config.limits().global());
    }
    ObjectNode plans = limits.putObject("plans");
    config.limits().plans().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
        .forEach(e -> rate(plans.putObject(e.getKey()), e.getValue()));
    limits.put("max_header_size", config.limits().maxHeaderSize());
    config.egress().ifPresent(e -> e.allowedHosts()
        .forEach(root.putObject("egress").putArray("allowed_hosts")::add));
    config.adminToken().ifPresent(t -> {
      if (t.file() != null) {
        put(root, "admin_token_file", t.file().toString());
      } else {
        put(root, "admin_token_env", t.env());
      }
    });
    put(root.putObject("findings"), "file",
        config.findingsFile().map(Object::toString).orElse("off"));
    ProxyConfig.AccessLog log = config.accessLog();
    put(root.putObject("access_log"), "file", log.stdout() ? "stdout"
        : log.file() == null ? "off" : log.file().toString());
    config.command().ifPresent(c -> {
      ObjectNode n = root.putObject("command");
      n.put("url", c.url().toString());
      if (c.tokenFile() != null) {
        put(n, "token_file", c.tokenFile().toString());
      }
      if (c.tls() != null) {
        ObjectNode t = n.putObject("tls");
        if (c.tls().ca() != null) {
          put(t, "ca_file", c.tls().ca().toString());
        }
        if (c.tls().cert() != null) {
          put(t, "cert_file", c.tls().cert().toString());
        }
      }
      put(n, "spool_dir", c.spoolDir().toString());
      n.put("proxy_id", c.proxyId());
      n.put("batch_max_events", c.batchMaxEvents());
      n.put("spool_max_bytes", c.spoolMaxBytes());
      if (c.policyPull() != null) {
        ObjectNode pull = n.putObject("policy");
        pull.put("wait", duration(c.policyPull().longPoll()));
        put(pull, "cache_file", c.policyPull().cacheFile().toString());
      }
      if (c.configPull() != null) {
        ObjectNode pull = n.putObject("config");
        pull.put("wait", duration(c.configPull().longPoll()));
        put(pull, "cache_file", c.configPull().cacheFile().toString());
      }
    });
    config.sharedState().ifPresent(st -> {
      ObjectNode shared = root.putObject("shared_state");
      put(shared, "redis", st.redis().toString());
      if (st.passwordFile() != null) {
        put(shared, "password_file", st.passwordFile().toString());
      }
      if (st.caFile() != null) {
        put(shared, "ca_file", st.caFile().toString());
      }
      put(shared, "key_prefix", st.keyPrefix());
      put(shared, "connect_timeout", duration(st.connectTimeout()));
      put(shared, "command_timeout", duration(st.commandTimeout()));
      put(shared, "on_unavailable", st.onUnavailable().id());
    });
    ObjectNode policy = root.putObject("policy");
    put(policy, "source", config.policyFile().map(Object::toString)
        .orElse(config.policy().sourceName()));
    policy.put("detectors", config.policy().detectors().size());
    return root;
  }

  /** Renders the providers: key sources by name or path, API keys by name and routes only. */
  private static void authn(ObjectNode node, AuthnConfig a) {
    AuthnConfig.Jwt jwt = a.jwt();
    if (jwt != null) {
      ObjectNode j = node.putObject("jwt");
      j.put("issuer", jwt.issuer());
      ArrayNode audiences = j.putArray("audiences");
      jwt.audiences().stream().sorted().forEach(audiences::add);
      if (jwt.jwksUrl() != null) {
        j.put("jwks_url", jwt.jwksUrl().toString());
      }
      if (jwt.jwksFile() != null) {
        j.put("jwks_file", jwt.jwksFile().toString());
      }
      if (jwt.secret() != null) {
        j.put(jwt.secret().file() != null ? "secret_file" : "secret_env",
            jwt.secret().file() != null ? jwt.secret().file().toString() : jwt.secret().env());
      }
      ArrayNode algorithms = j.putArray("algorithms");
      jwt.algorithms().stream().sorted().forEach(algorithms::add);
      j.put("clock_skew", duration(jwt.clockSkew()));
      j.put("max_lifetime", duration(jwt.maxLifetime()));
      j.put("header", jwt.header());
      j.put("claim", jwt.claim());
    }
    if (a.mtls() != null) {
      node.putObject("mtls").put("trust_bundle", a.mtls().trustBundle().toString());
    }
    AuthnConfig.ApiKeys keys = a.apiKeys();
    if (keys != null) {
      ObjectNode k = node.putObject("api_keys");
      k.put("header", keys.header());
      if (keys.file() != null) {
        k.put("keys_file", keys.file().toString());
      }
      ArrayNode list = k.putArray("keys");
      for (AuthnConfig.ApiKey key : keys.keys()) {
        ObjectNode e = list.addObject();
        e.put("name", key.name());
        ArrayNode routes = e.putArray("routes");
        key.routes().stream().sorted().forEach(routes::add);
        if (key.plan() != null) {
          e.put("plan", key.plan());
        }
      }
    }
    ObjectNode abuse = node.putObject("abuse");
    abuse.put("max_failures", a.abuse().maxFailures());
    abuse.put("window", duration(a.abuse().window()));
    abuse.put("block_for", duration(a.abuse().blockFor()));
  }

  private static ObjectNode rate(ObjectNode node, ProxyConfig.Rate rate) {
    node.put("requests", rate.requests());
    node.put("per", duration(rate.per()));
    node.put("burst", rate.burst());
    return node;
  }

  private static void inspection(ObjectNode node, ProxyConfig.Inspection i) {
    node.put("enabled", i.enabled());
    node.put("max_inspected_body", i.maxInspectedBody());
    node.put("max_decoded_body", i.maxDecodedBody());
    node.put("max_decode_ratio", i.maxDecodeRatio());
    ArrayNode skip = node.putArray("skip_media_types");
    i.skipMediaTypes().forEach(skip::add);
    if (i.grpcDescriptorSet() != null) {
      node.putObject("grpc").put("descriptor_set", i.grpcDescriptorSet().toString());
    }
    if (i.grpcReflection() != null) {
      node.putObject("grpc").putObject("reflection")
          .put("timeout", duration(i.grpcReflection().timeout()))
          .put("refresh", duration(i.grpcReflection().refresh()));
    }
  }

  /** Returns a duration as written in custos.yaml: 0, 250ms, 30s, 5m, 2h. */
  private static void wasm(ObjectNode filter, ProxyConfig.WasmFilter w, boolean httpFilter) {
    put(filter, "name", w.name());
    put(filter, "path", w.path().toString());
    if (w.sha256() != null) {
      put(filter, "sha256", w.sha256());
    }
    // Configuration bytes may hold credentials: sizes only.
    filter.put("config_bytes", w.configuration().length());
    filter.put("vm_config_bytes", w.vmConfiguration().length());
    put(filter, "root_id", w.rootId());
    put(filter, "vm_id", w.vmId());
    filter.put("timeout_ms", w.timeout().toMillis());
    filter.put("start_timeout_ms", w.startTimeout().toMillis());
    filter.put("max_memory_pages", w.maxMemoryPages());
    if (httpFilter) {
      filter.put("fail_open", w.failOpen());
      filter.put("max_buffered_body", w.maxBufferedBody());
    }
    put(filter, "restart_backoff", duration(w.restartBackoff()));
    put(filter, "max_restart_backoff", duration(w.maxRestartBackoff()));
  }

  static String duration(java.time.Duration d) {
    long ms = d.toMillis();
    if (ms == 0) {
      return "0";
    }
    if (ms % 3_600_000 == 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
  }

  private static void options(ObjectNode cluster, ClusterOptions o) {
    cluster.put("load_balancing", o.loadBalancing().name().toLowerCase(java.util.Locale.ROOT));
    ClusterOptions.Dns dns = o.dns();
    if (dns != null) {
      ObjectNode d = cluster.putObject("dns").put("name", dns.name())
          .put("type", dns.type().name().toLowerCase(java.util.Locale.ROOT))
          .put("refresh", duration(dns.refresh()));
      if (dns.type() == ClusterOptions.DnsType.A) {
        d.put("port", dns.port());
      }
      if (!dns.servers().isEmpty()) {
        ArrayNode servers = d.putArray("servers");
        dns.servers().forEach(a -> servers.add(a.toString()));
      }
    }
    ClusterOptions.Kubernetes k = o.kubernetes();
    if (k != null) {
      ObjectNode kube = cluster.putObject("kubernetes").put("service", k.service());
      if (k.namespace() != null) {
        kube.put("namespace", k.namespace());
      }
      if (k.port().chars().allMatch(Character::isDigit)) {
        kube.put("port", Integer.parseInt(k.port()));
      } else {
        kube.put("port", k.port());
      }
    }
    ClusterOptions.HealthCheck h = o.healthCheck();
    if (h != null) {
      cluster.putObject("health_check").put("path", h.path())
          .put("interval", duration(h.interval())).put("timeout", duration(h.timeout()))
          .put("healthy_threshold", h.healthyThreshold())
          .put("unhealthy_threshold", h.unhealthyThreshold());
    }
    ClusterOptions.OutlierDetection od = o.outlierDetection();
    if (od != null) {
      cluster.putObject("outlier_detection").put("consecutive_failures", od.consecutiveFailures())
          .put("base_ejection_time", duration(od.baseEjectionTime()));
    }
    ClusterOptions.CircuitBreaker cb = o.circuitBreaker();
    if (cb != null) {
      cluster.putObject("circuit_breaker").put("failure_rate", cb.failureRate())
          .put("minimum_requests", cb.minimumRequests()).put("window", duration(cb.window()))
          .put("open_for", duration(cb.openFor()))
          .put("consecutive_failures", cb.consecutiveFailures())
          .put("trial_interval", duration(cb.trialInterval()));
    }
    ClusterOptions.Retries r = o.retries();
    if (r != null) {
      cluster.putObject("retries").put("attempts", r.attempts())
          .put("backoff", duration(r.backoff())).put("budget_percent", r.budgetPercent())
          .put("min_retries_per_second", r.minRetriesPerSecond());
    }
    ClusterOptions.Bulkhead b = o.bulkhead();
    if (b != null) {
      cluster.put("max_concurrent_requests", b.maxConcurrentRequests())
          .put("max_pending_requests", b.maxPendingRequests())
          .put("pending_timeout", duration(b.pendingTimeout()));
    }
  }

  private static void put(ObjectNode node, String key, String value) {
    node.put(key, CREDENTIAL.matcher(key).matches() ? "****" : value);
  }
}
