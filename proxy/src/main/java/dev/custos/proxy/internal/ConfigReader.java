package dev.custos.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.linecorp.armeria.common.util.InetAddressPredicates;
import dev.custos.engine.ContentType;
import dev.custos.engine.Policy;
import dev.custos.engine.PolicyException;
import dev.custos.engine.config.ConfigDocument;
import dev.custos.engine.config.ConfigException;
import dev.custos.engine.config.ConfigProblem;
import dev.custos.engine.config.Durations;
import dev.custos.engine.config.SchemaValidator;
import dev.custos.proxy.AuthnConfig;
import dev.custos.proxy.ClusterOptions;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.authn.AuthnFiles;
import dev.custos.proxy.internal.authz.AuthzCel;
import dev.custos.proxy.internal.authz.CompiledAuthz;
import dev.custos.proxy.internal.tls.FileTlsProvider;
import dev.custos.proxy.ProxyConfig.Address;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads {@code custos.yaml}: YAML with positions, the schema, then what the schema cannot check
 * (cluster references, CIDRs, ports, files). Every problem carries file:line:column.
 */
public final class ConfigReader {
  /** Where the schema lives on the classpath. */
  public static final String SCHEMA_RESOURCE = "dev/custos/proxy/config.schema.json";

  /** Larger than any configuration needs, inline policy included. */
  private static final int MAX_CHARS = 4 * 1024 * 1024 + 64 * 1024;

  /** Nothing in the configuration itself is sensitive; an inline policy is checked by the engine. */
  private static final Pattern SENSITIVE = Pattern.compile("^/policy(/.*)?$");

  private static final Duration DEFAULT_ROUTE_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
  private static final String DEFAULT_FINDINGS_FILE = "findings.jsonl";
  private static final String HTTP2_CIPHER = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";

  private static volatile @Nullable SchemaValidator schema;
  private static volatile @Nullable SchemaValidator keysSchema;

  private ConfigReader() {}

  /** Returns the proxy configuration schema, loading it on first use. */
  public static SchemaValidator schema() {
    SchemaValidator s = schema;
    if (s == null) {
      synchronized (ConfigReader.class) {
        s = schema;
        if (s == null) {
          s = SchemaValidator.of(
              SchemaValidator.readSchemaJson(ConfigReader.class.getClassLoader(), SCHEMA_RESOURCE),
              SENSITIVE);
          schema = s;
        }
      }
    }
    return s;
  }

  /**
   * The largest configuration file read, in bytes: room for an inline policy as large as a
   * policy file may be (4 MiB). Checked before reading, so that a huge file (or a device that
   * never ends) is refused without being held in memory.
   */
  public static final int MAX_FILE_BYTES = MAX_CHARS;

  /** Reads a configuration file. */
  public static ProxyConfig load(Path file) {
    String name = file.toString();
    String text;
    try {
      if (Files.isDirectory(file)) {
        throw new ConfigException(name, List.of(new ConfigProblem(0, 0,
            "a directory (expected: a configuration file)")));
      }
      long size = Files.exists(file) ? Files.size(file) : 0;
      byte[] bytes;
      if (size <= MAX_FILE_BYTES) {
        try (java.io.InputStream in = Files.newInputStream(file)) {
          // Bounded even if the file grows between the size check and the read.
          bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        }
      } else {
        bytes = null;
      }
      if (bytes == null || bytes.length > MAX_FILE_BYTES) {
        throw new ConfigException(name, List.of(new ConfigProblem(0, 0, "larger than "
            + MAX_FILE_BYTES + " bytes (expected: a configuration file of at most "
            + MAX_FILE_BYTES + " bytes)")));
      }
      text = decode(bytes);
    } catch (NoSuchFileException e) {
      throw new ConfigException(name, List.of(new ConfigProblem(0, 0,
          "no such file (expected: a readable configuration file)")));
    } catch (CharacterCodingException e) {
      throw new ConfigException(name, List.of(new ConfigProblem(0, 0,
          "not UTF-8 text (expected: a UTF-8 YAML file)")));
    } catch (IOException e) {
      throw new ConfigException(name, List.of(new ConfigProblem(0, 0,
          "cannot read: " + e.getClass().getSimpleName() + " (expected: a readable file)")));
    }
    Path abs = file.toAbsolutePath();
    Path dir = abs.getParent() == null ? abs : abs.getParent();
    return parse(text, name, dir, abs);
  }

  /** Parses configuration text, reading every file and environment variable it names. */
  public static ProxyConfig parse(String yaml, String sourceName, Path baseDir,
      @Nullable Path source) {
    return parse(yaml, sourceName, baseDir, source, ExternalResources.READ);
  }

  /**
   * Checks configuration text as {@link #parse} does, except that the files and environment
   * variables it names are not read ({@link ExternalResources#DEFER}): what the command plane
   * checks before it distributes a configuration to proxies whose disks and environment it cannot
   * see.
   *
   * @throws ConfigException with every problem found, each with its line and column
   */
  public static void validateStructure(String yaml, String sourceName) {
    // Paths are resolved (never opened) against a fixed folder, so that they are syntactically
    // checked the same way on every plane.
    parse(yaml, sourceName, Path.of("/"), null, ExternalResources.DEFER);
  }

  private static ProxyConfig parse(String yaml, String sourceName, Path baseDir,
      @Nullable Path source, ExternalResources external) {
    String text = yaml.startsWith("\uFEFF") ? yaml.substring(1) : yaml;
    if (text.length() > MAX_CHARS) {
      throw new ConfigException(sourceName, List.of(new ConfigProblem(0, 0,
          "longer than " + MAX_CHARS + " characters (expected: a smaller configuration)")));
    }
    ConfigDocument doc = ConfigDocument.parse(text, sourceName, "config", MAX_CHARS + 1);
    if (doc == null) {
      throw new ConfigException(sourceName, List.of(new ConfigProblem(1, 1,
          "empty configuration (expected: a mapping with listen, routes and clusters)")));
    }
    List<ConfigProblem> problems = schema().validate(doc);
    if (!problems.isEmpty()) {
      throw new ConfigException(sourceName, problems);
    }
    return new Reader(doc, baseDir, source, external).read();
  }

  /** Returns the schema of a list of API keys kept in a file or an environment variable. */
  static SchemaValidator keysSchema() {
    SchemaValidator s = keysSchema;
    if (s == null) {
      com.fasterxml.jackson.databind.node.ObjectNode node =
          ((com.fasterxml.jackson.databind.node.ObjectNode) schema().schemaJson().get("$defs")
              .get("api_key_list")).deepCopy();
      node.put("$schema", "https://json-schema.org/draft/2020-12/schema");
      node.put("title", "api keys");
      s = SchemaValidator.of(node, Pattern.compile("^$"));
      keysSchema = s;
    }
    return s;
  }

  /** Parses a duration the schema has checked, such as {@code 250ms} or {@code 30s}. */
  public static Duration duration(String text) {
    return Durations.parse(text);
  }

  static String decode(byte[] bytes) throws CharacterCodingException {
    return StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString();
  }

  /** Builds the configuration from a schema-valid document. */
  private static final class Reader {
    private final ConfigDocument doc;
    private final Path baseDir;
    private final @Nullable Path source;
    private final ExternalResources external;
    private final List<ConfigProblem> problems = new ArrayList<>();

    Reader(ConfigDocument doc, Path baseDir, @Nullable Path source, ExternalResources external) {
      this.doc = doc;
      this.baseDir = baseDir;
      this.source = source;
      this.external = external;
    }

