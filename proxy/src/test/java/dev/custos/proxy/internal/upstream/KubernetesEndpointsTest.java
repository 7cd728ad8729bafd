package dev.custos.proxy.internal.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which endpoints of some EndpointSlices a cluster uses: ready ones (an absent condition counts
 * as ready, as Kubernetes says), on the slice port named or numbered as configured, each address
 * once, FQDN slices by name, and IP addresses under the TLS server name when one is set.
 */
class KubernetesEndpointsTest {
  private static io.fabric8.kubernetes.api.model.discovery.v1.Endpoint endpoint(Boolean ready,
      String... addresses) {
    return new EndpointBuilder().withAddresses(addresses)
        .withNewConditions().withReady(ready).endConditions().build();
  }

  private static EndpointSlice slice(String name, String type, String portName, Integer port,
      io.fabric8.kubernetes.api.model.discovery.v1.Endpoint... endpoints) {
    return new EndpointSliceBuilder().withNewMetadata().withName(name).endMetadata()
        .withAddressType(type)
        .addNewPort().withName(portName).withPort(port).endPort()
        .withEndpoints(endpoints).build();
  }

  @Test
  void readyAndUnknownEndpointsCountUnreadyOnesDoNot() {
    EndpointSlice s = slice("a", "IPv4", "http", 8080, endpoint(true, "10.0.0.1"),
        endpoint(false, "10.0.0.2"), endpoint(null, "10.0.0.3"));
    assertThat(KubernetesEndpointGroup.endpoints(List.of(s), "http", null))
        .containsExactly(Endpoint.of("10.0.0.1", 8080), Endpoint.of("10.0.0.3", 8080));
  }

  @Test
  void thePortMatchesByNameOrByNumberAndSlicesWithoutItAreSkipped() {
    EndpointSlice web = slice("a", "IPv4", "http", 8080, endpoint(true, "10.0.0.1"));
    EndpointSlice grpc = slice("b", "IPv4", "grpc", 9090, endpoint(true, "10.0.0.2"));
    assertThat(KubernetesEndpointGroup.endpoints(List.of(web, grpc), "grpc", null))
        .containsExactly(Endpoint.of("10.0.0.2", 9090));
    assertThat(KubernetesEndpointGroup.endpoints(List.of(web, grpc), "8080", null))
        .containsExactly(Endpoint.of("10.0.0.1", 8080));
    assertThat(KubernetesEndpointGroup.endpoints(List.of(web, grpc), "metrics", null)).isEmpty();
  }

  @Test
  void anAddressInTwoSlicesIsUsedOnceInAStableOrder() {
    EndpointSlice b = slice("b", "IPv4", "http", 8080, endpoint(true, "10.0.0.2", "10.0.0.1"));
    EndpointSlice a = slice("a", "IPv4", "http", 8080, endpoint(true, "10.0.0.1"));
    assertThat(KubernetesEndpointGroup.endpoints(List.of(b, a), "http", null))
        .containsExactly(Endpoint.of("10.0.0.1", 8080), Endpoint.of("10.0.0.2", 8080));
  }

  @Test
  void ipv6AndFqdnSlicesAndATlsServerName() {
    EndpointSlice v6 = slice("a", "IPv6", "https", 8443, endpoint(true, "fd00::1"));
    EndpointSlice fqdn = slice("b", "FQDN", "https", 8443, endpoint(true, "orders.example"));
    assertThat(KubernetesEndpointGroup.endpoints(List.of(v6, fqdn), "https", "orders.shop.svc"))
        .containsExactly(Endpoint.of("orders.shop.svc", 8443).withIpAddr("fd00::1"),
            Endpoint.of("orders.example", 8443));
  }

  @Test
  void aSliceWithoutEndpointsOrPortsGivesNothing() {
    EndpointSlice empty = new EndpointSliceBuilder().withNewMetadata().withName("e").endMetadata()
        .withAddressType("IPv4").build();
    assertThat(KubernetesEndpointGroup.endpoints(List.of(empty), "http", null)).isEmpty();
  }
}
