package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.testing.junit5.server.SelfSignedCertificateExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TlsAndAdminTest {
  @RegisterExtension
  static final Upstream upstream = new Upstream("a");

  @RegisterExtension
  static final SelfSignedCertificateExtension cert = new SelfSignedCertificateExtension();

  @TempDir
  static Path dir;

  static ProxyFixture fixture;
  static ClientFactory insecure;

  @BeforeAll
  static void startProxy() {
    fixture = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        admin: 127.0.0.1:0
        tls:
          listen: 127.0.0.1:0
          cert: %s
          key: %s
        routes:
          - match: { prefix: / }
            cluster: backend
        clusters:
          backend:
            endpoints: [127.0.0.1:%d]
        """.formatted(cert.certificateFile().getAbsolutePath(),
        cert.privateKeyFile().getAbsolutePath(), upstream.httpPort()));
    insecure = ClientFactory.builder().tlsNoVerify().build();
  }

  @AfterAll
  static void stopProxy() {
    fixture.close();
    insecure.close();
  }

  @ParameterizedTest
  @EnumSource(value = SessionProtocol.class, names = {"H1", "H2"})
  void theTlsListenerForwardsOverHttp1AndHttp2(SessionProtocol protocol) throws Exception {
    WebClient client = WebClient.builder(protocol.uriText() + "://127.0.0.1:"
        + fixture.proxy.activeHttpsPort().orElseThrow()).factory(insecure).build();

    AggregatedHttpResponse r = client.get("/echo").aggregate().join();

    assertThat(r.status().code()).isEqualTo(200);
    JsonNode h = Upstream.JSON.readTree(r.contentUtf8()).get("headers");
    assertThat(h.get("x-forwarded-proto").asText()).isEqualTo("https");
    assertThat(h.get("forwarded").asText()).contains("proto=https");
    assertThat(r.headers().get("via")).isEqualTo("2.0 custos");
  }

  @Test
  void healthAndReadinessAreOkWhileRunning() {
    WebClient admin = WebClient.of(fixture.admin());

    assertThat(admin.get("/healthz").aggregate().join().status().code()).isEqualTo(200);
    assertThat(admin.get("/readyz").aggregate().join().status().code()).isEqualTo(200);
  }

  @Test
  void configShowsTheEffectiveConfigurationWithoutFileContents() throws Exception {
    AggregatedHttpResponse r = WebClient.of(fixture.admin()).get("/config").aggregate().join();

    JsonNode c = Upstream.JSON.readTree(r.contentUtf8());
    assertThat(c.get("routes").get(0).get("cluster").asText()).isEqualTo("backend");
    assertThat(c.get("routes").get(0).get("timeout").asText()).isEqualTo("30s");
    assertThat(c.get("idle_timeout").asText()).isEqualTo("1m");
    assertThat(c.get("tls").get("key").asText())
        .isEqualTo(cert.privateKeyFile().getAbsolutePath());
    assertThat(r.contentUtf8()).doesNotContain("PRIVATE KEY");
    assertThat(c.get("policy").get("detectors").asInt()).isPositive();
  }

  @Test
  void metricsCountRequestsByRouteAndStatus() {
    Clients.JDK_HTTP_1_1.get(fixture.http(), "/echo");

    String metrics = WebClient.of(fixture.admin()).get("/metrics").aggregate().join()
        .contentUtf8();
    assertThat(metrics).containsPattern(
        "custos_requests_total\\{route=\"route-0\",status=\"200\"\\} [1-9]");
    assertThat(metrics).contains("custos_config_reloads_total{result=\"success\"} 0");
  }
}
