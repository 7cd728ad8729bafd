package dev.custos.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.proxy.CustosProxy;
import dev.custos.proxy.ProxyConfig;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same raw HTTP/1.1 exchanges against a proxy with {@code http1_relay: off} (Armeria serves
 * every connection) and one with {@code auto} (the relay does), over one HTTP/1.1-only origin:
 * statuses, headers (Date aside), bodies, what the origin received and whether the connection
 * stayed open must be the same.
 */
class RelayDifferentialTest {
  @TempDir static Path dir;
  static Http1Origin origin;
  static int closedPort;
  static CustosProxy armeria;
  static CustosProxy relay;

  @BeforeAll
  static void start() throws Exception {
    origin = new Http1Origin();
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    armeria = proxy("off");
    relay = proxy("auto");
  }

  static CustosProxy proxy(String mode) {
    String yaml = """
        listen: 127.0.0.1:0
        http1_relay: %s
        inspection: { enabled: false }
        routes:
          - name: slow
            match: { prefix: /slow }
            cluster: origin
            timeout: 500ms
          - name: gone
            match: { prefix: /gone }
            cluster: gone
          - name: rewritten
            match: { prefix: /rewrite }
            cluster: origin
            host_rewrite: upstream.test
          - name: main
            match: { prefix: /, host: example.test }
            cluster: origin
        clusters:
          origin:
            endpoints: [127.0.0.1:%d]
          gone:
            endpoints: [127.0.0.1:%d]
        """.formatted(mode, origin.port(), closedPort);
    return CustosProxy.builder(ProxyConfig.parse(yaml, mode + ".yaml", dir)).build().start();
  }

  @AfterAll
  static void stop() throws Exception {
    armeria.close();
    relay.close();
    origin.close();
  }

  record Case(String name, List<byte[]> parts, List<String> methods) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Case of(String name, String request, String... methods) {
    return new Case(name, List.of(bytes(request)), List.of(methods));
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  static final String H = "Host: example.test\r\n";

