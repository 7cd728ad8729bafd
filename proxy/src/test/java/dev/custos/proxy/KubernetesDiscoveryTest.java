package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import dev.custos.engine.config.ConfigException;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 part 4: a cluster's {@code kubernetes: { service, namespace, port }} takes its
 * endpoints from the Service's EndpointSlices on fabric8's mock API server (CRUD mode, with real
 * watches): endpoints that are added get traffic, removed and unready ones stop getting it, and
 * slices of other Services or without the port are ignored. Real proxy, real upstreams.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class KubernetesDiscoveryTest {
  @RegisterExtension
  static final ControlledUpstream a = new ControlledUpstream("a");
  @RegisterExtension
  static final ControlledUpstream b = new ControlledUpstream("b");

  KubernetesClient client;

  @TempDir
  Path dir;

  private CustosProxy proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    a.reset();
    b.reset();
  }

  private WebClient start(String kubernetes) {
    Path file = ProxyFixture.write(dir.resolve("custos.yaml"), """
        listen: 127.0.0.1:0
        findings: { file: off }
        routes:
          - match: { prefix: / }
            cluster: orders
        clusters:
          orders:
            kubernetes: %s
            connect_timeout: 1s
        """.formatted(kubernetes));
    proxy = CustosProxy.builder(ProxyConfig.load(file)).watch(false).kubernetesClient(client)
        .build().start();
    return WebClient.builder("http://127.0.0.1:" + proxy.activeHttpPort())
        .responseTimeout(Duration.ofSeconds(10)).build();
  }

  /** An EndpointSlice of a Service: endpoints as address → ready (null: condition absent). */
  private static EndpointSlice slice(String name, String service, String portName, int port,
      Map<String, Boolean> endpoints) {
    List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> list = new ArrayList<>();
    endpoints.forEach((address, ready) -> list.add(new EndpointBuilder()
        .withAddresses(address)
        .withNewConditions().withReady(ready).withServing(ready).withTerminating(false)
        .endConditions()
        .build()));
    return new EndpointSliceBuilder()
        .withNewMetadata().withName(name).withNamespace("shop")
        .addToLabels("kubernetes.io/service-name", service).endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName(portName).withPort(port).withProtocol("TCP").endPort()
        .withEndpoints(list)
        .build();
  }

  private static List<String> names(WebClient web, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      AggregatedHttpResponse r = web.get("/hit").aggregate().join();
      out.add(r.status().code() + ":" + r.contentUtf8().replace(":", ""));
    }
    return out;
  }

  private void put(EndpointSlice slice) {
    client.discovery().v1().endpointSlices().inNamespace("shop").resource(slice).createOr(
        existing -> existing.update());
  }

  @Test
  void readyEndpointsGetTrafficAndFollowTheSlicesAsTheyChange() {
    put(slice("orders-a", "orders", "http", a.httpPort(), Map.of("127.0.0.1", true)));
    WebClient web = start("{ service: orders, namespace: shop, port: http }");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(names(web, 4)).containsOnly("200:a"));

    // Added: a second slice of the same Service.
    put(slice("orders-b", "orders", "http", b.httpPort(), Map.of("127.0.0.1", true)));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(names(web, 6)).contains("200:a", "200:b"));

    // Turning unready: a's endpoint stays listed but is not ready (as while terminating).
    put(slice("orders-a", "orders", "http", a.httpPort(), Map.of("127.0.0.1", false)));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(names(web, 6)).containsOnly("200:b"));

    // Removed: b's slice goes; a comes back ready.
    put(slice("orders-a", "orders", "http", a.httpPort(), Map.of("127.0.0.1", true)));
    client.discovery().v1().endpointSlices().inNamespace("shop").withName("orders-b").delete();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(names(web, 6)).containsOnly("200:a"));
    assertThat(a.hits.get()).isPositive();
  }

  @Test
  void slicesOfOtherServicesOrWithoutThePortAreIgnoredAndAPortNumberMatchesTheTargetPort() {
    put(slice("payments-1", "payments", "http", b.httpPort(), Map.of("127.0.0.1", true)));
    put(slice("orders-grpc", "orders", "grpc", b.httpPort(), Map.of("127.0.0.1", true)));
    put(slice("orders-a", "orders", "web", a.httpPort(), Map.of("127.0.0.1", true)));
    WebClient web = start("{ service: orders, namespace: shop, port: " + a.httpPort() + " }");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(names(web, 6)).containsOnly("200:a"));
    assertThat(b.hits.get()).isZero();
  }

  @Test
  void anEndpointWithoutAReadyConditionCountsAsReady() {
    put(slice("orders-a", "orders", "http", a.httpPort(), java.util.Collections.singletonMap(
        "127.0.0.1", null)));
    WebClient web = start("{ service: orders, namespace: shop, port: http }");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(names(web, 2)).containsOnly("200:a"));
  }

  @Test
  void aServiceWithoutReadyEndpointsAnswers503AndRecoversWhenOneIsReady() {
    put(slice("orders-a", "orders", "http", a.httpPort(), Map.of("127.0.0.1", false)));
    WebClient web = start("{ service: orders, namespace: shop, port: http }");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(names(web, 1)).allMatch(s -> s.startsWith("503")));
    assertThat(a.hits.get()).isZero();
    put(slice("orders-a", "orders", "http", a.httpPort(), Map.of("127.0.0.1", true)));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(names(web, 2)).containsOnly("200:a"));
  }

  @Test
  void theConfigurationIsValidatedWithClearErrors() {
    String base = """
        listen: 127.0.0.1:0
        routes: [ { match: { prefix: / }, cluster: c } ]
        clusters:
          c:
        """;
    assertThatThrownBy(() -> ProxyConfig.parse(base + "    kubernetes: { service: Orders, port: http }\n",
        "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:5")
        .hasMessageContaining("service");
    assertThatThrownBy(() -> ProxyConfig.parse(base + "    kubernetes: { service: orders }\n",
        "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("port");
    assertThatThrownBy(() -> ProxyConfig.parse(
        base + "    kubernetes: { service: orders, port: 70000 }\n", "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("port");
    assertThatThrownBy(() -> ProxyConfig.parse(base
        + "    kubernetes: { service: orders, port: http }\n    endpoints: [127.0.0.1:80]\n",
        "custos.yaml", dir))
        .isInstanceOf(ConfigException.class);

    ProxyConfig ok = ProxyConfig.parse(
        base + "    kubernetes: { service: orders, namespace: shop, port: 8080 }\n",
        "custos.yaml", dir);
    assertThat(ok.clusters().get("c").options().kubernetes())
        .isEqualTo(new ClusterOptions.Kubernetes("orders", "shop", "8080"));
    assertThat(ok.clusters().get("c").endpoints()).isEmpty();
  }
}