    ProxyConfig read() {
      JsonNode root = doc.root();
      ProxyConfig.Builder b = ProxyConfig.builder().source(source, doc.sourceName())
          .version(digest(doc.text()));
      Address listen = address("/listen", root.get("listen").asText());
      if (listen != null) {
        b.listen(listen);
      }
      if (root.has("admin")) {
        b.admin(address("/admin", root.get("admin").asText()));
      }
      if (root.has("tls")) {
        JsonNode tls = root.get("tls");
        Address at = address("/tls/listen", tls.get("listen").asText());
        Path cert = file("/tls/cert", tls.get("cert").asText(), "a PEM certificate file");
        Path key = file("/tls/key", tls.get("key").asText(), "a PEM private key file");
        List<String> ciphers = new ArrayList<>();
        tls.path("ciphers").forEach(n -> ciphers.add(n.asText()));
        if (!ciphers.isEmpty() && !ciphers.contains(HTTP2_CIPHER)
            && !ciphers.contains("ECDHE-RSA-AES128-GCM-SHA256")) {
          add("/tls/ciphers", "tls.ciphers: " + ciphers.size() + " suites without " + HTTP2_CIPHER
              + " (expected: a list that includes it, as HTTP/2 requires it)");
        }
        if (at != null && cert != null && key != null
            && checkContent("/tls", () -> FileTlsProvider.check(cert, key, null))) {
          b.tls(new ProxyConfig.Tls(at, cert, key, tls.path("min_version").asText("TLSv1.2"),
              ciphers));
        }
      }
      b.idleTimeout(root.has("idle_timeout") ? duration(root.get("idle_timeout").asText())
          : DEFAULT_IDLE_TIMEOUT);
      b.maxRequestLength(root.path("max_request_length").asLong(0));
      if (root.has("request_body_idle_timeout")) {
        b.requestBodyIdleTimeout(duration(root.get("request_body_idle_timeout").asText()));
      }
      if (root.has("drain_timeout")) {
        b.drainTimeout(duration(root.get("drain_timeout").asText()));
      }
      if (root.has("shutdown_timeout")) {
        b.shutdownTimeout(duration(root.get("shutdown_timeout").asText()));
      }
      if (root.has("http2_max_concurrent_streams")) {
        b.http2MaxConcurrentStreams(root.get("http2_max_concurrent_streams").asInt());
      }
      if (root.has("http2_max_queued_control_frames")) {
        b.http2MaxQueuedControlFrames(root.get("http2_max_queued_control_frames").asInt());
      }
      if (root.has("http2_max_resets_per_minute")) {
        b.http2MaxResetsPerMinute(root.get("http2_max_resets_per_minute").asInt());
      }
      if (root.has("http2_max_priority_frames_per_stream")) {
        b.http2MaxPriorityFramesPerStream(root.get("http2_max_priority_frames_per_stream").asInt());
      }
      if (root.has("http2_max_window_updates_per_data_frame")) {
        b.http2MaxWindowUpdatesPerDataFrame(root.get("http2_max_window_updates_per_data_frame").asInt());
      }
      b.workers(root.path("workers").asInt(0));
      if (root.has("http1_relay")) {
        String relay = root.get("http1_relay").asText();
        switch (relay) {
          case "auto" -> b.http1Relay(ProxyConfig.Http1Relay.AUTO);
          case "off" -> b.http1Relay(ProxyConfig.Http1Relay.OFF);
          default -> add("/http1_relay", "http1_relay: " + relay + " (expected: auto or off)");
        }
      }
      JsonNode trusted = root.path("trusted_proxies");
      for (int i = 0; i < trusted.size(); i++) {
        String cidr = trusted.get(i).asText();
        try {
          InetAddressPredicates.ofCidr(cidr.contains("/") ? cidr
              : cidr + (cidr.contains(":") ? "/128" : "/32"));
          b.trustedProxy(cidr);
        } catch (IllegalArgumentException e) {
          add("/trusted_proxies/" + i, "trusted_proxies[" + i + "]: '" + cidr
              + "' (expected: an IPv4 or IPv6 CIDR such as 10.0.0.0/8)");
        }
      }
      Iterator<Map.Entry<String, JsonNode>> clusters = root.get("clusters").properties().iterator();
      while (clusters.hasNext()) {
        Map.Entry<String, JsonNode> c = clusters.next();
        cluster(b, c.getKey(), c.getValue());
      }
      ProxyConfig.Inspection inspection = root.has("inspection")
          ? inspection("/inspection", root.get("inspection"), ProxyConfig.Inspection.DEFAULT)
          : ProxyConfig.Inspection.DEFAULT;
      b.inspection(inspection);
      AuthnConfig authn = root.has("authn") ? authn(root.get("authn")) : AuthnConfig.NONE;
      b.authn(authn);
      if (authn.mtls() != null && !root.has("tls")) {
        add("/authn/mtls", "authn.mtls: set without tls (expected: a tls listener that asks for"
            + " client certificates)");
      }
      ProxyConfig.Limits limits = root.has("limits") ? limits(root.get("limits"))
          : ProxyConfig.Limits.NONE;
      b.limits(limits);
      plans(authn, limits);
      if (root.has("egress")) {
        List<String> hosts = new ArrayList<>();
        root.get("egress").get("allowed_hosts").forEach(h -> hosts.add(
            h.asText().toLowerCase(Locale.ROOT)));
        b.egress(new ProxyConfig.Egress(hosts));
      }
      adminToken(b, root);
      JsonNode routes = root.get("routes");
      Set<String> names = new LinkedHashSet<>();
      for (int i = 0; i < routes.size(); i++) {
        route(b, i, routes.get(i), root.get("clusters"), names, inspection, authn);
      }
      if (authn.apiKeys() != null) {
        for (AuthnConfig.ApiKey k : authn.apiKeys().keys()) {
          for (String r : k.routes()) {
            if (!r.equals("*") && !names.contains(r)) {
              add("/authn/api_keys", "authn.api_keys: key '" + k.name() + "' names route '" + r
                  + "' that is not defined (expected one of: " + String.join(", ", names)
                  + ", *)");
            }
          }
        }
      }
      if (root.has("tcp_listeners")) {
        tcpListeners(b, root.get("tcp_listeners"), root.get("clusters"));
      }
      if (root.has("wasm_services")) {
        wasmFilters("/wasm_services", root.get("wasm_services")).forEach(b::wasmService);
      }
      String findings = root.path("findings").path("file").asText(DEFAULT_FINDINGS_FILE);
      b.findingsFile(findings.equals("off") ? null
          : output("/findings/file", findings, root.path("findings").has("file")));
      String accessLog = root.path("access_log").path("file").asText("off");
      if (accessLog.equals("stdout")) {
        b.accessLog(ProxyConfig.AccessLog.STDOUT);
      } else if (!accessLog.equals("off")) {
        Path file = output("/access_log/file", accessLog, true);
        if (file != null) {
          b.accessLog(ProxyConfig.AccessLog.file(file));
        }
      }
      if (root.has("tracing")) {
        tracing(b, root.get("tracing"));
      }
      if (root.has("command")) {
        command(b, root.get("command"));
      }
      if (root.has("shared_state")) {
        sharedState(b, root.get("shared_state"));
      }
      policy(b, root.get("policy"));
      if (!problems.isEmpty()) {
        throw new ConfigException(doc.sourceName(), problems);
      }
      return b.build();
    }

    private void tcpListeners(ProxyConfig.Builder b, JsonNode list, JsonNode clusters) {
      Set<String> names = new LinkedHashSet<>();
      for (int i = 0; i < list.size(); i++) {
        JsonNode t = list.get(i);
        String pointer = "/tcp_listeners/" + i;
        String name = t.get("name").asText();
        if (!names.add(name)) {
          add(pointer + "/name", "tcp_listeners[" + i + "].name: '" + name + "' used twice"
              + " (expected: a unique name)");
        }
        Address listen = address(pointer + "/listen", t.get("listen").asText());
        String cluster = t.get("cluster").asText();
        boolean clusterOk = known(pointer + "/cluster", "tcp_listeners[" + i + "].cluster",
            cluster, clusters);
        if (clusterOk) {
          JsonNode c = clusters.get(cluster);
          if (c.has("tls") || !c.has("endpoints") || c.get("endpoints").isEmpty()) {
            add(pointer + "/cluster", "tcp_listeners[" + i + "].cluster: '" + cluster
                + "' has tls or no static endpoints (expected: a cleartext cluster of endpoints)");
            clusterOk = false;
          }
        }
        ProxyConfig.Tls tls = null;
        boolean tlsOk = true;
        if (t.has("tls") && listen != null) {
          JsonNode n = t.get("tls");
          Path cert = file(pointer + "/tls/cert", n.get("cert").asText(), "a PEM certificate file");
          Path key = file(pointer + "/tls/key", n.get("key").asText(), "a PEM private key file");
          List<String> ciphers = new ArrayList<>();
          n.path("ciphers").forEach(c -> ciphers.add(c.asText()));
          tlsOk = cert != null && key != null
              && checkContent(pointer + "/tls", () -> FileTlsProvider.check(cert, key, null));
          if (tlsOk) {
            tls = new ProxyConfig.Tls(listen, cert, key, n.path("min_version").asText("TLSv1.2"),
                ciphers);
          }
        }
        long max = t.has("max_frame_bytes")
            ? size(pointer + "/max_frame_bytes", t.get("max_frame_bytes"), 64L << 20) : 65536;
        if (max != 0 && max < 64) {
          add(pointer + "/max_frame_bytes", "tcp_listeners[" + i + "].max_frame_bytes: " + max
              + " bytes (expected: 64 bytes to 64MiB)");
          max = 0;
        }
        if (listen != null && clusterOk && tlsOk && max != 0) {
          b.tcpListener(new ProxyConfig.TcpListener(name, listen, tls, cluster,
              ProxyConfig.TcpFraming.of(t.get("framing").asText()),
              t.path("format").asText("text").equals("json") ? ContentType.JSON : ContentType.TEXT,
              (int) max, t.path("on_oversized").asText("forward").equals("drop")
                  ? ProxyConfig.OnOversized.DROP : ProxyConfig.OnOversized.FORWARD));
        }
      }
    }

    private void tracing(ProxyConfig.Builder b, JsonNode t) {
      String endpoint = t.path("otlp_endpoint").asText();
      try {
        b.tracing(new ProxyConfig.Tracing(new java.net.URI(endpoint),
            t.path("service_name").asText("custos"), t.path("sample_ratio").asDouble(1.0)));
      } catch (java.net.URISyntaxException | IllegalArgumentException e) {
        add("/tracing/otlp_endpoint", "tracing.otlp_endpoint: " + endpoint
            + " (expected: an http or https URL such as http://collector:4318/v1/traces)");
      }
    }