  static Stream<Case> cases() {
    String big = "x".repeat(3 << 20);
    List<Case> cases = new ArrayList<>(List.of(
        of("get", "GET /echo?q=a%20b&r=1 HTTP/1.1\r\n" + H + "User-Agent: t\r\n"
            + "Accept: */*\r\n\r\n", "GET"),
        of("get without user agent", "GET /echo HTTP/1.1\r\n" + H + "\r\n", "GET"),
        of("post with length", "POST /echo HTTP/1.1\r\n" + H + "Content-Type: text/plain\r\n"
            + "Content-Length: 11\r\n\r\nhello world", "POST"),
        of("head", "HEAD /echo HTTP/1.1\r\n" + H + "\r\n", "HEAD"),
        of("head of a chunked answer", "HEAD /chunked HTTP/1.1\r\n" + H + "\r\n", "HEAD"),
        of("chunked request", "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "POST"),
        of("chunked response", "GET /chunked HTTP/1.1\r\n" + H + "\r\n", "GET"),
        of("large response", "GET /big?mb=5 HTTP/1.1\r\n" + H + "\r\n", "GET"),
        of("large request", "POST /count HTTP/1.1\r\n" + H + "Content-Length: " + big.length()
            + "\r\n\r\n" + big, "POST"),
        of("pipelined", "GET /echo?n=1 HTTP/1.1\r\n" + H + "\r\nGET /chunked HTTP/1.1\r\n" + H
            + "\r\nPOST /echo?n=3 HTTP/1.1\r\n" + H + "Content-Length: 3\r\n\r\nabcGET /echo?n=4"
            + " HTTP/1.1\r\n" + H + "\r\n", "GET", "GET", "POST", "GET"),
        of("client connection close", "GET /echo HTTP/1.1\r\n" + H + "Connection: close\r\n\r\n",
            "GET"),
        of("upstream connection close then another request", "GET /close HTTP/1.1\r\n" + H
            + "\r\nGET /echo HTTP/1.1\r\n" + H + "\r\n", "GET", "GET"),
        of("response until close", "GET /eof HTTP/1.1\r\n" + H + "\r\n", "GET"),
        of("no content and not modified", "GET /nocontent HTTP/1.1\r\n" + H
            + "\r\nGET /notmodified HTTP/1.1\r\n" + H + "\r\n", "GET", "GET"),
        of("hop-by-hop headers both ways", "GET /hop HTTP/1.1\r\n" + H + "Connection: x-mine, te\r\n"
            + "X-Mine: private\r\nTE: trailers\r\nKeep-Alive: 5\r\nVia: 1.0 edge\r\n"
            + "X-Forwarded-For: 10.9.9.9\r\nForwarded: for=10.9.9.9\r\n\r\n", "GET"),
        of("echo of hop-by-hop", "GET /echo HTTP/1.1\r\n" + H + "Connection: x-mine\r\n"
            + "X-Mine: private\r\nTE: trailers\r\nProxy-Connection: keep-alive\r\n"
            + "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"
            + "tracestate: a=b\r\n\r\n", "GET"),
        of("host rewrite", "GET /rewrite/x HTTP/1.1\r\nHost: other.test:8080\r\n\r\n", "GET"),
        of("unknown route", "GET /echo HTTP/1.1\r\nHost: other.test\r\n\r\n", "GET"),
        of("unknown route with a body", "POST /echo HTTP/1.1\r\nHost: other.test\r\n"
            + "Content-Length: 5\r\n\r\nhelloGET /echo HTTP/1.1\r\n" + H + "\r\n", "POST", "GET"),
        of("upstream refused", "GET /gone HTTP/1.1\r\n" + H + "\r\n", "GET"),
        of("upstream timeout", "GET /slow HTTP/1.1\r\n" + H + "\r\n", "GET"),
        of("upstream reset mid-body", "GET /reset HTTP/1.1\r\n" + H + "\r\n", "GET"),
        of("expect 100-continue", "POST /echo HTTP/1.1\r\n" + H + "Expect: 100-continue\r\n"
            + "Content-Length: 4\r\n\r\nbody", "POST"),
        of("oversized head", "GET /echo HTTP/1.1\r\n" + H + "X-Big: " + "a".repeat(20_000)
            + "\r\n\r\n", "GET"),
        of("oversized head after a request", "GET /echo HTTP/1.1\r\n" + H + "\r\nGET /echo"
            + " HTTP/1.1\r\n" + H + "X-Big: " + "a".repeat(20_000) + "\r\n\r\n", "GET", "GET"),
        of("length and chunked after a request", "GET /echo HTTP/1.1\r\n" + H + "\r\nPOST /echo"
            + " HTTP/1.1\r\n" + H + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "0\r\n\r\n", "GET", "POST"),
        of("length and chunked", "POST /echo HTTP/1.1\r\n" + H + "Content-Length: 4\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "POST"),
        of("two lengths after a request", "GET /echo HTTP/1.1\r\n" + H + "\r\nPOST /echo"
            + " HTTP/1.1\r\n" + H + "Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
            "GET", "POST"),
        of("bad chunk size after a request", "GET /echo HTTP/1.1\r\n" + H + "\r\nPOST /echo"
            + " HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
            "GET", "POST"),
        of("obs-fold", "GET /echo HTTP/1.1\r\n" + H + "X-Folded: a\r\n b\r\n\r\n", "GET")));
    cases.add(new Case("request split in small writes", List.of(bytes("PO"),
        bytes("ST /echo HTTP/1.1\r\nHo"), bytes("st: example.test\r\nContent-Le"),
        bytes("ngth: 6\r\n\r\nab"), bytes("cdef")), List.of("POST")));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void relayAnswersAsArmeriaDoes(Case c) {
    RawExchange.Result expected = RawExchange.exchange(armeria.activeHttpPort(), c.parts(),
        c.methods());
    RawExchange.Result actual = RawExchange.exchange(relay.activeHttpPort(), c.parts(),
        c.methods());
    assertThat(summary(actual)).as(c.name()).isEqualTo(summary(expected));
  }

  @org.junit.jupiter.api.Test
  void onlyTheAutoProxyRelaysAndCountsWhatItRelays() {
    RawExchange.exchange(relay.activeHttpPort(), "GET /echo HTTP/1.1\r\n" + H + "\r\n", "GET");
    RawExchange.exchange(armeria.activeHttpPort(), "GET /echo HTTP/1.1\r\n" + H + "\r\n",
        "GET");

    assertThat(relay.meterRegistry().get("custos.http1.relay.requests").counter().count())
        .isPositive();
    assertThat(relay.meterRegistry().get("custos.http1.relay.active").gauge().value())
        .isEqualTo(1.0);
    assertThat(armeria.meterRegistry().get("custos.http1.relay.requests").counter().count())
        .isZero();
    assertThat(armeria.meterRegistry().get("custos.http1.relay.active").gauge().value())
        .isZero();
    assertThat(relay.meterRegistry().get("custos.requests").tag("route", "main")
        .tag("status", "200").counter().count()).isPositive();
    assertThat(relay.meterRegistry().get("custos.request.duration").tag("route", "main")
        .timer().count()).isPositive();
  }

  static List<String> summary(RawExchange.Result r) {
    List<String> out = new ArrayList<>();
    for (RawExchange.Response res : r.responses()) {
      out.add("status " + res.status());
      out.addAll(res.comparable());
      String body = res.body();
      out.add(body.length() > 4096 ? "body of " + body.length() + " bytes, hash "
          + body.hashCode() : "body " + body);
    }
    // After "connection: close" Armeria leaves the closing to the client, the relay closes at
    // once: either way the connection carries nothing more.
    List<RawExchange.Response> all = r.responses();
    boolean told = !all.isEmpty() && "close".equals(all.get(all.size() - 1).header("connection"));
    out.add(told ? "told to close" : "closed " + r.closed());
    return out;
  }
}
