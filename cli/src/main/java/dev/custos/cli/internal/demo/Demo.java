package dev.custos.cli.internal.demo;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.metric.NoopMeterRegistry;
import com.linecorp.armeria.server.Server;
import dev.custos.proxy.CustosProxy;
import io.micrometer.core.instrument.Gauge;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.BossGroups;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A running demo: the {@link DemoUpstream} and the Custos proxy in front of it under the demo
 * policy ({@code demo-policy.yaml} beside this class), both on loopback only. {@link #run()} sends
 * the scripted requests through the proxy and returns what happened to each.
 *
 * <p>Not thread-safe: one thread starts it, runs it and closes it.
 */
public final class Demo implements AutoCloseable {
  /** The loopback host every listener binds to. */
  public static final String HOST = "127.0.0.1";
  /** Where the demo policy lives on the class path (and in the source tree). */
  public static final String POLICY_RESOURCE = "dev/custos/cli/internal/demo/demo-policy.yaml";

  /** The ports to listen on; 0 picks a free one. */
  public record Ports(int proxy, int upstream, int admin, int command) {
    /** Checks the ports. */
    public Ports {
      check("proxy", proxy);
      check("upstream", upstream);
      check("admin", admin);
      check("command", command);
    }

    /** Ports with the command plane's picked freely. */
    public Ports(int proxy, int upstream, int admin) {
      this(proxy, upstream, admin, 0);
    }

    private static void check(String name, int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(name + " port: " + port + " (expected: 0-65535)");
      }
    }
  }

  /** The route that requires an API key and has a rate limit. */
  public static final String ORDERS_PREFIX = "/api/orders";
  /** The one API key {@code authn.api_keys} accepts (the configuration holds its SHA-256 only). */
  public static final String API_KEY = "demo-alice";
  /** The name {@code authn.api_keys} gives {@link #API_KEY}. */
  public static final String API_KEY_NAME = "alice";
  /** The rate limit on the orders route: requests per {@link #RATE_PER} for one caller. */
  public static final int RATE_REQUESTS = 3;
  /** The period of the rate limit on the orders route. */
  public static final String RATE_PER = "10s";
  /** The route of the fleet's profile reads (verified API keys only). */
  public static final String PROFILES_PREFIX = "/internal/profiles";
  /** The route of the fleet's payments (verified API keys only). */
  public static final String PAYMENTS_PREFIX = "/internal/payments";
  /** The demo cluster, guarded by a circuit breaker. */
  public static final String CLUSTER = "demo-upstream";
  /** Failures in a row that open the demo cluster's breaker. */
  public static final int BREAKER_FAILURES = 5;

  /**
   * One scripted request: what it shows, and what is sent ({@code times} times in a row; the
   * outcome is the last one's, with every status). A {@code grpc} step is a unary gRPC call over
   * HTTP/2 to the method {@code path}, asking for the user whose id is {@code jsonBody}.
   */
  public record Step(String title, String method, String path, @Nullable String apiKey,
      @Nullable String jsonBody, int times, boolean grpc) {
    /** Checks {@code times}. */
    public Step {
      if (times < 1) {
        throw new IllegalArgumentException("times: " + times + " (expected: >= 1)");
      }
    }

    /** An HTTP/1.1 step sent {@code times} times. */
    public Step(String title, String method, String path, @Nullable String apiKey,
        @Nullable String jsonBody, int times) {
      this(title, method, path, apiKey, jsonBody, times, false);
    }

    /** An HTTP/1.1 step sent once. */
    public Step(String title, String method, String path, @Nullable String apiKey,
        @Nullable String jsonBody) {
      this(title, method, path, apiKey, jsonBody, 1, false);
    }

    /** A unary gRPC call of {@code method} (a path such as {@code /pkg.Service/Method}) for one user. */
    public static Step grpc(String title, String method, @Nullable String apiKey, int userId) {
      return new Step(title, "GRPC", method, apiKey, Integer.toString(userId), 1, true);
    }
  }

  /**
   * What happened to one request.
   *
   * @param status the status the client received
   * @param body the body the client received (after the proxy redacted it)
   * @param events the findings events of the request and its response, in order
   * @param statuses the status of every time the step was sent, in order
   * @param challenge the {@code WWW-Authenticate} header of the (last) response, if any
   * @param retryAfter the {@code Retry-After} header of the (last) response, if any
   */
  public record Outcome(Step step, int status, String body, List<FindingsEvent> events,
      List<Integer> statuses, @Nullable String challenge, @Nullable String retryAfter) {
    /** Copies the lists. */
    public Outcome {
      events = List.copyOf(events);
      statuses = List.copyOf(statuses);
    }

    /** An outcome of a step sent once, without authentication or rate-limit headers. */
    public Outcome(Step step, int status, String body, List<FindingsEvent> events) {
      this(step, status, body, events, List.of(status), null, null);
    }
  }

  /** The requests {@link #run()} sends, in order; they build on each other (the card budget). */
  public static final List<Step> STEPS = List.of(
      new Step("list users", "GET", "/api/users", "demo-alice", null),
      new Step("one user", "GET", "/api/users/2", "demo-alice", null),
      new Step("create a user", "POST", "/api/users", "demo-alice",
          "{\"name\":\"Hedy Lamarr\",\"email\":\"hedy.lamarr@example.com\"}"),
      new Step("create a user with an SSN", "POST", "/api/users", "demo-alice",
          "{\"name\":\"Claude Shannon\",\"email\":\"claude@example.com\",\"ssn\":\"654-23-8817\"}"),
      new Step("bulk export", "GET", "/api/export", "demo-alice", null),
      new Step("one user more: alice's card budget", "GET", "/api/users/3", "demo-alice", null),
      new Step("the same user for another API key", "GET", "/api/users/3", "demo-bob", null),
      new Step("orders without an API key", "GET", ORDERS_PREFIX, null, null),
      new Step("orders with alice's API key", "GET", ORDERS_PREFIX, API_KEY, null),
      new Step("a burst of orders for alice", "GET", ORDERS_PREFIX, API_KEY, null,
          RATE_REQUESTS + 2),
      new Step("a streamed chat completion: a card split across 20 events", "POST", "/api/chat",
          "demo-carol", "{\"model\":\"demo\",\"stream\":true,"
          + "\"messages\":[{\"role\":\"user\",\"content\":\"which card is on file?\"}]}"),
      Step.grpc("a gRPC call: the card in a protobuf field", DemoUpstream.GRPC_GET_USER,
          "demo-dave", 1));

  /**
   * The fleet's requests {@link #runFleet()} sends after the {@link #STEPS}: callers of three
   * services (verified API keys) reading profiles and charging payments through two more routes
   * and clusters, so that the command plane shows services, clusters and, for the card that
   * storefront reads and then sends to payments, the value's path across two routes.
   */
  public static final List<Step> FLEET = List.of(
      new Step("storefront reads a profile", "GET", PROFILES_PREFIX + "/1", "demo-storefront",
          null),
      new Step("analytics reads two profiles", "GET", PROFILES_PREFIX + "/2", "demo-analytics",
          null),
      new Step("analytics reads two profiles", "GET", PROFILES_PREFIX + "/3", "demo-analytics",
          null),
      new Step("storefront charges the card it read", "POST", PAYMENTS_PREFIX, "demo-storefront",
          "{\"user\":1,\"card\":\"" + DemoUpstream.card(1) + "\",\"amount\":500}"),
      new Step("billing charges another card", "POST", PAYMENTS_PREFIX, "demo-billing",
          "{\"user\":2,\"card\":\"" + DemoUpstream.card(2) + "\",\"amount\":120}"),
      new Step("billing sends an SSN to payments", "POST", PAYMENTS_PREFIX, "demo-billing",
          "{\"user\":3,\"ssn\":\"621-77-3094\",\"amount\":75}"));

  private final ConcurrentLinkedQueue<FindingsEvent> events;
  private final AtomicLong emitted;
  private final DemoPlane plane;
  private final AtomicBoolean collecting;
  private final Server upstream;
  private final CustosProxy proxy;
  private final ProxyConfig config;
  /** The connections of {@link #sendGrpc}, closed with the demo. */
  private final ClientFactory grpcClients = ClientFactory.builder().build();
  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  private Demo(Server upstream, CustosProxy proxy, ProxyConfig config,
      ConcurrentLinkedQueue<FindingsEvent> events, AtomicBoolean collecting, AtomicLong emitted,
      DemoPlane plane) {
    this.upstream = upstream;
    this.emitted = emitted;
    this.plane = plane;
    this.events = events;
    this.collecting = collecting;
    this.proxy = proxy;
    this.config = config;
  }

  /**
   * Starts the upstream and the command plane (SQLite in a temporary folder), compiles the demo
   * policy and starts the proxy, which sends its findings events to the plane; returns once all
   * accept connections. Compiling the built-in detectors takes a few seconds.
   *
   * @throws IllegalStateException if a port is in use (the message names it) or a server fails
   */
  public static Demo start(Ports ports) {
    requireNonNull(ports, "ports");
    // Checked first so that a taken port is reported at once, not after compiling the policy.
    String taken = busyPorts(ports);
    if (!taken.isEmpty()) {
      throw new IllegalStateException("cannot listen on" + taken
          + ": Address already in use (expected: free ports; 0 picks one)");
    }
    Server upstream = Server.builder()
        .bossGroupFactory(BossGroups::newBossGroup)
        .http(new InetSocketAddress(HOST, ports.upstream()))
        .serviceUnder("/", new DemoUpstream())
        .meterRegistry(NoopMeterRegistry.get())
        .gracefulShutdownTimeout(Duration.ZERO, Duration.ofSeconds(1))
        .build();
    try {
      upstream.start().join();
    } catch (RuntimeException e) {
      throw startFailure(e, ports);
    }
    DemoPlane plane;
    try {
      plane = DemoPlane.start(ports.command());
    } catch (RuntimeException e) {
      upstream.stop().join();
      throw startFailure(e, ports);
    }
    try {
      int upstreamPort = upstream.activeLocalPort(SessionProtocol.HTTP);
      ProxyConfig config = ProxyConfig.parse(configYaml(ports, upstreamPort, plane),
          "custos demo", Path.of("."));
      // The sink runs on an event loop: it only queues, and only while run() sends its requests
      // (one exchange at a time), so the queue stays small however long the demo then serves.
      ConcurrentLinkedQueue<FindingsEvent> events = new ConcurrentLinkedQueue<>();
      AtomicBoolean collecting = new AtomicBoolean();
      AtomicLong emitted = new AtomicLong();
      CustosProxy proxy = CustosProxy.builder(config)
          .watch(false)
          .findingsSink(event -> {
            emitted.incrementAndGet();
            if (collecting.get()) {
              events.add(event);
            }
          })
          .build();
      try {
        proxy.start();
      } catch (RuntimeException e) {
        throw startFailure(e, ports);
      }
      return new Demo(upstream, proxy, config, events, collecting, emitted, plane);
    } catch (RuntimeException e) {
      try {
        plane.close();
      } finally {
        upstream.stop().join();
      }
      throw e;
    }
  }

  /** Returns the demo policy's YAML text. */
  public static String policyYaml() {
    try (InputStream in = Demo.class.getClassLoader().getResourceAsStream(POLICY_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(POLICY_RESOURCE + ": missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String configYaml(Ports ports, int upstreamPort, DemoPlane plane) {
    StringBuilder y = new StringBuilder()
        .append("listen: ").append(HOST).append(':').append(ports.proxy()).append('\n')
        .append("admin: ").append(HOST).append(':').append(ports.admin()).append('\n')
        // Only the SHA-256 of the demo key is configured; the proxy hashes what it is sent.
        .append("authn:\n")
        .append("  api_keys:\n")
        .append("    header: X-Api-Key\n")
        .append("    keys:\n")
        .append("      - { name: ").append(API_KEY_NAME).append(", sha256: ")
        .append(sha256Hex(API_KEY)).append(", routes: [orders] }\n")
        .append("      - { name: storefront, sha256: ").append(sha256Hex("demo-storefront"))
        .append(", routes: [profiles, payments] }\n")
        .append("      - { name: billing, sha256: ").append(sha256Hex("demo-billing"))
        .append(", routes: [payments] }\n")
        .append("      - { name: analytics, sha256: ").append(sha256Hex("demo-analytics"))
        .append(", routes: [profiles] }\n")
        .append("routes:\n")
        .append("  - name: orders\n")
        .append("    match: { prefix: ").append(ORDERS_PREFIX).append(" }\n")
        .append("    cluster: ").append(CLUSTER).append('\n')
        .append("    authn: { require: [api_key] }\n")
        .append("    limits:\n")
        .append("      - { name: per_caller, key: identity, requests: ").append(RATE_REQUESTS)
        .append(", per: ").append(RATE_PER).append(" }\n")
        .append("  - name: profiles\n")
        .append("    match: { prefix: ").append(PROFILES_PREFIX).append(" }\n")
        .append("    cluster: profiles\n")
        .append("    authn: { require: [api_key] }\n")
        .append("  - name: payments\n")
        .append("    match: { prefix: ").append(PAYMENTS_PREFIX).append(" }\n")
        .append("    cluster: payments\n")
        .append("    authn: { require: [api_key] }\n")
        .append("  - name: demo\n")
        .append("    match: { prefix: / }\n")
        .append("    cluster: ").append(CLUSTER).append('\n')
        .append("clusters:\n")
        .append("  ").append(CLUSTER).append(":\n")
        .append("    endpoints: [\"").append(HOST).append(':').append(upstreamPort).append("\"]\n")
        .append("    circuit_breaker: { consecutive_failures: ").append(BREAKER_FAILURES)
        .append(", open_for: 10s, trial_interval: 3s }\n")
        .append("  profiles: { endpoints: [\"").append(HOST).append(':').append(upstreamPort)
        .append("\"] }\n")
        .append("  payments: { endpoints: [\"").append(HOST).append(':').append(upstreamPort)
        .append("\"] }\n")
        // Every findings event also goes to the demo's command plane.
        .append(plane.proxyCommandYaml())
        // The demo reads its events through the sink hook; it leaves no findings file behind.
        .append("findings: { file: off }\n")
        .append("policy:\n");
    for (String line : policyYaml().split("\n", -1)) {
      y.append(line.isEmpty() ? "" : "  " + line).append('\n');
    }
    return y.toString();
  }

  private static String sha256Hex(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static RuntimeException startFailure(RuntimeException e, Ports ports) {
    Throwable bind = dev.custos.cli.internal.BindFailure.find(e);
    if (bind == null) {
      return e;
    }
    String which = busyPorts(ports);
    if (which.isEmpty()) {
      which = " a port";
    }
    String reason = String.valueOf(bind.getMessage());
    reason = reason.substring(reason.lastIndexOf(": ") + 1).strip();
    return new IllegalStateException("cannot listen on" + which + ": " + reason
        + " (expected: free ports; 0 picks one)");
  }

  private static String busyPorts(Ports ports) {
    return busy(ports.proxy(), "--port") + busy(ports.admin(), "--admin-port")
        + busy(ports.upstream(), "--upstream-port") + busy(ports.command(), "--command-port");
  }

  /** Returns " HOST:PORT (OPTION)" if the port is taken, else "". */
  private static String busy(int port, String option) {
    if (port == 0) {
      return "";
    }
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
      return "";
    } catch (IOException e) {
      return " " + HOST + ":" + port + " (" + option + ")";
    }
  }

  /** Returns the proxy's base URL. */
  public String proxyUrl() {
    return "http://" + HOST + ":" + proxy.activeHttpPort();
  }

  /** Returns the upstream's base URL (unprotected: it serves the raw data). */
  public String upstreamUrl() {
    return "http://" + HOST + ":" + upstream.activeLocalPort(SessionProtocol.HTTP);
  }

  /** Returns the admin server's base URL. */
  public String adminUrl() {
    return "http://" + HOST + ":" + proxy.activeAdminPort().orElseThrow();
  }

  /** Returns the configuration the proxy runs, with the demo policy. */
  public ProxyConfig config() {
    return config;
  }

  /**
   * Returns the state of the demo cluster's circuit breaker, as the proxy's meter registry shows
   * it ({@code custos_circuit_breaker_state}): "closed", "half-open", "open", or "unknown" before
   * the gauge exists.
   */
  public String breakerState() {
    Gauge g = proxy.meterRegistry().find("custos.circuit.breaker.state")
        .tag("cluster", CLUSTER).gauge();
    if (g == null) {
      return "unknown";
    }
    double v = g.value();
    return v == 0 ? "closed" : v == 1 ? "half-open" : "open";
  }

  /** Returns the demo's command plane. */
  public DemoPlane plane() {
    return plane;
  }

  /** Returns how many findings events the proxy has reported so far. */
  public long emittedEvents() {
    return emitted.get();
  }

  /** Sends the {@link #STEPS} through the proxy, one after another, and returns their outcomes. */
  public List<Outcome> run() throws IOException, InterruptedException {
    return run(STEPS);
  }

  /** Sends the {@link #FLEET}'s requests through the proxy and returns their outcomes. */
  public List<Outcome> runFleet() throws IOException, InterruptedException {
    return run(FLEET);
  }

  /**
   * Returns the evidence hash of the card that storefront read and then charged, from the
   * fleet's outcomes (empty when no event holds it): the value whose path the plane shows.
   */
  public static String sharedCardHash(List<Outcome> fleet) {
    for (Outcome o : fleet) {
      if (o.step().path().startsWith(PAYMENTS_PREFIX) && "demo-storefront".equals(
          o.step().apiKey())) {
        for (FindingsEvent e : o.events()) {
          for (FindingsEvent.Value v : e.values()) {
            if (v.category().equals("credit_card")) {
              return v.hash();
            }
          }
        }
      }
    }
    return "";
  }

  private List<Outcome> run(List<Step> steps) throws IOException, InterruptedException {
    List<Outcome> outcomes = new ArrayList<>();
    collecting.set(true);
    try {
      for (Step step : steps) {
        outcomes.add(send(step));
      }
    } finally {
      collecting.set(false);
      events.clear();
    }
    return List.copyOf(outcomes);
  }

  private Outcome send(Step step) throws IOException, InterruptedException {
    List<Integer> statuses = new ArrayList<>();
    Outcome last = sendOnce(step);
    statuses.add(last.status());
    for (int i = 1; i < step.times(); i++) {
      last = sendOnce(step);
      statuses.add(last.status());
    }
    return new Outcome(step, last.status(), last.body(), last.events(), statuses,
        last.challenge(), last.retryAfter());
  }

  private Outcome sendOnce(Step step) throws IOException, InterruptedException {
    events.clear();
    if (step.grpc()) {
      return sendGrpc(step);
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(proxyUrl() + step.path()))
        .timeout(Duration.ofSeconds(30));
    if (step.apiKey() != null) {
      b.header("X-Api-Key", step.apiKey());
    }
    if (step.jsonBody() != null) {
      b.header("Content-Type", "application/json")
          .method(step.method(), HttpRequest.BodyPublishers.ofString(step.jsonBody()));
    } else {
      b.method(step.method(), HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    // The proxy reports a message's event before the message's last byte leaves it, so the
    // events of this exchange are all queued by now.
    List<FindingsEvent> seen = new ArrayList<>();
    for (FindingsEvent e; (e = events.poll()) != null; ) {
      seen.add(e);
    }
    return new Outcome(step, r.statusCode(), r.body(), seen, List.of(r.statusCode()),
        r.headers().firstValue("WWW-Authenticate").orElse(null),
        r.headers().firstValue("Retry-After").orElse(null));
  }

  /**
   * Sends a unary gRPC call over HTTP/2 without TLS (h2c): the request message holds the user id
   * as field 1; the outcome's body is the grpc-status and the answer's fields in text form.
   */
  private Outcome sendGrpc(Step step) {
    int userId = Integer.parseInt(requireNonNull(step.jsonBody(), "user id"));
    byte[] message = DemoGrpc.encodeUserRequest(userId);
    RequestHeadersBuilder headers = RequestHeaders.builder(HttpMethod.POST, step.path())
        .contentType(DemoGrpc.CONTENT_TYPE)
        .add("te", "trailers");
    if (step.apiKey() != null) {
      headers.add("x-api-key", step.apiKey());
    }
    WebClient h2c = WebClient.builder("h2c://" + HOST + ":" + proxy.activeHttpPort())
        .factory(grpcClients)
        .responseTimeout(Duration.ofSeconds(30))
        .build();
    AggregatedHttpResponse r = h2c.execute(headers.build(), HttpData.wrap(DemoGrpc.frame(message)))
        .aggregate().join();
    List<FindingsEvent> seen = new ArrayList<>();
    for (FindingsEvent e; (e = events.poll()) != null; ) {
      seen.add(e);
    }
    return new Outcome(step, r.status().code(), DemoGrpc.describe(r), seen);
  }

  /**
   * Stops the proxy (which first sends the events it holds to the plane), the command plane
   * (deleting its temporary folder) and the upstream.
   */
  @Override
  public void close() {
    try {
      proxy.stop();
    } finally {
      try {
        plane.close();
      } finally {
        try {
          upstream.stop().join();
        } finally {
          grpcClients.close();
        }
      }
    }
  }
}