    private void command(ProxyConfig.Builder b, JsonNode c) {
      String url = c.path("url").asText();
      java.net.URI uri = null;
      try {
        uri = new java.net.URI(url);
        if (uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
          uri = null;
        }
      } catch (java.net.URISyntaxException e) {
        uri = null;
      }
      if (uri == null) {
        add("/command/url", "command.url: '" + url + "' (expected: an http or https URL without"
            + " query, such as http://custos-command:8080)");
      }
      Path token = !c.has("token_file") ? null : file("/command/token_file",
          c.path("token_file").asText(),
          "a file holding the token the command plane issued to this proxy");
      if (token != null) {
        Path t = token;
        checkContent("/command/token_file", () -> {
          String text;
          try {
            text = Files.readString(t, StandardCharsets.UTF_8).trim();
          } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot be read (" + e.getClass().getSimpleName()
                + ")");
          }
          if (text.isEmpty()) {
            throw new IllegalArgumentException("empty (expected: the token the command plane"
                + " issued to this proxy)");
          }
        });
      }
      String spoolText = c.path("spool_dir").asText("spool");
      Path spool = baseDir.resolve(spoolText).normalize();
      if (external.reads() && Files.exists(spool) && !Files.isDirectory(spool)) {
        add("/command/spool_dir", "command.spool_dir: '" + spoolText + "' is not a folder"
            + " (expected: a folder path relative to this file; it is created when missing)");
      }
      String proxyId = c.has("proxy_id") ? c.get("proxy_id").asText()
          : external.reads() ? hostName() : "deferred";
      int queue = c.path("queue_capacity").asInt(10_000);
      int batch = c.path("batch_max_events").asInt(500);
      Duration linger = c.has("linger")
          ? bounded("/command/linger", c.get("linger").asText(), Duration.ofMinutes(1),
              Duration.ofSeconds(1))
          : Duration.ofSeconds(1);
      long spoolMax = 256L << 20;
      if (c.has("spool_max_bytes")) {
        spoolMax = size("/command/spool_max_bytes", c.get("spool_max_bytes"), 1L << 40);
        if (spoolMax != 0 && spoolMax < ProxyConfig.Command.MIN_SPOOL_BYTES) {
          add("/command/spool_max_bytes", "command.spool_max_bytes: " + spoolMax + " bytes"
              + " (expected: at least 64KiB)");
          spoolMax = 0;
        }
      }
      Duration timeout = positive("/command", c, "request_timeout", Duration.ofSeconds(10),
          Duration.ofMinutes(5));
      JsonNode backoff = c.path("backoff");
      Duration initial = positive("/command/backoff", backoff, "initial", Duration.ofMillis(500),
          Duration.ofMinutes(10));
      Duration max = positive("/command/backoff", backoff, "max", Duration.ofSeconds(60),
          Duration.ofHours(1));
      if (max.compareTo(initial) < 0) {
        add("/command/backoff", "command.backoff: initial " + backoff.path("initial").asText()
            + " is longer than max " + backoff.path("max").asText("60s")
            + " (expected: initial at most max)");
        max = initial;
      }
      Duration shutdown = c.has("shutdown_timeout")
          ? duration(c.get("shutdown_timeout").asText()) : Duration.ofSeconds(5);
      if (shutdown.compareTo(Duration.ofMinutes(1)) > 0) {
        add("/command/shutdown_timeout", "command.shutdown_timeout: "
            + c.get("shutdown_timeout").asText() + " (expected: at most 1m)");
        shutdown = Duration.ofSeconds(5);
      }
      ProxyConfig.PolicyPull pull = pull(c, "policy", spool);
      ProxyConfig.PolicyPull configPull = pull(c, "config", spool);
      if (pull != null && configPull != null
          && pull.cacheFile().equals(configPull.cacheFile())) {
        add("/command/config/cache_file", "command.config.cache_file: the same file as"
            + " command.policy.cache_file (expected: a file of its own)");
      }
      ProxyConfig.UpstreamTls tls = null;
      boolean tlsOk = true;
      if (c.has("tls")) {
        JsonNode t = c.get("tls");
        Path ca = t.has("ca_file") ? file("/command/tls/ca_file", t.get("ca_file").asText(),
            "PEM CA certificates") : null;
        Path cert = t.has("cert_file") ? file("/command/tls/cert_file",
            t.get("cert_file").asText(), "a PEM certificate chain") : null;
        Path key = t.has("key_file") ? file("/command/tls/key_file", t.get("key_file").asText(),
            "a PEM private key") : null;
        tlsOk = (ca == null) != t.has("ca_file") && (cert == null) != t.has("cert_file")
            && (key == null) != t.has("key_file")
            && checkContent("/command/tls", () -> FileTlsProvider.check(cert, key, ca));
        if (tlsOk) {
          try {
            tls = new ProxyConfig.UpstreamTls(ca, cert, key, null, false,
                t.path("min_version").asText("TLSv1.2"));
          } catch (IllegalArgumentException e) {
            add("/command/tls", "command.tls: " + e.getMessage());
            tlsOk = false;
          }
        }
      }
      if (tlsOk && c.has("tls") && uri != null && !"https".equals(uri.getScheme())) {
        add("/command/tls", "command.tls: set for " + url + " (expected: an https url)");
        tlsOk = false;
      }
      if (!c.has("token_file") && (tls == null || tls.cert() == null) && tlsOk) {
        add("/command", "command: neither token_file nor tls.cert_file (expected: a token"
            + " file, a client certificate, or both)");
        tlsOk = false;
      }
      if (uri != null && (token != null || !c.has("token_file")) && spoolMax != 0 && tlsOk) {
        try {
          b.command(new ProxyConfig.Command(uri, token, spool, proxyId, queue, batch, linger,
              spoolMax, timeout, initial, max, shutdown, pull, tls, configPull));
        } catch (IllegalArgumentException e) {
          add("/command", "command: " + e.getMessage());
        }
      }
    }

    /**
     * Returns the pull settings of {@code command.<key>} ({@code policy} or {@code config}),
     * null when absent or off; the cache file defaults to {@code <key>-cache.yaml} in the spool.
     */
    private ProxyConfig.@Nullable PolicyPull pull(JsonNode c, String key, Path spool) {
      JsonNode pp = c.path(key);
      if (!c.has(key) || !pp.path("pull").asBoolean(true)) {
        return null;
      }
      String at = "/command/" + key;
      Duration wait = pp.has("wait")
          ? bounded(at + "/wait", pp.get("wait").asText(), ProxyConfig.PolicyPull.MAX_WAIT,
              Duration.ofSeconds(30))
          : Duration.ofSeconds(30);
      String cacheText = pp.path("cache_file").asText("");
      Path cache = cacheText.isEmpty() ? spool.resolve(key + "-cache.yaml")
          : baseDir.resolve(cacheText).normalize();
      if (external.reads() && Files.isDirectory(cache)) {
        add(at + "/cache_file", "command." + key + ".cache_file: '" + cacheText
            + "' is a folder (expected: a file path relative to this file)");
        return null;
      }
      return new ProxyConfig.PolicyPull(wait, cache);
    }

    /** Returns this machine's host name, the default proxy id. */
    private static String hostName() {
      String env = System.getenv("HOSTNAME");
      if (env != null && !env.isBlank()) {
        return env.trim();
      }
      try {
        String name = java.net.InetAddress.getLocalHost().getHostName();
        return name.isEmpty() ? "custos-proxy" : name;
      } catch (java.io.IOException e) {
        return "custos-proxy";
      }
    }

    private void sharedState(ProxyConfig.Builder b, JsonNode n) {
      String url = n.path("redis").asText();
      java.net.URI uri = null;
      try {
        uri = new java.net.URI(url);
      } catch (java.net.URISyntaxException e) {
        // reported below
      }
      if (uri == null || uri.getHost() == null || uri.getRawUserInfo() != null) {
        // Never echo the URL: it may hold a password.
        add("/shared_state/redis", "shared_state.redis: " + (uri != null
            && uri.getRawUserInfo() != null ? "a URL with user information (expected: the"
            + " password in shared_state.password_file)" : "not a URL with a host (expected:"
            + " redis://host:port or rediss://host:port)"));
        return;
      }
      Path password = n.has("password_file") ? file("/shared_state/password_file",
          n.get("password_file").asText(), "a file holding the Redis password") : null;
      Path ca = n.has("ca_file") ? file("/shared_state/ca_file", n.get("ca_file").asText(),
          "a PEM file of CA certificates") : null;
      if (ca != null && !"rediss".equals(uri.getScheme())) {
        add("/shared_state/ca_file", "shared_state.ca_file: set for a redis:// URL (expected:"
            + " rediss:// when the server's certificate is checked)");
        return;
      }
      if ((n.has("password_file") && password == null) || (n.has("ca_file") && ca == null)) {
        return;
      }
      Duration connect = n.has("connect_timeout")
          ? duration(n.get("connect_timeout").asText()) : Duration.ofSeconds(2);
      Duration command = n.has("command_timeout")
          ? duration(n.get("command_timeout").asText()) : Duration.ofMillis(250);
      if (connect.isZero()) {
        add("/shared_state/connect_timeout", "shared_state.connect_timeout: 0 (expected: a"
            + " positive duration such as 2s)");
        return;
      }
      if (command.isZero()) {
        add("/shared_state/command_timeout", "shared_state.command_timeout: 0 (expected: a"
            + " positive duration such as 250ms)");
        return;
      }
      b.sharedState(new ProxyConfig.SharedState(uri, password, ca,
          n.path("key_prefix").asText("custos:"), connect, command,
          n.path("on_unavailable").asText("fail_open").equals("fail_closed")
              ? ProxyConfig.SharedState.OnUnavailable.FAIL_CLOSED
              : ProxyConfig.SharedState.OnUnavailable.FAIL_OPEN));
    }

