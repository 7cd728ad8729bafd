package dev.custos.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.testing.junit5.server.SelfSignedCertificateExtension;
import dev.custos.proxy.CustosProxy;
import dev.custos.proxy.ProxyConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay's connections over their life: a reload that makes the configuration ineligible
 * ends relayed connections after their exchange and sends new ones to Armeria; HTTP/2 (prior
 * knowledge, upgrade, TLS) stays on Armeria on a relay-eligible configuration; idle connections
 * close after {@code idle_timeout}; a shutdown lets the exchange in flight finish.
 */
class RelayConnectionsTest {
  @RegisterExtension
  static final SelfSignedCertificateExtension cert = new SelfSignedCertificateExtension();

  @TempDir Path dir;
  Http1Origin origin;
  CustosProxy proxy;

  @BeforeEach
  void start() throws Exception {
    origin = new Http1Origin();
  }

  @AfterEach
  void stop() throws Exception {
    origin.release.get().complete(null);
    if (proxy != null) {
      proxy.close();
    }
    origin.close();
  }

  ProxyConfig config(String extra) {
    return ProxyConfig.parse("""
        listen: 127.0.0.1:0
        inspection: { enabled: false }
        tls:
          listen: 127.0.0.1:0
          cert: %s
          key: %s
        %s
        routes:
          - name: main
            match: { prefix: / }
            cluster: origin
        clusters:
          origin: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(cert.certificateFile().getAbsolutePath(),
        cert.privateKeyFile().getAbsolutePath(), extra, origin.port()), "custos.yaml", dir);
  }

  ProxyConfig ineligible() {
    return ProxyConfig.parse("""
        listen: 127.0.0.1:0
        inspection: { enabled: false }
        tls:
          listen: 127.0.0.1:0
          cert: %s
          key: %s
        routes:
          - name: main
            match: { prefix: / }
            cluster: origin
            strip_response_headers: [X-Kind]
        clusters:
          origin: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(cert.certificateFile().getAbsolutePath(),
        cert.privateKeyFile().getAbsolutePath(), origin.port()), "custos.yaml", dir);
  }

  double relayed() {
    return proxy.meterRegistry().get("custos.http1.relay.requests").counter().count();
  }

  static final String GET = "GET /echo HTTP/1.1\r\nHost: a.test\r\n\r\n";

  @Test
  void aReloadEndsRelayedConnectionsAfterTheirExchangeAndSendsNewOnesToArmeria()
      throws Exception {
    proxy = CustosProxy.builder(config("")).build().start();
    try (Socket idle = socket(); Socket busy = socket()) {
      write(idle, GET);
      assertThat(head(idle.getInputStream())).startsWith("HTTP/1.1 200");
      write(busy, "GET /hold HTTP/1.1\r\nHost: a.test\r\n\r\n");
      await().atMost(Duration.ofSeconds(10)).until(() -> origin.held.get() == 1);

      proxy.reload(ineligible());
      origin.release.get().complete(null);

      String answer = new String(busy.getInputStream().readAllBytes(),
          StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close")
          .endsWith("released");
      // The kept-alive connection's next request is left to a new connection (closed unanswered).
      write(idle, GET);
      assertThat(idle.getInputStream().read()).isEqualTo(-1);
    }
    double before = relayed();
    RawExchange.Result next = RawExchange.exchange(proxy.activeHttpPort(),
        "GET /nocontent HTTP/1.1\r\nHost: a.test\r\n\r\n", "GET");
    assertThat(next.responses().get(0).status()).isEqualTo(204);
    assertThat(next.responses().get(0).header("x-kind")).isNull(); // Stripped by Armeria.
    assertThat(relayed()).isEqualTo(before);
    assertThat(proxy.meterRegistry().get("custos.http1.relay.active").gauge().value()).isZero();
  }

  @Test
  void http2AndTlsStayOnArmeriaOnARelayEligibleConfiguration() throws Exception {
    proxy = CustosProxy.builder(config("")).build().start();
    AggregatedHttpResponse h2c = WebClient.of(SessionProtocol.H2C,
            com.linecorp.armeria.client.Endpoint.of("127.0.0.1", proxy.activeHttpPort()))
        .get("/echo").aggregate().join();
    assertThat(h2c.status().code()).isEqualTo(200);
    assertThat(h2c.contentUtf8()).contains("via: 2.0 custos");
    try (ClientFactory insecure = ClientFactory.builder().tlsNoVerify().build()) {
      for (SessionProtocol p : new SessionProtocol[] {SessionProtocol.H2, SessionProtocol.H1}) {
        AggregatedHttpResponse tls = WebClient.builder(p,
                com.linecorp.armeria.client.Endpoint.of("127.0.0.1",
                    proxy.activeHttpsPort().getAsInt()))
            .factory(insecure).build().get("/echo").aggregate().join();
        assertThat(tls.status().code()).as(p.toString()).isEqualTo(200);
        assertThat(tls.contentUtf8()).contains("x-forwarded-proto: https");
      }
    }
    try (Socket upgrade = socket()) {
      write(upgrade, "GET /echo HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade, HTTP2-Settings"
          + "\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
      byte[] line = upgrade.getInputStream().readNBytes(12);
      assertThat(new String(line, StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 101");
    }
    assertThat(relayed()).isZero();

    RawExchange.Result plain = RawExchange.exchange(proxy.activeHttpPort(), GET, "GET");
    assertThat(plain.responses().get(0).status()).isEqualTo(200);
    assertThat(relayed()).isEqualTo(1.0);
  }

  @Test
  void anIdleRelayedConnectionClosesAfterIdleTimeout() throws Exception {
    proxy = CustosProxy.builder(config("idle_timeout: 300ms")).build().start();
    try (Socket s = socket()) {
      s.setSoTimeout(10_000);
      write(s, GET);
      assertThat(head(s.getInputStream())).startsWith("HTTP/1.1 200");
      InputStream in = s.getInputStream();
      int b;
      do {
        b = in.read();
      } while (b >= 0);
      assertThat(b).isEqualTo(-1);
    }
    assertThat(relayed()).isEqualTo(1.0);
  }

  @Test
  void aShutdownLetsTheRelayedExchangeInFlightFinish() throws Exception {
    proxy = CustosProxy.builder(config("shutdown_timeout: 10s")).build().start();
    try (Socket s = socket()) {
      write(s, "GET /hold HTTP/1.1\r\nHost: a.test\r\n\r\n");
      await().atMost(Duration.ofSeconds(10)).until(() -> origin.held.get() == 1);
      CompletableFuture<Void> stopped = CompletableFuture.runAsync(proxy::stop);
      await().atMost(Duration.ofSeconds(10)).until(() -> !proxy.ready());
      origin.release.get().complete(null);
      String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 200").endsWith("released");
      stopped.join();
    }
  }

  private Socket socket() throws Exception {
    return new Socket(InetAddress.getLoopbackAddress(), proxy.activeHttpPort());
  }

  private static void write(Socket s, String text) throws Exception {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** Reads one response with a Content-Length body; returns its head and body. */
  private static String head(InputStream in) throws Exception {
    StringBuilder sb = new StringBuilder();
    while (!sb.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      sb.append((char) b);
    }
    String h = sb.toString();
    int at = h.toLowerCase(java.util.Locale.ROOT).indexOf("content-length:");
    if (at >= 0) {
      int end = h.indexOf("\r\n", at);
      int n = Integer.parseInt(h.substring(at + 15, end).trim());
      sb.append(new String(in.readNBytes(n), StandardCharsets.ISO_8859_1));
    }
    return sb.toString();
  }
}
