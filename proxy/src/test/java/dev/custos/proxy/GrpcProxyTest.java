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
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC through the real proxy: grpc-java clients and servers over h2c, unary and bidirectional
 * calls, gzip-compressed messages, observe, redact and block in both directions. The body is
 * walked as protobuf without a schema.
 */
class GrpcProxyTest {
  private static final String CARD = "4111 1111 1111 1111";
  private static final String MASKED = "**** **** **** ****";

  @TempDir
  Path dir;

  private GrpcPayments upstream;
  private ProxyFixture proxy;
  private ManagedChannel channel;

  @BeforeEach
  void startUpstream() {
    upstream = new GrpcPayments();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (proxy != null) {
      proxy.close();
    }
    upstream.close();
  }

  private void startProxy(String direction, String action) {
    proxy = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        routes:
          - name: grpc
            match: { prefix: / }
            cluster: payments
        clusters:
          payments: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
            - { name: cards, match: { direction: %s }, categories: [credit_card], action: %s }
        """.formatted(upstream.port(), direction, action));
    channel = Grpc.newChannelBuilderForAddress(
        "127.0.0.1", proxy.proxy.activeHttpPort(), InsecureChannelCredentials.create()).build();
  }

  @Test
  void aDescriptorSetNamesFieldsSoThatAFieldAllowlistApplies() throws Exception {
    java.nio.file.Files.write(dir.resolve("payments.pb"), GrpcPayments.descriptorSet());
    proxy = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        routes:
          - name: grpc
            match: { prefix: / }
            cluster: payments
            inspection: { grpc: { descriptor_set: payments.pb } }
        clusters:
          payments: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
            - name: cards
              match: { direction: request }
              categories: [credit_card]
              action: redact
              allowlist: { paths: [note] }
        """.formatted(upstream.port()));
    channel = Grpc.newChannelBuilderForAddress(
        "127.0.0.1", proxy.proxy.activeHttpPort(), InsecureChannelCredentials.create()).build();
    pay(GrpcPayments.payment("card " + CARD, CARD, "x"), CallOptions.DEFAULT);
    DynamicMessage received = upstream.received.get(0);
    assertThat(GrpcPayments.cardNumber(received)).as("$[0].card.number").isEqualTo(MASKED);
    assertThat(GrpcPayments.note(received)).as("$[0].note is allowed").isEqualTo("card " + CARD);
  }

  @Test
  void withoutADescriptorSetFieldsHaveNumbersAndTheAllowlistDoesNotApply() {
    proxy = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        routes:
          - name: grpc
            match: { prefix: / }
            cluster: payments
        clusters:
          payments: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
            - name: cards
              match: { direction: request }
              categories: [credit_card]
              action: redact
              allowlist: { paths: [note] }
        """.formatted(upstream.port()));
    channel = Grpc.newChannelBuilderForAddress(
        "127.0.0.1", proxy.proxy.activeHttpPort(), InsecureChannelCredentials.create()).build();
    pay(GrpcPayments.payment("card " + CARD, CARD, "x"), CallOptions.DEFAULT);
    assertThat(GrpcPayments.note(upstream.received.get(0))).isEqualTo("card " + MASKED);
  }

  @Test
  void aDescriptorSetThatIsNotOneIsAConfigurationError() throws Exception {
    java.nio.file.Files.writeString(dir.resolve("payments.pb"), "not a descriptor set");
    Path file = ProxyFixture.write(dir.resolve("custos.yaml"), """
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: payments
            inspection: { grpc: { descriptor_set: payments.pb } }
        clusters:
          payments: { endpoints: ["127.0.0.1:1"] }
        """);
    assertThatThrownBy(() -> ProxyConfig.load(file))
        .hasMessageContaining("custos.yaml:5:")
        .hasMessageContaining("descriptor_set")
        .hasMessageContaining("expected: the output of protoc --descriptor_set_out");
  }

  private DynamicMessage pay(DynamicMessage request, CallOptions options) {
    return ClientCalls.blockingUnaryCall(channel, GrpcPayments.PAY, options.withDeadlineAfter(20, TimeUnit.SECONDS),
        request);
  }

  private List<JsonNode> findings(int atLeast) {
    return JsonLinesFile.awaitLines(dir.resolve("findings.jsonl"), atLeast);
  }

  @Test
  void unaryCardObservedPassesUnchangedAndIsReported() {
    startProxy("request", "observe");
    DynamicMessage reply = pay(GrpcPayments.payment("hello", CARD, "x"), CallOptions.DEFAULT);
    assertThat(GrpcPayments.cardNumber(reply)).isEqualTo(CARD);
    assertThat(GrpcPayments.cardNumber(upstream.received.get(0))).isEqualTo(CARD);
    JsonNode event = findings(1).get(0);
    assertThat(event.get("categories").get("credit_card").asInt()).isEqualTo(1);
    assertThat(event.get("direction").asText()).isEqualTo("request");
    assertThat(event.get("protocol").asText()).isEqualTo("grpc");
  }

  @Test
  void unaryCardInARequestIsMaskedInPlaceAndTheMessageStillParses() {
    startProxy("request", "redact");
    pay(GrpcPayments.payment("note for 078-05-1120", CARD, "x"), CallOptions.DEFAULT);
    DynamicMessage received = upstream.received.get(0);
    assertThat(GrpcPayments.cardNumber(received)).isEqualTo(MASKED);
    assertThat(GrpcPayments.note(received)).isEqualTo("note for 078-05-1120");
  }

  @Test
  void gzipCompressedRequestIsInflatedRedactedAndRecompressed() {
    startProxy("request", "redact");
    pay(GrpcPayments.payment("compressed", CARD, "y".repeat(2000)), CallOptions.DEFAULT.withCompression("gzip"));
    DynamicMessage received = upstream.received.get(0);
    assertThat(GrpcPayments.cardNumber(received)).isEqualTo(MASKED);
    assertThat(GrpcPayments.note(received)).isEqualTo("compressed");
  }

  @Test
  void cardSplitAcrossTwoDataFramesIsMasked() {
    startProxy("request", "redact");
    // HTTP/2 frames carry at most 16 KiB: the card straddles the first frame's end.
    String padding = "p".repeat(40_000);
    DynamicMessage request = GrpcPayments.payment("n".repeat(16_360), CARD, padding);
    pay(request, CallOptions.DEFAULT);
    assertThat(GrpcPayments.cardNumber(upstream.received.get(0))).isEqualTo(MASKED);
    assertThat(GrpcPayments.note(upstream.received.get(0))).hasSize(16_360);
  }

  @Test
  void requestBlockReachesTheClientAsPermissionDenied() {
    startProxy("request", "block");
    assertThatThrownBy(() -> pay(GrpcPayments.payment("hello", CARD, "x"), CallOptions.DEFAULT))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).as("%s", e.getStatus()).isEqualTo(Status.Code.PERMISSION_DENIED);
          assertThat(e.getStatus().getDescription()).contains("rule cards").doesNotContain("4111");
        });
    assertThat(upstream.received).isEmpty();
    JsonNode event = findings(1).get(0);
    assertThat(event.get("blocked_by").asText()).isEqualTo("cards");
  }

  @Test
  void compressedMessageThatIsNotGzipTakesTheUninspectableDecision() throws InterruptedException {
    startProxy("request", "block");
    io.grpc.CompressorRegistry compressors = io.grpc.CompressorRegistry.newEmptyInstance();
    compressors.register(GrpcPayments.NOT_GZIP);
    ManagedChannel notGzip = Grpc.newChannelBuilderForAddress(
            "127.0.0.1", proxy.proxy.activeHttpPort(), InsecureChannelCredentials.create())
        .compressorRegistry(compressors).build();
    try {
      assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(notGzip, GrpcPayments.PAY,
              CallOptions.DEFAULT.withCompression("x-not-gzip").withDeadlineAfter(20, TimeUnit.SECONDS),
              GrpcPayments.payment("hidden", CARD, "x")))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(e.getStatus().getDescription()).contains("on_uninspectable");
          });
      assertThat(upstream.received).isEmpty();
      assertThat(findings(1).get(0).get("uninspectable").asText()).isEqualTo("grpc_message");
    } finally {
      notGzip.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void cleanUnaryCallPassesUnderABlockRule() {
    startProxy("request", "block");
    DynamicMessage reply = pay(GrpcPayments.payment("hello", "none", "x"), CallOptions.DEFAULT);
    assertThat(GrpcPayments.note(reply)).isEqualTo("hello");
  }

  @Test
  void compressedResponseIsRedactedForTheClient() {
    startProxy("response", "redact");
    upstream.compressResponses = true;
    upstream.responder = m -> GrpcPayments.payment("reply", CARD, "z".repeat(3000));
    DynamicMessage reply = pay(GrpcPayments.payment("hello", "none", "x"), CallOptions.DEFAULT);
    assertThat(GrpcPayments.cardNumber(reply)).isEqualTo(MASKED);
    assertThat(GrpcPayments.note(reply)).isEqualTo("reply");
  }

  @Test
  void responseBlockReachesTheClientAsPermissionDenied() {
    startProxy("response", "block");
    upstream.responder = m -> GrpcPayments.payment("reply", CARD, "z");
    assertThatThrownBy(() -> pay(GrpcPayments.payment("hello", "none", "x"), CallOptions.DEFAULT))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
    JsonNode event = findings(1).get(0);
    assertThat(event.get("direction").asText()).isEqualTo("response");
    assertThat(event.get("blocked_by").asText()).isEqualTo("cards");
  }

  /** A bidirectional call whose client waits for each answer before it sends the next message. */
  private static final class Chat implements StreamObserver<DynamicMessage> {
    final LinkedBlockingQueue<DynamicMessage> replies = new LinkedBlockingQueue<>();
    final CompletableFuture<Status> end = new CompletableFuture<>();

    @Override
    public void onNext(DynamicMessage value) {
      replies.add(value);
    }

    @Override
    public void onError(Throwable t) {
      end.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      end.complete(Status.OK);
    }

    DynamicMessage next() throws InterruptedException {
      DynamicMessage m = replies.poll(20, TimeUnit.SECONDS);
      assertThat(m).as("a reply within 20 s").isNotNull();
      return m;
    }
  }

  @Test
  void bidirectionalCallIsRedactedMessageByMessage() throws Exception {
    startProxy("request", "redact");
    Chat chat = new Chat();
    StreamObserver<DynamicMessage> requests = ClientCalls.asyncBidiStreamingCall(
        channel.newCall(GrpcPayments.CHAT, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)), chat);
    requests.onNext(GrpcPayments.payment("first", "none", "a"));
    assertThat(GrpcPayments.note(chat.next())).isEqualTo("first");
    requests.onNext(GrpcPayments.payment("second", CARD, "b"));
    assertThat(GrpcPayments.cardNumber(chat.next())).as("the echo of what the server got").isEqualTo(MASKED);
    requests.onNext(GrpcPayments.payment("third", "5500 0000 0000 0004", "c"));
    assertThat(GrpcPayments.cardNumber(chat.next())).isEqualTo(MASKED);
    requests.onCompleted();
    assertThat(chat.end.get(20, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
  }

  @Test
  void bidirectionalCallWithGzipIsRedactedBothWays() throws Exception {
    startProxy("response", "redact");
    upstream.compressResponses = true;
    Chat chat = new Chat();
    StreamObserver<DynamicMessage> requests = ClientCalls.asyncBidiStreamingCall(
        channel.newCall(GrpcPayments.CHAT,
            CallOptions.DEFAULT.withCompression("gzip").withDeadlineAfter(30, TimeUnit.SECONDS)), chat);
    requests.onNext(GrpcPayments.payment("first", CARD, "a"));
    assertThat(GrpcPayments.cardNumber(chat.next())).isEqualTo(MASKED);
    assertThat(GrpcPayments.cardNumber(upstream.received.get(0))).as("requests pass").isEqualTo(CARD);
    requests.onNext(GrpcPayments.payment("second", CARD, "b"));
    assertThat(GrpcPayments.cardNumber(chat.next())).isEqualTo(MASKED);
    requests.onCompleted();
    assertThat(chat.end.get(20, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
  }

  @Test
  void bidirectionalRequestBlockEndsTheCallWithPermissionDenied() throws Exception {
    startProxy("request", "block");
    Chat chat = new Chat();
    StreamObserver<DynamicMessage> requests = ClientCalls.asyncBidiStreamingCall(
        channel.newCall(GrpcPayments.CHAT, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)), chat);
    requests.onNext(GrpcPayments.payment("first", "none", "a"));
    assertThat(GrpcPayments.note(chat.next())).isEqualTo("first");
    requests.onNext(GrpcPayments.payment("second", CARD, "b"));
    Status end = chat.end.get(20, TimeUnit.SECONDS);
    assertThat(end.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    await().atMost(Duration.ofSeconds(5)).until(() -> !findings(1).isEmpty());
    assertThat(upstream.received).extracting(GrpcPayments::note).containsExactly("first");
  }

  @Test
  void bidirectionalResponseBlockEndsTheCallWithPermissionDenied() throws Exception {
    startProxy("response", "block");
    upstream.responder = m -> GrpcPayments.note(m).equals("second") ? GrpcPayments.payment("r", CARD, "") : m;
    Chat chat = new Chat();
    StreamObserver<DynamicMessage> requests = ClientCalls.asyncBidiStreamingCall(
        channel.newCall(GrpcPayments.CHAT, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)), chat);
    requests.onNext(GrpcPayments.payment("first", "none", "a"));
    assertThat(GrpcPayments.note(chat.next())).isEqualTo("first");
    requests.onNext(GrpcPayments.payment("second", "none", "b"));
    Status end = chat.end.get(20, TimeUnit.SECONDS);
    assertThat(end.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(chat.replies).isEmpty();
  }
}