    private void cluster(ProxyConfig.Builder b, String name, JsonNode c) {
      String pointer = "/clusters/" + ConfigDocument.escape(name);
      List<Address> endpoints = new ArrayList<>();
      Map<Address, Integer> weights = new java.util.LinkedHashMap<>();
      JsonNode e = c.path("endpoints");
      int before = problems.size();
      for (int i = 0; i < e.size(); i++) {
        String at = pointer + "/endpoints/" + i;
        JsonNode item = e.get(i);
        String text = item.isObject() ? item.get("address").asText() : item.asText();
        Address a = address(item.isObject() ? at + "/address" : at, text);
        if (a != null) {
          if (a.port() == 0) {
            add(at, doc.entry(at).path() + ": port 0 (expected: the port the upstream listens on)");
          }
          if (weights.containsKey(a) || endpoints.contains(a)) {
            add(at, doc.entry(at).path() + ": " + a + " listed twice (expected: unique endpoints)");
          }
          endpoints.add(a);
          if (item.has("weight")) {
            weights.put(a, item.get("weight").asInt());
          }
        }
      }
      ClusterOptions.Dns dns = c.has("dns") ? dns(pointer + "/dns", c.get("dns")) : null;
      ClusterOptions.Kubernetes kubernetes = c.has("kubernetes")
          ? kubernetes(pointer + "/kubernetes", c.get("kubernetes")) : null;
      if (problems.size() > before
          || (endpoints.isEmpty() && dns == null && kubernetes == null)) {
        return;
      }
      Duration connect = c.has("connect_timeout") ? duration(c.get("connect_timeout").asText())
          : DEFAULT_CONNECT_TIMEOUT;
      ClusterOptions.LoadBalancing lb = ClusterOptions.LoadBalancing.valueOf(
          c.path("load_balancing").asText("round_robin").toUpperCase(Locale.ROOT));
      ClusterOptions.HealthCheck health = null;
      if (c.has("health_check")) {
        String at = pointer + "/health_check";
        JsonNode h = c.get("health_check");
        Duration interval = positive(at, h, "interval", Duration.ofSeconds(5), Duration.ofHours(1));
        Duration timeout = positive(at, h, "timeout", Duration.ofSeconds(1), Duration.ofMinutes(5));
        health = new ClusterOptions.HealthCheck(h.get("path").asText(), interval, timeout,
            h.path("healthy_threshold").asInt(2), h.path("unhealthy_threshold").asInt(3));
      }
      ClusterOptions.OutlierDetection outliers = null;
      if (c.has("outlier_detection")) {
        String at = pointer + "/outlier_detection";
        JsonNode o = c.get("outlier_detection");
        outliers = new ClusterOptions.OutlierDetection(o.path("consecutive_failures").asInt(5),
            positive(at, o, "base_ejection_time", Duration.ofSeconds(30), Duration.ofHours(1)));
      }
      ClusterOptions.CircuitBreaker breaker = null;
      if (c.has("circuit_breaker")) {
        String at = pointer + "/circuit_breaker";
        JsonNode cb = c.get("circuit_breaker");
        breaker = new ClusterOptions.CircuitBreaker(cb.path("failure_rate").asDouble(0.5),
            cb.path("minimum_requests").asLong(20),
            positive(at, cb, "window", Duration.ofSeconds(10), Duration.ofHours(1)),
            positive(at, cb, "open_for", Duration.ofSeconds(10), Duration.ofHours(1)),
            cb.path("consecutive_failures").asInt(0),
            positive(at, cb, "trial_interval", Duration.ofSeconds(3), Duration.ofHours(1)));
      }
      ClusterOptions.Retries retries = null;
      if (c.has("retries")) {
        JsonNode r = c.get("retries");
        retries = new ClusterOptions.Retries(r.path("attempts").asInt(3),
            r.has("backoff") ? duration(r.get("backoff").asText()) : Duration.ofMillis(50),
            r.path("budget_percent").asInt(20), r.path("min_retries_per_second").asInt(10));
      }
      ClusterOptions.Bulkhead bulkhead = null;
      if (c.has("max_concurrent_requests")) {
        bulkhead = new ClusterOptions.Bulkhead(c.get("max_concurrent_requests").asInt(),
            c.path("max_pending_requests").asInt(0), c.has("pending_timeout")
                ? duration(c.get("pending_timeout").asText()) : Duration.ofSeconds(1));
      } else {
        for (String k : List.of("max_pending_requests", "pending_timeout")) {
          if (c.has(k)) {
            add(pointer + "/" + k, doc.entry(pointer + "/" + k).path()
                + ": set without max_concurrent_requests (expected: max_concurrent_requests too)");
          }
        }
      }
      ProxyConfig.UpstreamTls tls = null;
      if (c.has("tls")) {
        JsonNode t = c.get("tls");
        String at = pointer + "/tls";
        Path ca = t.has("ca") ? file(at + "/ca", t.get("ca").asText(), "PEM CA certificates")
            : null;
        Path cert = t.has("cert") ? file(at + "/cert", t.get("cert").asText(),
            "a PEM certificate chain") : null;
        Path key = t.has("key") ? file(at + "/key", t.get("key").asText(), "a PEM private key")
            : null;
        if ((ca == null) == t.has("ca") || (cert == null) == t.has("cert")
            || (key == null) == t.has("key")
            || !checkContent(at, () -> FileTlsProvider.check(cert, key, ca))) {
          return;
        }
        tls = new ProxyConfig.UpstreamTls(ca, cert, key, text(t, "server_name"),
            t.path("insecure_skip_verify").asBoolean(false),
            t.path("min_version").asText("TLSv1.2"));
      }
      b.cluster(new ProxyConfig.Cluster(name, endpoints, connect,
          c.path("max_response_length").asLong(0), new ClusterOptions(weights, dns, kubernetes, lb, health,
              outliers, breaker, retries, bulkhead), tls));
    }

    private ClusterOptions.@Nullable Kubernetes kubernetes(String pointer, JsonNode k) {
      JsonNode port = k.get("port");
      String text = port.isIntegralNumber() ? String.valueOf(port.asLong()) : port.asText();
      try {
        return new ClusterOptions.Kubernetes(k.get("service").asText(), text(k, "namespace"),
            text);
      } catch (IllegalArgumentException e) {
        add(pointer, doc.entry(pointer).path() + ": " + e.getMessage());
        return null;
      }
    }

    private ClusterOptions.@Nullable Dns dns(String pointer, JsonNode d) {
      ClusterOptions.DnsType type = ClusterOptions.DnsType.valueOf(
          d.path("type").asText("a").toUpperCase(Locale.ROOT));
      if (type == ClusterOptions.DnsType.A && !d.has("port")) {
        add(pointer, doc.entry(pointer).path() + ": type a without port (expected: the port the"
            + " upstream listens on)");
        return null;
      }
      Duration refresh = d.has("refresh") ? duration(d.get("refresh").asText())
          : Duration.ofSeconds(30);
      if (refresh.compareTo(Duration.ofSeconds(1)) < 0 || refresh.compareTo(Duration.ofDays(1)) > 0) {
        add(pointer + "/refresh", doc.entry(pointer + "/refresh").path() + ": "
            + d.get("refresh").asText() + " (expected: 1s to 24h)");
        return null;
      }
      List<Address> servers = new ArrayList<>();
      JsonNode list = d.path("servers");
      for (int i = 0; i < list.size(); i++) {
        String at = pointer + "/servers/" + i;
        Address a = address(at, list.get(i).asText());
        if (a == null) {
          return null;
        }
        if (!isIpAddress(a.host()) || a.port() == 0) {
          add(at, doc.entry(at).path() + ": " + a + " (expected: an IP address and a port, such"
              + " as 10.0.0.2:53)");
          return null;
        }
        servers.add(a);
      }
      return new ClusterOptions.Dns(d.get("name").asText(), d.path("port").asInt(0), type,
          refresh, servers);
    }

    private static boolean isIpAddress(String host) {
      return io.netty.util.NetUtil.isValidIpV4Address(host)
          || io.netty.util.NetUtil.isValidIpV6Address(host);
    }

    /** Returns a duration key of {@code node}, more than 0 and at most {@code max}. */
    private Duration positive(String pointer, JsonNode node, String key, Duration otherwise,
        Duration max) {
      return node.has(key) ? bounded(pointer + "/" + key, node.get(key).asText(), max, otherwise)
          : otherwise;
    }

    /** Returns {@code base} with the keys {@code node} sets replaced. */
    private ProxyConfig.Inspection inspection(String pointer, JsonNode node,
        ProxyConfig.Inspection base) {
      long held = node.has("max_inspected_body")
          ? size(pointer + "/max_inspected_body", node.get("max_inspected_body"),
              Integer.MAX_VALUE - 8)
          : base.maxInspectedBody();
      long decoded = node.has("max_decoded_body")
          ? size(pointer + "/max_decoded_body", node.get("max_decoded_body"), Integer.MAX_VALUE)
          : base.maxDecodedBody();
      long ratio = node.path("max_decode_ratio").asLong(base.maxDecodeRatio());
      if (ratio > Integer.MAX_VALUE) {
        add(pointer + "/max_decode_ratio", doc.entry(pointer + "/max_decode_ratio").path()
            + ": " + ratio + " (expected: 1 to " + Integer.MAX_VALUE + ")");
        ratio = base.maxDecodeRatio();
      }
      List<String> skip = base.skipMediaTypes();
      if (node.has("skip_media_types")) {
        skip = new ArrayList<>();
        JsonNode types = node.get("skip_media_types");
        for (int i = 0; i < types.size(); i++) {
          String type = types.get(i).asText().toLowerCase(Locale.ROOT);
          try {
            com.linecorp.armeria.common.MediaType.parse(type);
            skip.add(type);
          } catch (IllegalArgumentException e) {
            add(pointer + "/skip_media_types/" + i, doc.entry(pointer + "/skip_media_types/" + i)
                .path() + ": '" + type + "' (expected: a media type such as image/*)");
          }
        }
      }
      Path descriptors = base.grpcDescriptorSet();
      if (node.path("grpc").has("descriptor_set")) {
        String at = pointer + "/grpc/descriptor_set";
        descriptors = file(at, node.get("grpc").get("descriptor_set").asText(),
            "a FileDescriptorSet written by protoc --descriptor_set_out --include_imports");
        if (descriptors != null && external.reads()) {
          try {
            dev.custos.proxy.internal.inspect.GrpcDescriptors.load(descriptors);
          } catch (IllegalArgumentException e) {
            add(at, doc.entry(at).path() + ": '" + node.get("grpc").get("descriptor_set").asText()
                + "' is not a usable descriptor set (" + e.getMessage() + ")");
            descriptors = null;
          }
        }
      }
      ProxyConfig.GrpcReflection reflection = base.grpcReflection();
      if (node.path("grpc").has("descriptor_set")) {
        reflection = null; // A route's own descriptor set replaces inherited reflection.
      }
      JsonNode r = node.path("grpc").get("reflection");
      if (r != null) {
        String at = pointer + "/grpc/reflection";
        if (r.isBoolean()) {
          reflection = r.asBoolean() ? ProxyConfig.GrpcReflection.DEFAULT : null;
        } else {
          ProxyConfig.GrpcReflection d = ProxyConfig.GrpcReflection.DEFAULT;
          Duration timeout = r.has("timeout") ? duration(r.get("timeout").asText()) : d.timeout();
          Duration refresh = r.has("refresh") ? duration(r.get("refresh").asText()) : d.refresh();
          if (timeout.isZero() || refresh.isZero()) {
            add(at, doc.entry(at).path() + ": timeout " + r.path("timeout").asText(d.timeout().toString())
                + ", refresh " + r.path("refresh").asText(d.refresh().toString())
                + " (expected: durations above 0, such as 5s and 10m)");
            reflection = null;
          } else {
            reflection = new ProxyConfig.GrpcReflection(timeout, refresh);
          }
        }
        if (reflection != null && node.path("grpc").has("descriptor_set")) {
          add(at, doc.entry(at).path() + ": reflection with descriptor_set (expected: one of them;"
              + " the descriptor set names the fields itself)");
          reflection = null;
        } else if (reflection != null) {
          descriptors = null; // A route's own reflection replaces an inherited descriptor set.
        }
      }
      return new ProxyConfig.Inspection(node.path("enabled").asBoolean(base.enabled()),
          held < 1 ? base.maxInspectedBody() : held,
          decoded < 1 ? base.maxDecodedBody() : decoded, (int) ratio, skip, descriptors, reflection);
    }

