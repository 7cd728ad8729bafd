package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class ReloadTest {
  @RegisterExtension
  static final Upstream a = new Upstream("a");
  @RegisterExtension
  static final Upstream b = new Upstream("b");

  @TempDir
  Path dir;

  private String config(String extraRoute) {
    return """
        listen: 127.0.0.1:0
        routes:
        %s  - match: { prefix: / }
            cluster: a
        clusters:
          a: { endpoints: ["127.0.0.1:%d"] }
          b: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(extraRoute, a.httpPort(), b.httpPort());
  }

  private static double reloads(CustosProxy proxy, String result) {
    Counter c = proxy.meterRegistry().find("custos.config.reloads").tag("result", result)
        .counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void aValidChangeServesNewRoutesWhileARequestInFlightOnTheSameConnectionCompletes() {
    try (ProxyFixture p = ProxyFixture.start(dir, config(""))) {
      WebClient client = WebClient.of(p.http().replace("http:", "h2c:"));
      a.release.set(new CompletableFuture<>());
      int streams = a.streams.get();
      CompletableFuture<AggregatedHttpResponse> inFlight = client.get("/stream").aggregate();
      await().atMost(Duration.ofSeconds(10)).until(() -> a.streams.get() > streams);

      ProxyFixture.write(p.configFile, config("""
          - match: { prefix: /b/ }
            cluster: b
        """));
      await().atMost(Duration.ofSeconds(10)).until(() -> reloads(p.proxy, "success") == 1);

      assertThat(client.get("/b/name").aggregate().join().contentUtf8())
          .contains("\"upstream\":\"b\"");
      assertThat(inFlight).isNotDone();
      a.release.get().complete(null);
      assertThat(inFlight.join().contentUtf8()).isEqualTo("first-chunk;last-chunk");
      assertThat(p.proxy.config().routes()).hasSize(2);
    }
  }

  @Test
  void anInvalidChangeIsRejectedAndTheOldConfigurationKeepsServing() {
    try (ProxyFixture p = ProxyFixture.start(dir, config(""))) {
      ProxyConfig before = p.proxy.config();

      ProxyFixture.write(p.configFile, config("""
          - match: { prefix: /b/ }
            cluster: nowhere
        """));
      await().atMost(Duration.ofSeconds(10)).until(() -> reloads(p.proxy, "failure") == 1);

      assertThat(p.proxy.config()).isSameAs(before);
      assertThat(Clients.JDK_HTTP_1_1.get(p.http(), "/b/name").body()).contains("\"upstream\":\"a\"");
      assertThat(reloads(p.proxy, "success")).isZero();
    }
  }

  @Test
  void aListenerChangeWaitsForARestartWhileTheRestApplies() {
    try (ProxyFixture p = ProxyFixture.start(dir, config(""))) {
      int port = p.proxy.activeHttpPort();

      ProxyFixture.write(p.configFile, config("""
          - match: { prefix: /b/ }
            cluster: b
        """).replace("listen: 127.0.0.1:0", "listen: 127.0.0.1:1"));
      await().atMost(Duration.ofSeconds(10)).until(() -> reloads(p.proxy, "success") == 1);

      assertThat(p.proxy.activeHttpPort()).isEqualTo(port);
      assertThat(Clients.JDK_HTTP_1_1.get(p.http(), "/b/x").body())
          .contains("\"upstream\":\"b\"");
    }
  }

  @Test
  void aPolicyFileChangeIsReloaded() {
    ProxyFixture.write(dir.resolve("policy.yaml"), "version: 1\n");
    try (ProxyFixture p = ProxyFixture.start(dir, config("") + "policy: policy.yaml\n")) {
      int before = p.proxy.config().policy().detectors().size();

      ProxyFixture.write(dir.resolve("policy.yaml"), "version: 1\ndisable: [ip_address]\n");
      await().atMost(Duration.ofSeconds(10)).until(() -> reloads(p.proxy, "success") == 1);

      assertThat(p.proxy.config().policy().detectors().size()).isLessThan(before);
    }
  }
}
