package dev.custos.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import dev.custos.engine.Direction;
import dev.custos.engine.config.ConfigException;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.TestPki;
import dev.custos.proxy.internal.telemetry.commandplane.CommandPlaneOutput;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plane's TLS listener with client certificates: a proxy is known by its verified
 * certificate (SPIFFE id or subject) instead of a token, a token is still accepted, a certificate
 * from another CA cannot connect, and a request with neither gets 401. The proxy's sender
 * presents its certificate through {@code command.tls} and sends without a token.
 */
class IngestTlsTest {
  static final String SPIFFE = "spiffe://example.org/ns/edge/sa/custos";
  static final TestPki.Issued serverCa = TestPki.ca("plane-ca");
  static final TestPki.Issued clientCa = TestPki.ca("proxies-ca");
  static final TestPki.Issued otherCa = TestPki.ca("other-ca");

  @TempDir
  static Path dir;

  private static CommandPlane plane;
  private static CommandConfig config;
  private final List<AutoCloseable> closing = new ArrayList<>();

  /** One plane for the class: each test uses proxy ids of its own. */
  @BeforeAll
  static void start() {
    TestPki.Issued server = TestPki.server(serverCa);
    server.writeCert(dir.resolve("plane.pem"));
    server.writeKey(dir.resolve("plane.key"));
    clientCa.writeCert(dir.resolve("proxies-ca.pem"));
    serverCa.writeCert(dir.resolve("plane-ca.pem"));
    config = CommandConfig.parse("""
        listen: 127.0.0.1:0
        tls:
          cert_file: plane.pem
          key_file: plane.key
          client_ca_file: proxies-ca.pem
        client_certs:
          - { name: sidecars, spiffe_id: %s }
          - { name: legacy, subject: "CN=legacy-gateway" }
        tokens:
          - { name: edge, sha256: %s }
        """.formatted(SPIFFE, CommandPlaneTest.sha256(CommandPlaneTest.TOKEN)), "command.yaml",
        dir);
    plane = CommandPlane.builder(config).build();
    plane.start();
  }

  @AfterEach
  void closeClients() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  @AfterAll
  static void stop() {
    plane.stop();
  }

  private WebClient client(TestPki.@Nullable Issued clientCert) {
    return client(clientCert, plane.activePort());
  }

  private WebClient client(TestPki.@Nullable Issued clientCert, int port) {
    ClientFactory factory = ClientFactory.builder().tlsCustomizer(b -> {
      b.trustManager(serverCa.cert());
      if (clientCert != null) {
        b.keyManager(clientCert.key(), clientCert.cert());
      }
    }).build();
    closing.add(factory);
    return WebClient.builder("https://127.0.0.1:" + port).factory(factory).build();
  }