    /** Returns a size the schema has checked, or 0 (with a problem added) when out of range. */
    private long size(String pointer, JsonNode node, long max) {
      long n;
      if (node.isNumber()) {
        n = node.asLong();
      } else {
        String text = node.asText();
        int unit = 0;
        while (unit < text.length() && Character.isDigit(text.charAt(unit))) {
          unit++;
        }
        n = Long.parseLong(text.substring(0, unit));
        switch (text.substring(unit)) {
          case "KiB" -> n <<= 10;
          case "MiB" -> n <<= 20;
          case "GiB" -> n <<= 30;
          default -> { }
        }
      }
      if (n < 1 || n > max) {
        add(pointer, doc.entry(pointer).path() + ": " + n + " bytes (expected: 1 to " + max
            + " bytes)");
        return 0;
      }
      return n;
    }

    /**
     * Returns the file an output goes to, relative to this file; when {@code check}, its folder
     * must exist.
     */
    private @Nullable Path output(String pointer, String value, boolean check) {
      Path p = resolve(pointer, value, "a file path relative to this file, or off");
      if (p == null) {
        return null;
      }
      if (check && external.reads() && (p.getParent() == null
          || !Files.isDirectory(p.getParent()) || Files.isDirectory(p))) {
        add(pointer, doc.entry(pointer).path() + ": '" + value + "' is not a file in an existing"
            + " folder (expected: a file path relative to this file, or off)");
        return null;
      }
      return p;
    }

    private void route(ProxyConfig.Builder b, int index, JsonNode r, JsonNode clusters,
        Set<String> names, ProxyConfig.Inspection inspection, AuthnConfig authn) {
      String pointer = "/routes/" + index;
      String name = r.has("name") ? r.get("name").asText() : "route-" + index;
      if (!names.add(name)) {
        add(pointer + (r.has("name") ? "/name" : ""), "routes[" + index + "].name: '" + name
            + "' used twice (expected: unique route names)");
      }
      if (r.has("cluster") == r.has("split")) {
        add(pointer, "routes[" + index + "]: " + (r.has("cluster") ? "cluster and split"
            : "neither cluster nor split") + " (expected: exactly one of them)");
        return;
      }
      ProxyConfig.Split split = null;
      String cluster;
      if (r.has("split")) {
        split = split(pointer + "/split", index, r.get("split"), clusters);
        if (split == null) {
          return;
        }
        cluster = split.clusters().get(0).cluster();
      } else {
        cluster = r.get("cluster").asText();
        if (!known(pointer + "/cluster", "routes[" + index + "].cluster", cluster, clusters)) {
          return;
        }
      }
      ProxyConfig.Sticky sticky = null;
      if (r.has("sticky")) {
        JsonNode s = r.get("sticky");
        if (s.has("cookie") == s.has("header")) {
          add(pointer + "/sticky", "routes[" + index + "].sticky: " + (s.has("cookie")
              ? "cookie and header" : "neither cookie nor header")
              + " (expected: exactly one of them)");
          return;
        }
        sticky = s.has("header")
            ? new ProxyConfig.Sticky(null, Duration.ZERO, s.get("header").asText())
            : new ProxyConfig.Sticky(s.get("cookie").get("name").asText(),
                duration(s.get("cookie").path("ttl").asText("0")), null);
      }
      Set<String> stripHeaders = new LinkedHashSet<>();
      r.path("strip_response_headers").forEach(h -> stripHeaders.add(
          h.asText().toLowerCase(Locale.ROOT)));
      Set<String> stripCookies = new LinkedHashSet<>();
      r.path("strip_request_cookies").forEach(c -> stripCookies.add(c.asText()));
      JsonNode m = r.get("match");
      Set<String> methods = new LinkedHashSet<>();
      for (JsonNode method : m.path("methods")) {
        methods.add(method.asText().toUpperCase(Locale.ROOT));
      }
      ProxyConfig.Match match = new ProxyConfig.Match(text(m, "prefix"), text(m, "path"),
          lower(text(m, "host")), methods);
      Duration timeout = r.has("timeout") ? duration(r.get("timeout").asText())
          : DEFAULT_ROUTE_TIMEOUT;
      AuthnConfig.Requirement requirement = r.has("authn")
          ? requirement(pointer + "/authn", r.get("authn"), authn) : null;
      b.route(new ProxyConfig.Route(name, match, cluster, timeout, text(r, "host_rewrite"),
          r.has("inspection") ? inspection(pointer + "/inspection", r.get("inspection"),
              inspection) : null,
          requirement, routeLimits(pointer, r, requirement),
          r.has("cors") ? cors(pointer + "/cors", r.get("cors")) : null,
          wasmFilters(pointer + "/wasm_filters", r.path("wasm_filters")),
          r.has("authz") ? authz(pointer + "/authz", r.get("authz")) : null,
          split, sticky, stripHeaders, stripCookies, webSocket(pointer, index, r, methods)));
    }

    /**
     * Returns whether the route proxies WebSocket upgrades; such a route must match GET (an
     * upgrade is a GET) and have no WebAssembly filters (they act on HTTP bodies).
     */
    private boolean webSocket(String pointer, int index, JsonNode r, Set<String> methods) {
      if (!r.path("websocket").asBoolean(false)) {
        return false;
      }
      if (!methods.isEmpty() && !methods.contains("GET")) {
        add(pointer + "/websocket", "routes[" + index + "].websocket: true with match.methods "
            + methods + " (expected: GET among the methods, or no methods listed: an upgrade is"
            + " a GET)");
      }
      if (r.path("wasm_filters").size() > 0) {
        add(pointer + "/websocket", "routes[" + index + "].websocket: true with wasm_filters"
            + " (expected: no wasm_filters on a WebSocket route: they act on HTTP bodies)");
      }
      return true;
    }

    private ProxyConfig.RouteLimits routeLimits(String pointer, JsonNode r,
        AuthnConfig.@Nullable Requirement requirement) {
      List<ProxyConfig.RateLimit> rates = new ArrayList<>();
      Set<String> names = new java.util.HashSet<>();
      JsonNode list = r.path("limits");
      for (int i = 0; i < list.size(); i++) {
        JsonNode l = list.get(i);
        String at = pointer + "/limits/" + i;
        ProxyConfig.RateLimit.Key key =
            ProxyConfig.RateLimit.Key.valueOf(l.get("key").asText().toUpperCase(Locale.ROOT));
        String name = l.path("name").asText(key.id());
        if (!names.add(name)) {
          String p = at + (l.has("name") ? "/name" : "/key");
          add(p, doc.entry(p).path() + ": limit '" + name + "' named twice on this route"
              + " (expected: a name unique within the route)");
          continue;
        }
        ProxyConfig.Rate rate = rate(at, l);
        if (rate != null) {
          rates.add(new ProxyConfig.RateLimit(name, key, rate));
        }
      }
      long maxBody = r.has("max_request_body")
          ? size(pointer + "/max_request_body", r.get("max_request_body"), Long.MAX_VALUE) : 0;
      ProxyConfig.Replay replay = null;
      if (r.has("replay_protection")) {
        String at = pointer + "/replay_protection";
        JsonNode rp = r.get("replay_protection");
        Duration window = rp.has("window") ? bounded(at + "/window", rp.get("window").asText(),
            Duration.ofHours(24), Duration.ofMinutes(5)) : Duration.ofMinutes(5);
        boolean jti = rp.has("jwt_jti");
        if (jti && (requirement == null
            || !requirement.methods().contains(AuthnConfig.Method.JWT))) {
          add(at + "/jwt_jti", doc.entry(at + "/jwt_jti").path() + ": true on a route whose"
              + " authn does not verify a JWT (expected: jwt in the route's authn, or a nonce"
              + " header)");
        } else {
          replay = new ProxyConfig.Replay(jti ? null : rp.get("header").asText(), window);
        }
      }
      return new ProxyConfig.RouteLimits(rates, maxBody, replay);
    }

    /** Returns the rate of a {@code rate} object the schema has checked, or null with a problem. */
    private ProxyConfig.@Nullable Rate rate(String pointer, JsonNode node) {
      Duration per = duration(node.get("per").asText());
      if (per.isZero()) {
        add(pointer + "/per", doc.entry(pointer + "/per").path()
            + ": 0 (expected: a period such as 1s or 1m)");
        return null;
      }
      long requests = node.get("requests").asLong();
      return new ProxyConfig.Rate(requests, per, node.path("burst").asLong(requests));
    }

