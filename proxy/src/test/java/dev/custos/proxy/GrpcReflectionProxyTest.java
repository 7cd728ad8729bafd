package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.DynamicMessage;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC descriptors fetched from the upstream by server reflection, through the real proxy: a
 * grpc-java server offering {@code grpc.reflection.v1} (or only {@code v1alpha}, or neither), a
 * grpc-java client calling through the proxy, and the findings events' paths telling whether the
 * messages were read with field names or field numbers.
 */
class GrpcReflectionProxyTest {
  private static final String CARD = "4111 1111 1111 1111";

  @TempDir
  Path dir;

  private GrpcPayments upstream;
  private ProxyFixture proxy;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (proxy != null) {
      proxy.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  private void start(GrpcPayments.Reflection reflection, String grpc) {
    upstream = new GrpcPayments(reflection);
    proxy = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        routes:
          - name: grpc
            match: { prefix: / }
            cluster: payments
            inspection: { grpc: %s }
        clusters:
          payments: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
            - { name: cards, match: { direction: request }, categories: [credit_card], action: observe }
        """.formatted(grpc, upstream.port()));
    channel = Grpc.newChannelBuilderForAddress(
        "127.0.0.1", proxy.proxy.activeHttpPort(), InsecureChannelCredentials.create()).build();
  }

  private DynamicMessage pay() {
    return ClientCalls.blockingUnaryCall(channel, GrpcPayments.PAY,
        CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS),
        GrpcPayments.payment("hello", CARD, "x"));
  }

  private List<String> paths() {
    List<String> out = new ArrayList<>();
    for (JsonNode event : JsonLinesFile.lines(dir.resolve("findings.jsonl"))) {
      event.path("paths").forEach(p -> out.add(p.asText()));
    }
    return out;
  }

  private double reflections(String outcome) {
    var counter = proxy.proxy.meterRegistry().find("custos_grpc_reflection")
        .tags("cluster", "payments", "outcome", outcome).counter();
    return counter == null ? 0 : counter.count();
  }

  @Test
  void fieldNamesFetchedByReflectionV1AppearInFindingsPaths() {
    start(GrpcPayments.Reflection.V1, "{ reflection: true }");
    // The first calls may be read without a schema while the fetch runs; none waits for it.
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      assertThat(GrpcPayments.cardNumber(pay())).isEqualTo(CARD);
      assertThat(paths()).contains("$[0].card.number");
    });
    assertThat(paths()).allMatch(p -> p.equals("$[0].card.number") || p.equals("$[0].2.1"));
    assertThat(reflections("fetched")).isEqualTo(1);
    assertThat(reflections("failed") + reflections("unavailable")).isZero();
  }

  @Test
  void aServerWithOnlyV1alphaReflectionIsAskedThat() {
    start(GrpcPayments.Reflection.V1ALPHA, "{ reflection: { timeout: 3s, refresh: 10m } }");
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      pay();
      assertThat(paths()).contains("$[0].card.number");
    });
    assertThat(reflections("fetched")).isEqualTo(1);
  }

  @Test
  void withoutReflectionOnTheServerMessagesAreReadWithoutASchema() {
    start(GrpcPayments.Reflection.NONE, "{ reflection: true }");
    for (int i = 0; i < 3; i++) {
      assertThat(GrpcPayments.cardNumber(pay())).isEqualTo(CARD);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> reflections("unavailable") == 1);
    assertThat(GrpcPayments.cardNumber(pay())).isEqualTo(CARD);
    JsonLinesFile.awaitLines(dir.resolve("findings.jsonl"), 4);
    assertThat(paths()).containsOnly("$[0].2.1");
    assertThat(reflections("unavailable")).as("asked once per refresh").isEqualTo(1);
    assertThat(upstream.received).hasSize(4);
  }

  @Test
  void reflectionWithADescriptorSetIsAConfigurationError() throws Exception {
    Files.write(dir.resolve("payments.pb"), GrpcPayments.descriptorSet());
    Path file = ProxyFixture.write(dir.resolve("custos.yaml"), """
        listen: 127.0.0.1:0
        routes:
          - name: grpc
            match: { prefix: / }
            cluster: payments
            inspection: { grpc: { descriptor_set: payments.pb, reflection: true } }
        clusters:
          payments: { endpoints: ["127.0.0.1:1"] }
        """);
    assertThatThrownBy(() -> ProxyConfig.load(file))
        .hasMessageContaining("custos.yaml:6:")
        .hasMessageContaining("reflection with descriptor_set (expected: one of them");
  }

  @Test
  void aZeroRefreshIsAConfigurationError() {
    Path file = ProxyFixture.write(dir.resolve("custos.yaml"), """
        listen: 127.0.0.1:0
        routes:
          - name: grpc
            match: { prefix: / }
            cluster: payments
            inspection: { grpc: { reflection: { refresh: 0s } } }
        clusters:
          payments: { endpoints: ["127.0.0.1:1"] }
        """);
    assertThatThrownBy(() -> ProxyConfig.load(file))
        .hasMessageContaining("custos.yaml:6:")
        .hasMessageContaining("expected: durations above 0");
  }
}
