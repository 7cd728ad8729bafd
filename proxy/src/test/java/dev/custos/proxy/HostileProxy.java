package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.Server;
import dev.custos.proxy.internal.BossGroups;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The fixture of the hostile-input regression suite: a proxy in enforce mode (cards and SSNs
 * masked in responses, SSNs blocked in requests) in front of an upstream that records everything
 * it receives, with the findings file, the access log and everything logged on stderr captured.
 *
 * <p>Each case plants a value, sends it the hostile way, and then checks with {@link
 * #assertStillServes()} that the proxy still answers a normal request and with {@link
 * #assertNeverLeaked(String...)} that the value reached neither the upstream (request line,
 * headers, trailers, body) nor any log, metric, event or error body. Responses the upstream sends
 * are chosen per case with {@link #respondWith(Function)}; the default echoes nothing ({@code
 * {"ok":true}}).
 *
 * <p>The route YAML passed to {@link #start(Path, String)} replaces the default route and may set
 * any route key; the policy and telemetry stay those of the suite.
 */
final class HostileProxy implements AutoCloseable {
  /** A synthetic SSN (the famous Woolworth wallet number, never issued to a person). */
  static final String SSN = "078-05-1120";
  /** An issuer test card number. */
  static final String CARD = "4111111111111111";

  /** A route on the upstream cluster {@code u} for every path; the default route. */
  static final String DEFAULT_ROUTE = """
        - name: api
          match: { prefix: / }
          cluster: u
      """;

  /** What the upstream received, one entry per request, in arrival order. */
  final List<AggregatedHttpRequest> received = new CopyOnWriteArrayList<>();

  final ProxyFixture proxy;
  final Path findingsFile;
  final Path accessLogFile;
  private final Server upstream;
  private final AtomicReference<Function<AggregatedHttpRequest, HttpResponse>> responder =
      new AtomicReference<>(req -> HttpResponse.of(HttpStatus.OK, MediaType.JSON, "{\"ok\":true}"));
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  private final PrintStream originalErr = System.err;

  /** The suite's rules: SSNs never go upstream; cards and SSNs are masked in responses. */
  static final String DEFAULT_RULES = """
            - { name: ssn never goes upstream, match: { direction: request }, categories: [us_ssn], action: block }
            - { name: mask responses, match: { direction: response }, categories: [credit_card, us_ssn], action: redact }
      """;

  private HostileProxy(Path dir, String routes, String extraTopLevel, String rules) {
    upstream = Server.builder().bossGroupFactory(BossGroups::newBossGroup)
        .http(new java.net.InetSocketAddress("127.0.0.1", 0))
        .requestTimeout(Duration.ZERO)
        .maxRequestLength(0)
        .serviceUnder("/", (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> {
          received.add(agg);
          return responder.get().apply(agg);
        })))
        .build();
    upstream.start().join();
    findingsFile = dir.resolve("findings.jsonl");
    accessLogFile = dir.resolve("access.jsonl");
    System.setErr(new PrintStream(new TeeStream(stderr, originalErr), true, StandardCharsets.UTF_8));
    String yaml = """
        listen: 127.0.0.1:0
        admin: 127.0.0.1:0
        findings: { file: findings.jsonl }
        access_log: { file: access.jsonl }
        %s
        routes:
        %s
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
        %s
        """.formatted(extraTopLevel, routes.stripTrailing(), upstream.activeLocalPort(),
        rules.stripTrailing());
    ProxyFixture started;
    try {
      started = ProxyFixture.start(dir, yaml);
    } catch (RuntimeException e) {
      System.setErr(originalErr);
      upstream.stop().join();
      throw e;
    }
    proxy = started;
  }

  /** Starts the suite's proxy with the default route. */
  static HostileProxy start(Path dir) {
    return new HostileProxy(dir, DEFAULT_ROUTE, "", DEFAULT_RULES);
  }

  /**
   * Starts the suite's proxy with these routes (YAML list items indented by two spaces, as in
   * {@link #DEFAULT_ROUTE}; the cluster is {@code u}) and extra top-level keys (YAML, may be empty).
   */
  static HostileProxy start(Path dir, String routes, String extraTopLevel) {
    return new HostileProxy(dir, routes, extraTopLevel, DEFAULT_RULES);
  }

  /**
   * Starts the proxy with the default route and these policy rules instead of the suite's (YAML
   * list items indented by four spaces, as in {@link #DEFAULT_RULES}).
   */
  static HostileProxy withRules(Path dir, String rules) {
    return new HostileProxy(dir, DEFAULT_ROUTE, "", rules);
  }

  /** Makes the upstream answer every later request with what this function returns. */
  HostileProxy respondWith(Function<AggregatedHttpRequest, HttpResponse> function) {
    responder.set(function);
    return this;
  }

  /** Returns the proxy's cleartext base URI ({@code http://127.0.0.1:PORT}). */
  String http() {
    return proxy.http();
  }

  /** Returns the port of the proxy's cleartext listener. */
  int port() {
    return proxy.proxy.activeHttpPort();
  }

  /** Checks that a normal request still goes through the proxy and back. */
  void assertStillServes() {
    AggregatedHttpResponse res = WebClient.builder(http())
        .responseTimeout(Duration.ofSeconds(20))
        .build()
        .get("/still-serving")
        .aggregate()
        .join();
    assertThat(res.status()).as("a normal request after the hostile case").isEqualTo(HttpStatus.OK);
  }

  /**
   * Checks that none of these values reached the upstream (in any request's path, headers,
   * trailers or body) or appears in the findings file, the access log, the metrics scrape or
   * anything written to stderr. Waits for the background writers to flush first.
   */
  void assertNeverLeaked(String... values) {
    await().atMost(Duration.ofSeconds(10)).until(this::telemetryFlushed);
    String metrics = WebClient.of(proxy.admin()).get("/metrics").aggregate().join().contentUtf8();
    for (String value : values) {
      for (AggregatedHttpRequest req : received) {
        assertThat(req.path()).as("path sent upstream").doesNotContain(value);
        assertThat(req.headers().toString()).as("headers sent upstream").doesNotContain(value);
        assertThat(req.trailers().toString()).as("trailers sent upstream").doesNotContain(value);
        assertThat(req.contentUtf8()).as("body sent upstream").doesNotContain(value);
      }
      assertThat(read(findingsFile)).as("findings file").doesNotContain(value);
      assertThat(read(accessLogFile)).as("access log").doesNotContain(value);
      assertThat(metrics).as("metrics").doesNotContain(value);
      assertThat(stderr.toString(StandardCharsets.UTF_8)).as("log output").doesNotContain(value);
    }
  }

  /** Returns what was logged on stderr since the proxy started. */
  String logOutput() {
    return stderr.toString(StandardCharsets.UTF_8);
  }

  private boolean telemetryFlushed() {
    // The access log gets one line per finished exchange, as custos_requests_total counts them;
    // the findings of an exchange are queued before its access-log line.
    String metrics = WebClient.of(proxy.admin()).get("/metrics").aggregate().join().contentUtf8();
    double finished = 0;
    for (String line : metrics.split("\n")) {
      if (line.startsWith("custos_requests_total{")) {
        finished += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    long logged = read(accessLogFile).lines().count();
    return finished > 0 && logged >= finished;
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      proxy.close();
      upstream.stop().join();
    } finally {
      System.setErr(originalErr);
    }
  }

  /** Writes to two streams: the capture and the original stderr (so failures stay readable). */
  private static final class TeeStream extends java.io.OutputStream {
    private final java.io.OutputStream a;
    private final java.io.OutputStream b;

    TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public synchronized void write(int c) throws IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public synchronized void write(byte[] buf, int off, int len) throws IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }
  }
}