    private ProxyConfig.Cors cors(String pointer, JsonNode c) {
      List<String> origins = new ArrayList<>();
      c.get("allow_origins").forEach(o -> origins.add(o.asText().toLowerCase(Locale.ROOT)));
      Set<String> methods = new LinkedHashSet<>();
      if (c.has("allow_methods")) {
        c.get("allow_methods").forEach(m -> methods.add(m.asText()));
      } else {
        methods.addAll(List.of("GET", "HEAD", "POST"));
      }
      List<String> headers = new ArrayList<>();
      c.path("allow_headers").forEach(h -> headers.add(h.asText().toLowerCase(Locale.ROOT)));
      List<String> expose = new ArrayList<>();
      c.path("expose_headers").forEach(h -> expose.add(h.asText().toLowerCase(Locale.ROOT)));
      Duration maxAge = c.has("max_age") ? duration(c.get("max_age").asText())
          : Duration.ofMinutes(10);
      boolean credentials = c.path("allow_credentials").asBoolean(false);
      if (credentials && origins.contains("*")) {
        add(pointer + "/allow_credentials", doc.entry(pointer + "/allow_credentials").path()
            + ": true with origin * (expected: the allowed origins listed one by one)");
        credentials = false;
      }
      return new ProxyConfig.Cors(origins, methods, headers, expose, maxAge, credentials);
    }