  private static AggregatedHttpResponse post(WebClient client, String proxyId,
      @Nullable String token) {
    RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.POST, "/api/v1/ingest/events")
        .contentType(MediaType.parse("application/x-ndjson"))
        .set("custos-proxy-id", proxyId)
        .set("custos-batch-id", UUID.randomUUID().toString());
    if (token != null) {
      h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
    }
    return client.execute(h.build(), HttpData.wrap(TestEvents.body(CommandPlaneTest.lines(1))))
        .aggregate().join();
  }

  private static String tokenNameOf(String proxyId) throws Exception {
    try (Connection c = DriverManager.getConnection(config.database().url());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT token_name FROM proxies WHERE proxy_id = '"
            + proxyId + "'")) {
      return rs.next() ? rs.getString(1) : "";
    }
  }

  @Test
  void aVerifiedClientCertificateNamesTheProxyBySpiffeIdOrSubject() throws Exception {
    assertThat(post(client(TestPki.client(clientCa, SPIFFE)), "sidecar-1", null).status())
        .isEqualTo(HttpStatus.ACCEPTED);
    assertThat(post(client(TestPki.client(clientCa, "legacy-gateway", "urn:x:legacy")),
        "legacy-1", null).status()).isEqualTo(HttpStatus.ACCEPTED);

    assertThat(tokenNameOf("sidecar-1")).isEqualTo("sidecars");
    assertThat(tokenNameOf("legacy-1")).isEqualTo("legacy");
  }

  @Test
  void aTokenIsStillAcceptedAndAWrongOneIsRefusedWhateverTheCertificate() {
    assertThat(post(client(null), "edge-1", CommandPlaneTest.TOKEN).status())
        .isEqualTo(HttpStatus.ACCEPTED);
    assertThat(post(client(TestPki.client(clientCa, SPIFFE)), "edge-2", "wrong-token").status())
        .isEqualTo(HttpStatus.UNAUTHORIZED);
  }

  @Test
  void noCertificateAndNoTokenOrAnUnmappedCertificateGet401() {
    assertThat(post(client(null), "anon", null).status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(post(client(TestPki.client(clientCa, "spiffe://example.org/ns/x/sa/y")),
        "unmapped", null).status()).isEqualTo(HttpStatus.UNAUTHORIZED);
  }

  @Test
  void aCertificateFromAnotherCaIsRefused() throws Exception {
    WebClient untrusted = client(TestPki.client(otherCa, SPIFFE));
    AggregatedHttpResponse r = null;
    try {
      r = post(untrusted, "intruder", null);
    } catch (CompletionException e) {
      // The handshake failed: the plane does not trust the certificate's issuer.
    }
    // Or the client, seeing its issuer is not among those the plane accepts, sent none.
    if (r != null) {
      assertThat(r.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    }
    assertThat(tokenNameOf("intruder")).isEmpty();
  }

  @Test
  void theProxySenderAuthenticatesByItsClientCertificateWithoutAToken() throws Exception {
    TestPki.Issued proxyCert = TestPki.client(clientCa, SPIFFE);
    Path cert = proxyCert.writeCert(dir.resolve("proxy.pem"));
    Path key = proxyCert.writeKey(dir.resolve("proxy.key"));
    ProxyConfig.Command command = new ProxyConfig.Command(
        URI.create("https://127.0.0.1:" + plane.activePort()), null, dir.resolve("spool"),
        "sidecar-7", 100, 10, Duration.ofMillis(10), 1 << 20, Duration.ofSeconds(10),
        Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(2),
        null, new ProxyConfig.UpstreamTls(dir.resolve("plane-ca.pem"), cert, key, null, false,
            "TLSv1.2"));
    CommandPlaneOutput output = new CommandPlaneOutput(new SimpleMeterRegistry(), () -> "v1");
    closing.add(output);
    output.configure(command);

    output.accept(new FindingsEvent(Instant.now(), "orders", Direction.RESPONSE,
        "0011223344556677", Map.of("email", 1), Set.of("body"), List.of("observe"),
        List.of("r"), null, null, false, false, null, 10));

    await().atMost(Duration.ofSeconds(30)).until(() -> tokenNameOf("sidecar-7").equals("sidecars"));
  }

  @Test
  void withClientAuthRequireAConnectionWithoutACertificateFailsItsHandshake() {
    CommandConfig required = CommandConfig.parse("""
        listen: 127.0.0.1:0
        database: { url: "jdbc:sqlite:required.db" }
        tls:
          cert_file: plane.pem
          key_file: plane.key
          client_ca_file: proxies-ca.pem
          client_auth: require
        client_certs:
          - { name: sidecars, spiffe_id: %s }
        """.formatted(SPIFFE), "command.yaml", dir);
    assertThat(required.tls().clientAuth()).isEqualTo(CommandConfig.Tls.ClientAuth.REQUIRE);
    try (CommandPlane strict = CommandPlane.builder(required).build()) {
      strict.start();
      WebClient withCert = client(TestPki.client(clientCa, SPIFFE), strict.activePort());
      WebClient withoutCert = client(null, strict.activePort());

      assertThat(post(withCert, "strict-1", null).status()).isEqualTo(HttpStatus.ACCEPTED);
      assertThatThrownBy(() -> post(withoutCert, "strict-2", CommandPlaneTest.TOKEN))
          .isInstanceOf(CompletionException.class);
    }
  }

  @Test
  void clientCertificatesNeedAClientCa() {
    assertThatThrownBy(() -> CommandConfig.parse("""
        listen: 127.0.0.1:0
        tls: { cert_file: plane.pem, key_file: plane.key }
        client_certs:
          - { name: sidecars, spiffe_id: %s }
        """.formatted(SPIFFE), "command.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("client_certs: set without tls.client_ca_file");
    assertThatThrownBy(() -> CommandConfig.parse("listen: 127.0.0.1:0\n", "command.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("missing key 'tokens' (expected: the proxies' tokens, or"
            + " client_certs with tls.client_ca_file)");
  }

  @Test
  void aClientCertSubjectThatIsNotADistinguishedNameIsRefused() {
    assertThatThrownBy(() -> CommandConfig.parse("""
        listen: 127.0.0.1:0
        tls: { cert_file: plane.pem, key_file: plane.key, client_ca_file: proxies-ca.pem }
        client_certs:
          - { name: legacy, subject: "legacy-gateway" }
        """, "command.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("subject: not a distinguished name");
  }
}
