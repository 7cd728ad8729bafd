package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ForwardingTest {
  @RegisterExtension
  static final Upstream upstream = new Upstream("a");

  @TempDir
  static Path dir;

  static ProxyFixture fixture;

  @BeforeAll
  static void startProxy() {
    fixture = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: backend
        clusters:
          backend:
            endpoints: [127.0.0.1:%d]
        """.formatted(upstream.httpPort()));
  }

  @AfterAll
  static void stopProxy() {
    fixture.close();
  }

  private static JsonNode json(Clients.Response r) throws Exception {
    return Upstream.JSON.readTree(r.body());
  }

  @ParameterizedTest
  @EnumSource(Clients.class)
  void methodPathQueryBodyAndHeadersReachTheUpstream(Clients client) throws Exception {
    Clients.Response r = client.send(fixture.http(), "POST", "/echo/a%20b?x=1&y=two",
        Map.of("x-custom", "value-1", "content-type", "text/plain"), "hello body");

    assertThat(r.status()).isEqualTo(200);
    JsonNode seen = json(r);
    assertThat(seen.get("method").asText()).isEqualTo("POST");
    assertThat(seen.get("path").asText()).isEqualTo("/echo/a%20b?x=1&y=two");
    assertThat(seen.get("body").asText()).isEqualTo("hello body");
    assertThat(seen.get("headers").get("x-custom").asText()).isEqualTo("value-1");
    assertThat(seen.get("headers").get("content-type").asText()).isEqualTo("text/plain");
  }

  @ParameterizedTest
  @EnumSource(Clients.class)
  void forwardingHeadersNameTheClientAndTheProxy(Clients client) throws Exception {
    Clients.Response r = client.get(fixture.http(), "/echo");

    JsonNode h = json(r).get("headers");
    assertThat(h.get("x-forwarded-for").asText()).isEqualTo("127.0.0.1");
    assertThat(h.get("x-forwarded-proto").asText()).isEqualTo("http");
    assertThat(h.get("forwarded").asText())
        .isEqualTo("for=127.0.0.1;proto=http;host=\"127.0.0.1:" + fixture.proxy.activeHttpPort()
            + "\"");
    String version = client == Clients.ARMERIA_H1C || client == Clients.JDK_HTTP_1_1 ? "1.1"
        : "2.0";
    assertThat(h.get("via").asText()).isEqualTo(version + " custos");
    // The proxy talks HTTP/2 to this upstream.
    assertThat(r.header("via")).isEqualTo("2.0 custos");
  }

  @ParameterizedTest
  @EnumSource(Clients.class)
  void hostIsPreserved(Clients client) throws Exception {
    Clients.Response r = client.get(fixture.http(), "/echo");

    JsonNode h = json(r).get("headers");
    String host = h.has(":authority") ? h.get(":authority").asText() : h.get("host").asText();
    assertThat(host).isEqualTo("127.0.0.1:" + fixture.proxy.activeHttpPort());
  }

  @Test
  void forwardingHeadersFromAnUntrustedPeerAreReplaced() throws Exception {
    Clients.Response r = Clients.ARMERIA_H1C.send(fixture.http(), "GET", "/echo",
        Map.of("x-forwarded-for", "6.6.6.6", "forwarded", "for=6.6.6.6", "via", "1.0 fake",
            "x-forwarded-proto", "https"), "");

    JsonNode h = json(r).get("headers");
    assertThat(h.get("x-forwarded-for").asText()).isEqualTo("127.0.0.1");
    assertThat(h.get("x-forwarded-proto").asText()).isEqualTo("http");
    assertThat(h.get("forwarded").asText()).doesNotContain("6.6.6.6");
    assertThat(h.get("via").asText()).isEqualTo("1.0 fake, 1.1 custos");
  }

  @Test
  void hopByHopHeadersAreRemovedFromTheRequest() throws Exception {
    List<String> lines = rawHttp1("GET /echo HTTP/1.1\r\n"
        + "Host: example.test\r\n"
        + "Connection: keep-alive, x-private-hop\r\n"
        + "X-Private-Hop: drop-me\r\n"
        + "Keep-Alive: timeout=5\r\n"
        + "Proxy-Connection: keep-alive\r\n"
        + "TE: gzip\r\n"
        + "Upgrade: websocket-nope\r\n"
        + "X-End-To-End: keep-me\r\n"
        + "\r\n");
    String body = lines.get(lines.size() - 1);
    JsonNode h = Upstream.JSON.readTree(body).get("headers");

    assertThat(h.has("x-private-hop")).isFalse();
    assertThat(h.has("connection")).isFalse();
    assertThat(h.has("keep-alive")).isFalse();
    assertThat(h.has("proxy-connection")).isFalse();
    assertThat(h.has("te")).isFalse();
    assertThat(h.has("upgrade")).isFalse();
    assertThat(h.get("x-end-to-end").asText()).isEqualTo("keep-me");
  }

  @Test
  void teTrailersIsKeptTowardsTheUpstream() throws Exception {
    JsonNode kept = Upstream.JSON.readTree(last(rawHttp1("GET /echo HTTP/1.1\r\n"
        + "Host: example.test\r\n"
        + "TE: trailers\r\n"
        + "\r\n"))).get("headers");
    assertThat(kept.get("te").asText()).isEqualTo("trailers");
  }

  private static String last(List<String> lines) {
    return lines.get(lines.size() - 1);
  }

  @ParameterizedTest
  @EnumSource(Clients.class)
  void hopByHopHeadersAreRemovedFromTheResponse(Clients client) throws Exception {
    try (RawHttp1Upstream raw = new RawHttp1Upstream("HTTP/1.1 200 OK\r\n"
        + "Content-Type: text/plain\r\n"
        + "Content-Length: 3\r\n"
        + "Connection: close, x-upstream-private\r\n"
        + "X-Upstream-Private: secret-hop\r\n"
        + "Keep-Alive: timeout=5\r\n"
        + "Proxy-Connection: keep-alive\r\n"
        + "X-Upstream-Public: kept\r\n"
        + "\r\n"
        + "hop");
        ProxyFixture p = ProxyFixture.start(dir.resolve("raw-" + client), """
            listen: 127.0.0.1:0
            routes:
              - match: { prefix: / }
                cluster: raw
            clusters:
              raw:
                endpoints: [127.0.0.1:%d]
            """.formatted(raw.port()))) {
      Clients.Response r = client.get(p.http(), "/hop");

      assertThat(r.status()).isEqualTo(200);
      assertThat(r.headers()).doesNotContainKeys("x-upstream-private", "keep-alive",
          "proxy-connection");
      assertThat(r.header("x-upstream-public")).isEqualTo("kept");
      assertThat(r.header("via")).endsWith("1.1 custos");
      assertThat(r.body()).isEqualTo("hop");
    }
  }

  @Test
  void requestsWithoutARouteGetAJson404() throws Exception {
    // The catch-all route matches everything; this proxy has none for other hosts.
    try (ProxyFixture only = ProxyFixture.start(dir.resolve("no-route"), """
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: /api/ }
            cluster: backend
        clusters:
          backend:
            endpoints: [127.0.0.1:%d]
        """.formatted(upstream.httpPort()))) {
      Clients.Response r = Clients.JDK_HTTP_1_1.get(only.http(), "/other");

      assertThat(r.status()).isEqualTo(404);
      assertThat(r.header("content-type")).startsWith("application/json");
      assertThat(Upstream.JSON.readTree(r.body()).get("status").asInt()).isEqualTo(404);
    }
  }

  /** Sends raw HTTP/1.1 and returns the response's lines, the body last. */
  private static List<String> rawHttp1(String request) throws Exception {
    try (Socket s = new Socket("127.0.0.1", fixture.proxy.activeHttpPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
          StandardCharsets.UTF_8));
      List<String> lines = new ArrayList<>();
      int length = -1;
      String line;
      while ((line = in.readLine()) != null && !line.isEmpty()) {
        lines.add(line);
        if (line.toLowerCase().startsWith("content-length:")) {
          length = Integer.parseInt(line.substring(15).trim());
        }
      }
      char[] body = new char[Math.max(length, 0)];
      int read = 0;
      while (read < body.length) {
        int n = in.read(body, read, body.length - read);
        if (n < 0) {
          break;
        }
        read += n;
      }
      lines.add(new String(body, 0, read));
      return lines;
    }
  }
}