    private ProxyConfig.Limits limits(JsonNode node) {
      ProxyConfig.Rate global = node.has("global") ? rate("/limits/global", node.get("global"))
          : null;
      Map<String, ProxyConfig.Rate> plans = new java.util.LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> it = node.path("plans").properties().iterator();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        ProxyConfig.Rate rate = rate("/limits/plans/" + ConfigDocument.escape(e.getKey()),
            e.getValue());
        if (rate != null) {
          plans.put(e.getKey(), rate);
        }
      }
      long header = node.has("max_header_size")
          ? size("/limits/max_header_size", node.get("max_header_size"), 1 << 20) : 0;
      return new ProxyConfig.Limits(global, plans, header);
    }

    /** Checks that every plan an API key names exists. */
    private void plans(AuthnConfig authn, ProxyConfig.Limits limits) {
      if (authn.apiKeys() == null) {
        return;
      }
      List<AuthnConfig.ApiKey> keys = authn.apiKeys().keys();
      boolean inline = doc.has("/authn/api_keys/keys");
      for (int i = 0; i < keys.size(); i++) {
        String plan = keys.get(i).plan();
        if (plan != null && !limits.plans().containsKey(plan)) {
          String at = inline ? "/authn/api_keys/keys/" + i + "/plan" : "/authn/api_keys";
          add(at, doc.entry(at).path() + ": key '" + keys.get(i).name() + "' names plan '" + plan
              + "' that is not defined (expected one of: "
              + String.join(", ", limits.plans().keySet()) + ")");
        }
      }
    }

    private void adminToken(ProxyConfig.Builder b, JsonNode root) {
      boolean file = root.has("admin_token_file");
      boolean env = root.has("admin_token_env");
      if (file && env) {
        add("/admin_token_env", doc.entry("/admin_token_env").path() + ": set with"
            + " admin_token_file (expected: one of them)");
        return;
      }
      AuthnConfig.SecretRef ref = null;
      if (file) {
        Path f = file("/admin_token_file", root.get("admin_token_file").asText(),
            "a file holding the admin token");
        ref = f == null ? null : new AuthnConfig.SecretRef(f, null);
      } else if (env) {
        ref = new AuthnConfig.SecretRef(null, root.get("admin_token_env").asText());
      }
      if (ref != null) {
        String at = file ? "/admin_token_file" : "/admin_token_env";
        AuthnConfig.SecretRef r = ref;
        if (checkContent(at, () -> {
          byte[] bytes = AuthnFiles.secret(r);
          int n = bytes.length;
          java.util.Arrays.fill(bytes, (byte) 0);
          if (n < 16) {
            throw new IllegalArgumentException(n + " bytes (expected: a token of at least 16"
                + " bytes)");
          }
        })) {
          b.adminToken(ref);
        }
        return;
      }
      if (!file && root.has("admin")) {
        String host = root.get("admin").asText();
        host = host.substring(0, host.lastIndexOf(':'));
        if (host.startsWith("[")) {
          host = host.substring(1, host.length() - 1);
        }
        if (!ProxyConfig.isLoopback(host)) {
          add("/admin", doc.entry("/admin").path() + ": '" + root.get("admin").asText()
              + "' is not a loopback address and no admin token is set (expected: a loopback"
              + " address such as 127.0.0.1:9901, or admin_token_file or admin_token_env)");
        }
      }
    }

    private List<ProxyConfig.WasmFilter> wasmFilters(String pointer, JsonNode list) {
      List<ProxyConfig.WasmFilter> out = new ArrayList<>();
      Set<String> names = new LinkedHashSet<>();
      for (int i = 0; i < list.size(); i++) {
        String at = pointer + "/" + i;
        JsonNode f = list.get(i);
        String name = f.get("name").asText();
        if (!names.add(name)) {
          add(at + "/name", doc.entry(at + "/name").path() + ": '" + name
              + "' used twice (expected: unique names within a route, or among wasm_services)");
        }
        Path file = file(at + "/path", f.get("path").asText(), "a .wasm module file");
        String sha256 = lower(text(f, "sha256"));
        if (file != null && sha256 != null && external.reads()) {
          String actual = sha256(file);
          if (!sha256.equals(actual)) {
            add(at + "/sha256", doc.entry(at + "/sha256").path() + ": '" + sha256
                + "' does not match " + f.get("path").asText() + " (expected: the file's SHA-256, "
                + actual + ")");
          }
        }
        if (file == null) {
          continue;
        }
        ConfigDocument.Entry e = doc.entry(at);
        out.add(new ProxyConfig.WasmFilter(name, file, sha256, raw(f.get("config")),
            raw(f.get("vm_config")), f.path("root_id").asText(""), f.path("vm_id").asText(""),
            Duration.ofMillis(f.path("timeout_ms").asLong(100)),
            Duration.ofMillis(f.path("start_timeout_ms").asLong(10_000)),
            f.path("max_memory_pages").asInt(256), f.path("fail_open").asBoolean(false),
            f.has("max_buffered_body")
                ? size(at + "/max_buffered_body", f.get("max_buffered_body"), 1L << 30)
                : 4L << 20,
            f.has("restart_backoff") ? duration(f.get("restart_backoff").asText())
                : Duration.ofMillis(100),
            f.has("max_restart_backoff") ? duration(f.get("max_restart_backoff").asText())
                : Duration.ofSeconds(30),
            doc.sourceName() + ":" + e.line() + ":" + e.column()));
      }
      return out;
    }

    private static String raw(@Nullable JsonNode node) {
      if (node == null) {
        return "";
      }
      return node.isTextual() ? node.asText() : node.toString();
    }

    private static String sha256(Path file) {
      try {
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
            .digest(Files.readAllBytes(file));
        return java.util.HexFormat.of().formatHex(digest);
      } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
        return "unreadable";
      }
    }

    private ProxyConfig.@Nullable Authz authz(String pointer, JsonNode node) {
      List<ProxyConfig.AuthzRule> rules = new ArrayList<>();
      boolean ok = true;
      JsonNode list = node.get("rules");
      for (int i = 0; i < list.size(); i++) {
        String at = pointer + "/rules/" + i;
        JsonNode r = list.get(i);
        JsonNode from = r.path("from");
        JsonNode to = r.path("to");
        Set<String> principals = new LinkedHashSet<>();
        from.path("principals").forEach(n -> principals.add(n.asText()));
        Map<String, Set<String>> claims = new java.util.LinkedHashMap<>();
        from.path("claims").properties().forEach(e -> {
          Set<String> values = new LinkedHashSet<>();
          e.getValue().forEach(v -> values.add(v.asText()));
          claims.put(e.getKey(), values);
        });
        List<String> ips = new ArrayList<>();
        JsonNode cidrs = from.path("source_ips");
        for (int j = 0; j < cidrs.size(); j++) {
          String cidr = cidrs.get(j).asText();
          try {
            CompiledAuthz.cidr(cidr);
            ips.add(cidr);
          } catch (IllegalArgumentException e) {
            String p = at + "/from/source_ips/" + j;
            add(p, doc.entry(p).path() + ": '" + cidr
                + "' (expected: an IPv4 or IPv6 CIDR such as 10.0.0.0/8)");
            ok = false;
          }
        }
        Set<String> methods = new LinkedHashSet<>();
        to.path("methods").forEach(n -> methods.add(n.asText()));
        List<String> paths = new ArrayList<>();
        to.path("paths").forEach(n -> paths.add(n.asText()));
        String when = text(r, "when");
        if (when != null) {
          List<AuthzCel.Problem> found = AuthzCel.check(when);
          if (!found.isEmpty()) {
            String p = at + "/when";
            ConfigDocument.Entry e = doc.entry(p);
            AuthzCel.Problem first = found.get(0);
            int column = e.column() + (first.line() == 1
                ? doc.columnOffset(e.node(), first.column()) : 0);
            problems.add(new ConfigProblem(e.line(), column, e.path() + ": " + first.message()
                + " at " + first.line() + ":" + (first.column() + 1) + " of the expression"
                + " (expected: a CEL expression of type bool over request and principal)"));
            ok = false;
          }
        }
        rules.add(new ProxyConfig.AuthzRule(r.get("action").asText().equals("allow"),
            principals, claims, ips, methods, paths, when));
      }
      return ok ? new ProxyConfig.Authz(rules) : null;
    }

    /** Returns whether {@code cluster} is defined, adding a problem when it is not. */
    private boolean known(String pointer, String path, String cluster, JsonNode clusters) {
      if (clusters.has(cluster)) {
        return true;
      }
      List<String> known = new ArrayList<>();
      clusters.fieldNames().forEachRemaining(known::add);
      add(pointer, path + ": '" + cluster + "' is not defined (expected one of: "
          + String.join(", ", known) + ")");
      return false;
    }

    private ProxyConfig.@Nullable Split split(String pointer, int index, JsonNode s,
        JsonNode clusters) {
      String path = "routes[" + index + "].split";
      List<ProxyConfig.Weighted> weighted = new ArrayList<>();
      Set<String> seen = new LinkedHashSet<>();
      boolean ok = true;
      long total = 0;
      boolean canary = false;
      JsonNode list = s.get("clusters");
      for (int i = 0; i < list.size(); i++) {
        JsonNode c = list.get(i);
        String name = c.get("cluster").asText();
        String at = pointer + "/clusters/" + i + "/cluster";
        if (!known(at, path + ".clusters[" + i + "].cluster", name, clusters)) {
          ok = false;
        } else if (!seen.add(name)) {
          add(at, path + ".clusters[" + i + "].cluster: '" + name + "' listed twice (expected:"
              + " each cluster once)");
          ok = false;
        }
        int weight = c.get("weight").asInt();
        total += weight;
        canary |= c.path("canary").asBoolean(false);
        weighted.add(new ProxyConfig.Weighted(name, weight, c.path("canary").asBoolean(false)));
      }
      if (ok && total <= 0) {
        add(pointer + "/clusters", path + ".clusters: weights sum to 0 (expected: a positive"
            + " total)");
        ok = false;
      }
      JsonNode pin = s.path("pin");
      if (s.has("pin") && pin.has("header") == pin.has("cookie")) {
        add(pointer + "/pin", path + ".pin: " + (pin.has("header") ? "header and cookie"
            : "neither header nor cookie") + " (expected: exactly one of them)");
        ok = false;
      }
      ProxyConfig.Halt halt = null;
      if (s.has("halt")) {
        JsonNode h = s.get("halt");
        if (!canary) {
          add(pointer + "/halt", path + ".halt: no cluster has canary: true (expected: a canary"
              + " for the halt to watch)");
          ok = false;
        }
        Duration window = h.has("window") ? bounded(pointer + "/halt/window",
            h.get("window").asText(), Duration.ofHours(1), Duration.ofMinutes(1))
            : Duration.ofMinutes(1);
        if (window.compareTo(Duration.ofSeconds(1)) < 0) {
          add(pointer + "/halt/window", path + ".halt.window: " + h.get("window").asText()
              + " (expected: at least 1s, at most 1h)");
          ok = false;
        }
        halt = new ProxyConfig.Halt(h.get("error_rate").asDouble(),
            h.path("minimum_requests").asInt(20), window);
      }
      return ok ? new ProxyConfig.Split(weighted, text(pin, "header") == null ? null
          : text(pin, "header").toLowerCase(Locale.ROOT), text(pin, "cookie"), halt) : null;
    }

    private AuthnConfig.@Nullable Requirement requirement(String pointer, JsonNode node,
        AuthnConfig authn) {
      boolean all = node.has("require");
      String key = all ? "require" : "any_of";
      List<AuthnConfig.Method> methods = new ArrayList<>();
      JsonNode list = node.get(key);
      boolean ok = true;
      for (int i = 0; i < list.size(); i++) {
        AuthnConfig.Method m = AuthnConfig.Method.of(list.get(i).asText());
        if (!authn.provides(m) && !doc.has("/authn/" + m.id())) {
          String at = pointer + "/" + key + "/" + i;
          add(at, doc.entry(at).path() + ": " + m.id() + " has no provider (expected: authn."
              + m.id() + " configured, or another method)");
          ok = false;
        }
        methods.add(m);
      }
      boolean sensitive = node.path("sensitive").asBoolean(false);
      if (sensitive && methods.equals(List.of(AuthnConfig.Method.API_KEY))) {
        add(pointer + "/sensitive", doc.entry(pointer + "/sensitive").path()
            + ": true with api_key alone (expected: another method, as a sensitive route refuses"
            + " an API key alone)");
        ok = false;
      }
      return ok ? new AuthnConfig.Requirement(methods, all, sensitive) : null;
    }

    private AuthnConfig authn(JsonNode node) {
      AuthnConfig.Jwt jwt = node.has("jwt") ? jwt("/authn/jwt", node.get("jwt")) : null;
      AuthnConfig.Mtls mtls = null;
      if (node.has("mtls")) {
        String at = "/authn/mtls/trust_bundle";
        Path bundle = file(at, node.get("mtls").get("trust_bundle").asText(), "a PEM trust bundle");
        if (bundle != null && checkContent(at, () -> AuthnFiles.trustBundle(bundle))) {
          mtls = new AuthnConfig.Mtls(bundle);
        }
      }
      AuthnConfig.ApiKeys apiKeys = node.has("api_keys")
          ? apiKeys("/authn/api_keys", node.get("api_keys")) : null;
      JsonNode a = node.path("abuse");
      AuthnConfig.Abuse d = AuthnConfig.Abuse.DEFAULT;
      Duration window = a.has("window") ? bounded("/authn/abuse/window", a.get("window").asText(),
          Duration.ofHours(1), d.window()) : d.window();
      Duration blockFor = a.has("block_for") ? bounded("/authn/abuse/block_for",
          a.get("block_for").asText(), Duration.ofHours(24), d.blockFor()) : d.blockFor();
      return new AuthnConfig(jwt, mtls, apiKeys,
          new AuthnConfig.Abuse(a.path("max_failures").asInt(d.maxFailures()), window, blockFor));
    }

    /** Returns a duration between 1 ms and {@code max}, or {@code otherwise} with a problem. */
    private Duration bounded(String pointer, String text, Duration max, Duration otherwise) {
      Duration v = duration(text);
      if (v.isZero() || v.compareTo(max) > 0) {
        add(pointer, doc.entry(pointer).path() + ": " + text + " (expected: more than 0, at most "
            + max.toString().substring(2).toLowerCase(Locale.ROOT) + ")");
        return otherwise;
      }
      return v;
    }

    private AuthnConfig.@Nullable Jwt jwt(String pointer, JsonNode j) {
      List<String> sources = new ArrayList<>();
      for (String k : List.of("jwks_url", "jwks_file", "secret_file", "secret_env")) {
        if (j.has(k)) {
          sources.add(k);
        }
      }
      if (sources.size() != 1) {
        add(pointer, doc.entry(pointer).path() + ": " + (sources.isEmpty() ? "no key source"
            : String.join(" and ", sources)) + " (expected: exactly one of jwks_url, jwks_file,"
            + " secret_file, secret_env)");
        return null;
      }
      String source = sources.get(0);
      boolean hmac = source.startsWith("secret");
      Set<String> algorithms = new LinkedHashSet<>();
      JsonNode algs = j.path("algorithms");
      for (int i = 0; i < algs.size(); i++) {
        String alg = algs.get(i).asText();
        if (alg.startsWith("HS") != hmac) {
          String at = pointer + "/algorithms/" + i;
          add(at, doc.entry(at).path() + ": " + alg + (hmac
              ? " with an HMAC secret (expected: HS256, HS384 or HS512)"
              : " with a JWK set (expected: an asymmetric algorithm; HMAC needs secret_file or"
              + " secret_env, so that a public key can never serve as an HMAC secret)"));
          return null;
        }
        algorithms.add(alg);
      }
      if (algorithms.isEmpty()) {
        algorithms.addAll(hmac ? List.of("HS256") : List.of("RS256", "ES256"));
      }
      java.net.URI url = null;
      Path jwksFile = null;
      AuthnConfig.SecretRef secret = null;
      String at = pointer + "/" + source;
      String value = j.get(source).asText();
      switch (source) {
        case "jwks_url" -> {
          try {
            url = new java.net.URI(value);
            url.toURL();
          } catch (java.net.URISyntaxException | java.net.MalformedURLException
              | IllegalArgumentException e) {
            add(at, doc.entry(at).path() + ": '" + value + "' (expected: an http or https URL)");
            return null;
          }
        }
        case "jwks_file" -> {
          jwksFile = file(at, value, "a JWK set file");
          Path f = jwksFile;
          if (f == null || !checkContent(at, () -> AuthnFiles.jwks(f))) {
            return null;
          }
        }
        default -> {
          if (source.equals("secret_file")) {
            Path f = file(at, value, "a secret file");
            if (f == null) {
              return null;
            }
            secret = new AuthnConfig.SecretRef(f, null);
          } else {
            secret = new AuthnConfig.SecretRef(null, value);
          }
          int need = algorithms.contains("HS512") ? 64 : algorithms.contains("HS384") ? 48 : 32;
          AuthnConfig.SecretRef ref = secret;
          if (!checkContent(at, () -> {
            byte[] bytes = AuthnFiles.secret(ref);
            java.util.Arrays.fill(bytes, (byte) 0);
            if (bytes.length < need) {
              throw new IllegalArgumentException(bytes.length + " bytes (expected: at least " + need
                  + " bytes for " + String.join(", ", algorithms) + ")");
            }
          })) {
            return null;
          }
        }
      }
      Duration skew = j.has("clock_skew") ? bounded(pointer + "/clock_skew",
          j.get("clock_skew").asText(), Duration.ofMinutes(5), Duration.ofSeconds(30))
          : Duration.ofSeconds(30);
      Duration lifetime = j.has("max_lifetime") ? bounded(pointer + "/max_lifetime",
          j.get("max_lifetime").asText(), Duration.ofDays(3650), Duration.ofHours(24))
          : Duration.ofHours(24);
      Duration ttl = j.has("jwks_cache_ttl") ? bounded(pointer + "/jwks_cache_ttl",
          j.get("jwks_cache_ttl").asText(), Duration.ofDays(1), Duration.ofMinutes(5))
          : Duration.ofMinutes(5);
      Duration minRefresh = j.has("jwks_refresh_min_interval")
          ? duration(j.get("jwks_refresh_min_interval").asText()) : Duration.ofSeconds(30);
      if (minRefresh.compareTo(ttl) >= 0) {
        String p = pointer + (j.has("jwks_refresh_min_interval") ? "/jwks_refresh_min_interval"
            : "/jwks_cache_ttl");
        add(p, doc.entry(p).path() + ": jwks_refresh_min_interval " + minRefresh.toMillis()
            + "ms (expected: less than jwks_cache_ttl, " + ttl.toMillis() + "ms)");
        return null;
      }
      Set<String> audiences = new LinkedHashSet<>();
      j.get("audiences").forEach(n -> audiences.add(n.asText()));
      return new AuthnConfig.Jwt(j.get("issuer").asText(), audiences, url, jwksFile, secret,
          algorithms, skew, lifetime, j.path("header").asText("Authorization"),
          j.path("claim").asText("sub"), ttl, minRefresh);
    }

    private AuthnConfig.@Nullable ApiKeys apiKeys(String pointer, JsonNode node) {
      String header = node.path("header").asText("X-Api-Key");
      List<AuthnConfig.ApiKey> keys = new ArrayList<>();
      Path keysFile = null;
      int sources = 0;
      if (node.has("keys")) {
        sources++;
        keys.addAll(keyList(doc, pointer + "/keys", node.get("keys"), problems));
      }
      if (node.has("keys_file")) {
        sources++;
        keysFile = file(pointer + "/keys_file", node.get("keys_file").asText(), "a YAML file"
            + " with a list of API keys");
        if (keysFile != null && external.reads()) {
          String text;
          try {
            text = decode(Files.readAllBytes(keysFile));
          } catch (IOException e) {
            add(pointer + "/keys_file", doc.entry(pointer + "/keys_file").path()
                + ": cannot read (expected: a readable UTF-8 file)");
            return null;
          }
          keys.addAll(externalKeys(text, keysFile.toString()));
        }
      }
      if (node.has("keys_env")) {
        sources++;
        String name = node.get("keys_env").asText();
        // Deferred, the keys (with their routes and plans) are checked by the proxy that has them.
        String text = external.reads() ? System.getenv(name) : null;
        if (external.reads() && (text == null || text.isBlank())) {
          add(pointer + "/keys_env", doc.entry(pointer + "/keys_env").path()
              + ": environment variable " + name + " is not set (expected: a YAML list of keys)");
          return null;
        }
        if (text != null) {
          keys.addAll(externalKeys(text, "$" + name));
        }
      }
      if (sources != 1) {
        add(pointer, doc.entry(pointer).path() + ": " + sources + " key sources (expected: exactly"
            + " one of keys, keys_file, keys_env)");
        return null;
      }
      Set<String> names = new java.util.HashSet<>();
      Set<String> hashes = new java.util.HashSet<>();
      for (AuthnConfig.ApiKey k : keys) {
        if (!names.add(k.name()) || !hashes.add(k.sha256())) {
          add(pointer, doc.entry(pointer).path() + ": key '" + k.name() + "' listed twice, by"
              + " name or hash (expected: unique names and keys)");
        }
      }
      return new AuthnConfig.ApiKeys(header, keys, keysFile);
    }

    /** Reads a key list kept outside this file; its problems are reported against it. */
    private static List<AuthnConfig.ApiKey> externalKeys(String text, String sourceName) {
      ConfigDocument keysDoc = ConfigDocument.parse(text, sourceName, "keys", MAX_CHARS + 1);
      if (keysDoc == null) {
        throw new ConfigException(sourceName, List.of(new ConfigProblem(1, 1,
            "empty (expected: a list of API keys with name, sha256 and routes)")));
      }
      List<ConfigProblem> found = keysSchema().validate(keysDoc);
      if (found.isEmpty()) {
        List<AuthnConfig.ApiKey> out = keyList(keysDoc, "", keysDoc.root(), found);
        if (found.isEmpty()) {
          return out;
        }
      }
      throw new ConfigException(sourceName, found);
    }

    private static List<AuthnConfig.ApiKey> keyList(ConfigDocument d, String pointer,
        JsonNode list, List<ConfigProblem> problems) {
      List<AuthnConfig.ApiKey> out = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        JsonNode k = list.get(i);
        Set<String> routes = new LinkedHashSet<>();
        k.get("routes").forEach(r -> routes.add(r.asText()));
        out.add(new AuthnConfig.ApiKey(k.get("name").asText(),
            k.get("sha256").asText().toLowerCase(Locale.ROOT), routes,
            k.has("plan") ? k.get("plan").asText() : null));
      }
      return out;
    }

    /**
     * Runs a check of the content of a file or environment variable the configuration names, as
     * {@link #check}; deferred (true) when external resources are not read.
     */
    private boolean checkContent(String pointer, Runnable check) {
      return !external.reads() || check(pointer, check);
    }

    /** Runs a check; on failure adds its message at {@code pointer} and returns false. */
    private boolean check(String pointer, Runnable check) {
      try {
        check.run();
        return true;
      } catch (IllegalArgumentException e) {
        add(pointer, doc.entry(pointer).path() + ": " + e.getMessage());
        return false;
      }
    }

    private void policy(ProxyConfig.Builder b, @Nullable JsonNode policy) {
      if (policy == null) {
        b.policy(Policy.ofDefault(), null);
        return;
      }
      if (policy.isTextual()) {
        Path file = file("/policy", policy.asText(), "a policy file");
        if (file == null) {
          return;
        }
        if (!external.reads()) {
          // Deferred: the configuration built is only checked, never run.
          b.policy(Policy.ofDefault(), file);
          return;
        }
        try {
          b.policy(Policy.parse(file), file);
        } catch (PolicyException e) {
          throw policyProblem(e);
        }
        return;
      }
      ConfigDocument.Entry entry = doc.entry("/policy");
      try {
        b.policy(Policy.parse(slice(entry.node()), doc.sourceName()), null);
      } catch (PolicyException e) {
        throw policyProblem(e);
      }
    }

    /**
     * Returns the text of an inline policy with everything outside it blanked, so that the
     * policy parser reports the lines and columns of this file.
     */
    private String slice(Node node) {
      String text = doc.text();
      Mark start = node.getStartMark().orElseThrow();
      Mark end = node.getEndMark().orElseThrow();
      int from = text.offsetByCodePoints(0, start.getIndex());
      int to = text.offsetByCodePoints(0, Math.min(end.getIndex(),
          text.codePointCount(0, text.length())));
      StringBuilder sb = new StringBuilder(to);
      for (int i = 0; i < from; i++) {
        char c = text.charAt(i);
        sb.append(c == '\n' || c == '\r' ? c : ' ');
      }
      sb.append(text, from, to);
      return sb.toString();
    }

    private ConfigException policyProblem(PolicyException e) {
      String message = e.getMessage() == null ? "" : e.getMessage();
      String prefix = e.line() > 0 ? e.source() + ":" + e.line() + ":" + e.column() + ": "
          : e.source() + ": ";
      String text = message.startsWith(prefix) ? message.substring(prefix.length()) : message;
      return new ConfigException(e.source(),
          List.of(new ConfigProblem(e.line(), e.column(), text)));
    }

    /**
     * Returns a file the configuration names, relative to this file; when external resources are
     * read it must be a readable file, otherwise only its path is checked.
     */
    private @Nullable Path file(String pointer, String value, String expected) {
      Path p = resolve(pointer, value, expected + ", relative to this file");
      if (p == null || !external.reads()) {
        return p;
      }
      if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
        add(pointer, doc.entry(pointer).path() + ": '" + value + "' is not a readable file"
            + " (expected: " + expected + ", relative to this file)");
        return null;
      }
      return p;
    }

    /** Returns a path the configuration names resolved against this file's folder, never opened. */
    private @Nullable Path resolve(String pointer, String value, String expected) {
      Path p;
      try {
        p = baseDir.resolve(value).normalize();
      } catch (InvalidPathException e) {
        add(pointer, doc.entry(pointer).path() + ": not a valid path (" + e.getReason()
            + "; expected: " + expected + ")");
        return null;
      }
      if (!external.reads() && (value.isBlank() || value.endsWith("/") || p.equals(baseDir))) {
        add(pointer, doc.entry(pointer).path() + ": '" + value + "' names a folder (expected: "
            + expected + ")");
        return null;
      }
      return p;
    }

    private @Nullable Address address(String pointer, String value) {
      int colon = value.lastIndexOf(':');
      String host = value.substring(0, colon);
      if (host.startsWith("[")) {
        host = host.substring(1, host.length() - 1);
      }
      int port = Integer.parseInt(value.substring(colon + 1));
      if (port > 65535) {
        add(pointer, doc.entry(pointer).path() + ": port " + port + " (expected: 0-65535)");
        return null;
      }
      return new Address(host, port);
    }

    private static @Nullable String text(JsonNode node, String field) {
      JsonNode v = node.get(field);
      return v == null ? null : v.asText();
    }

    private static @Nullable String lower(@Nullable String s) {
      return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    private static String digest(String text) {
      try {
        byte[] d = java.security.MessageDigest.getInstance("SHA-256")
            .digest(text.getBytes(StandardCharsets.UTF_8));
        return java.util.HexFormat.of().formatHex(d, 0, 8);
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    private void add(String pointer, String text) {
      ConfigDocument.Entry e = doc.entry(pointer);
      problems.add(new ConfigProblem(e.line(), e.column(), text));
    }
  }
}
