package dev.custos.proxy.extproc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custos.engine.Direction;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.ProxyConfig;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code custos ext-proc} driven by a grpc-java client that replays Envoy's message sequence for
 * a request and its response, in the {@code STREAMED} and {@code BUFFERED} body modes.
 */
class ExtProcServerTest {
  private static final String CARD = "4111 1111 1111 1111";
  private static final String MASKED = "**** **** **** ****";

  private final ConcurrentLinkedQueue<FindingsEvent> events = new ConcurrentLinkedQueue<>();
  private ExtProcServer server;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
  }

  /** Starts a server whose one rule acts on cards in {@code direction} with {@code action}. */
  private void start(String direction, String action) {
    ProxyConfig config = ProxyConfig.parse(yaml(direction, action), "custos.yaml", Path.of("."));
    start(config);
  }

  private void start(ProxyConfig config) {
    server = ExtProcServer.builder(config)
        .listen(new InetSocketAddress("127.0.0.1", 0))
        .findingsSink(events::add)
        .reloadInterval(Duration.ofMillis(50))
        .build()
        .start();
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        InsecureChannelCredentials.create()).build();
  }

  private static String yaml(String direction, String action) {
    return """
        listen: 127.0.0.1:0
        findings: { file: off }
        routes:
          - name: health
            match: { prefix: /health }
            cluster: u
            inspection: { enabled: false }
          - name: api
            match: { prefix: /api }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:9"] }
        policy:
          version: 1
          rules:
            - { name: card rule, match: { direction: %s }, categories: [credit_card], action: %s }
        """.formatted(direction, action);
  }

  private static String[] jsonPost(String path) {
    return new String[] {":method", "POST", ":path", path, ":authority", "shop.example",
        ":scheme", "http", "content-type", "application/json"};
  }

  private static String[] jsonOk() {
    return new String[] {":status", "200", "content-type", "application/json",
        "content-length", "64"};
  }

  /** Returns the bytes that go on for a body chunk: its mutation, or the chunk unchanged. */
  private static String bodyOut(CommonResponse r, String chunk) {
    if (!r.hasBodyMutation()) {
      return chunk;
    }
    return r.getBodyMutation().getClearBody() ? ""
        : r.getBodyMutation().getBody().toString(StandardCharsets.UTF_8);
  }

  @Test
  void observeInStreamedModeChangesNothingAndSendsAFindingsEvent() {
    start("request", "observe");
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      ProcessingResponse h = envoy.requestHeaders(false, jsonPost("/api/orders?x=1"));
      assertThat(h.hasRequestHeaders()).isTrue();
      assertThat(h.getRequestHeaders().getResponse().getStatus())
          .isEqualTo(CommonResponse.ResponseStatus.CONTINUE);
      assertThat(h.getRequestHeaders().getResponse().hasHeaderMutation()).isFalse();
      ProcessingResponse b1 = envoy.requestBody("{\"card\":\"" + CARD, false);
      ProcessingResponse b2 = envoy.requestBody("\"}", true);
      assertThat(b1.getRequestBody().getResponse().hasBodyMutation()).isFalse();
      assertThat(b2.getRequestBody().getResponse().hasBodyMutation()).isFalse();
      ProcessingResponse rh = envoy.responseHeaders(false, jsonOk());
      assertThat(rh.hasResponseHeaders()).isTrue();
      ProcessingResponse rb = envoy.responseBody("{\"ok\":true}", true);
      assertThat(rb.getResponseBody().getResponse().hasBodyMutation()).isFalse();
      envoy.complete();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> !events.isEmpty());
    FindingsEvent e = events.peek();
    assertThat(e.protocol()).isEqualTo("ext_proc");
    assertThat(e.route()).isEqualTo("api");
    assertThat(e.direction()).isEqualTo(Direction.REQUEST);
    assertThat(e.categories()).containsEntry("credit_card", 1);
    assertThat(e.actions()).containsExactly("observe");
    assertThat(e.blockedBy()).isNull();
    assertThat(e.toString()).doesNotContain("4111");
    assertThat(server.meterRegistry().find("custos.findings")
        .tags("route", "api", "category", "credit_card").counter()).isNotNull();
  }

  @Test
  void redactInBufferedModeRewritesTheWholeBodyAndDropsItsLength() {
    start("response", "redact");
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      envoy.requestHeaders(true, ":method", "GET", ":path", "/api/cards/1",
          ":authority", "shop.example");
      ProcessingResponse rh = envoy.responseHeaders(false, jsonOk());
      HeaderMutation m = rh.getResponseHeaders().getResponse().getHeaderMutation();
      assertThat(m.getRemoveHeadersList()).containsExactly("content-length");
      String body = "{\"name\":\"Ada\",\"card\":\"" + CARD + "\"}";
      ProcessingResponse rb = envoy.responseBody(body, true);
      CommonResponse r = rb.getResponseBody().getResponse();
      assertThat(r.hasBodyMutation()).isTrue();
      String out = bodyOut(r, body);
      assertThat(out).isEqualTo("{\"name\":\"Ada\",\"card\":\"" + MASKED + "\"}");
      envoy.complete();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> !events.isEmpty());
    FindingsEvent e = events.peek();
    assertThat(e.direction()).isEqualTo(Direction.RESPONSE);
    assertThat(e.actions()).containsExactly("redact");
    assertThat(e.protocol()).isEqualTo("ext_proc");
  }

  @Test
  void blockInBufferedModeAnswersAnImmediate403() throws Exception {
    start("request", "block");
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      envoy.requestHeaders(false, jsonPost("/api/pay"));
      ProcessingResponse b = envoy.requestBody("{\"card\":\"" + CARD + "\"}", true);
      assertThat(b.hasImmediateResponse()).isTrue();
      ImmediateResponse ir = b.getImmediateResponse();
      assertThat(ir.getStatus().getCodeValue()).isEqualTo(403);
      assertThat(new ObjectMapper().readTree(ir.getBody().toStringUtf8()).toString())
          .isEqualTo("{\"error\":\"blocked\",\"rule\":\"card rule\"}");
      assertThat(ir.getHeaders().getSetHeadersList()).extracting(o -> o.getHeader().getKey())
          .contains("content-type");
      assertThat(ir.toString()).doesNotContain("4111");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> !events.isEmpty());
    FindingsEvent e = events.peek();
    assertThat(e.blockedBy()).isEqualTo("card rule");
    assertThat(e.stage()).isEqualTo("before_upstream");
    assertThat(e.actions()).containsExactly("block");
  }

  @Test
  void blockOfAGrpcRequestAnswersStatusPermissionDenied() {
    start("request", "block");
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      envoy.requestHeaders(false, ":method", "POST", ":path", "/api.Payments/Pay",
          ":authority", "payments", "content-type", "application/grpc", "te", "trailers");
      // Field 1, length-delimited, 19 bytes: the card.
      byte[] card = CARD.getBytes(StandardCharsets.UTF_8);
      byte[] message = new byte[2 + card.length];
      message[0] = 0x0a;
      message[1] = (byte) card.length;
      System.arraycopy(card, 0, message, 2, card.length);
      byte[] framed = new byte[5 + message.length];
      framed[4] = (byte) message.length;
      System.arraycopy(message, 0, framed, 5, message.length);
      ProcessingResponse b = envoy.send(ProcessingRequest.newBuilder().setRequestBody(
          io.envoyproxy.envoy.service.ext_proc.v3.HttpBody.newBuilder()
              .setBody(com.google.protobuf.ByteString.copyFrom(framed)).setEndOfStream(true))
          .build());
      assertThat(b.hasImmediateResponse()).isTrue();
      assertThat(b.getImmediateResponse().getGrpcStatus().getStatus())
          .isEqualTo(Status.Code.PERMISSION_DENIED.value());
      assertThat(b.getImmediateResponse().getBody().toStringUtf8()).contains("card rule");
      assertThat(b.getImmediateResponse().getDetails()).isEqualTo("custos_blocked_before_upstream");
    }
  }

  /** Returns one gRPC message (uncompressed) whose field 1 is {@code text}. */
  private static byte[] grpcFrame(String text) {
    byte[] value = text.getBytes(StandardCharsets.UTF_8);
    byte[] framed = new byte[5 + 2 + value.length];
    framed[4] = (byte) (2 + value.length);
    framed[5] = 0x0a;
    framed[6] = (byte) value.length;
    System.arraycopy(value, 0, framed, 7, value.length);
    return framed;
  }

  @Test
  void aStreamedGrpcResponseIsRedactedMessageByMessageBeforeItsTrailers() {
    start("response", "redact");
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      envoy.requestHeaders(false, ":method", "POST", ":path", "/api.Cards/Get",
          ":authority", "cards", "content-type", "application/grpc", "te", "trailers");
      envoy.send(ProcessingRequest.newBuilder().setRequestBody(
          io.envoyproxy.envoy.service.ext_proc.v3.HttpBody.newBuilder()
              .setBody(com.google.protobuf.ByteString.copyFrom(grpcFrame("card 1")))
              .setEndOfStream(true)).build());
      envoy.responseHeaders(false, ":status", "200", "content-type", "application/grpc");
      byte[] framed = grpcFrame(CARD);
      ProcessingResponse b = envoy.send(ProcessingRequest.newBuilder().setResponseBody(
          io.envoyproxy.envoy.service.ext_proc.v3.HttpBody.newBuilder()
              .setBody(com.google.protobuf.ByteString.copyFrom(framed))).build());
      CommonResponse r = b.getResponseBody().getResponse();
      assertThat(r.hasBodyMutation()).isTrue();
      assertThat(r.getBodyMutation().getBody().toByteArray())
          .isEqualTo(grpcFrame(MASKED));
      ProcessingResponse t = envoy.responseTrailers("grpc-status", "0");
      assertThat(t.hasResponseTrailers()).isTrue();
      envoy.complete();
    }
  }

  @Test
  void aCardSplitBetweenTwoGrpcMessagesHoldsNoAnswerAndMasksTheSecondPart() {
    start("response", "redact");
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      envoy.requestHeaders(true, ":method", "POST", ":path", "/api.Cards/Stream",
          ":authority", "cards", "content-type", "application/grpc", "te", "trailers");
      envoy.responseHeaders(false, ":status", "200", "content-type", "application/grpc");
      // The first message's text ends in digits that may go on: Envoy still gets its answer now.
      ProcessingResponse first = envoy.send(ProcessingRequest.newBuilder().setResponseBody(
          io.envoyproxy.envoy.service.ext_proc.v3.HttpBody.newBuilder()
              .setBody(com.google.protobuf.ByteString.copyFrom(grpcFrame("card 4111 1111")))).build());
      assertThat(first.getResponseBody().getResponse().hasBodyMutation()).as("the message as it came").isFalse();
      ProcessingResponse second = envoy.send(ProcessingRequest.newBuilder().setResponseBody(
          io.envoyproxy.envoy.service.ext_proc.v3.HttpBody.newBuilder()
              .setBody(com.google.protobuf.ByteString.copyFrom(grpcFrame(" 1111 1111 ok")))).build());
      assertThat(second.getResponseBody().getResponse().getBodyMutation().getBody().toByteArray())
          .isEqualTo(grpcFrame(" **** **** ok"));
      envoy.responseTrailers("grpc-status", "0");
      envoy.complete();
    }
  }

  @Test
  void cardSplitAcrossTwoStreamedChunksIsRedactedWithoutLeakingEitherHalf() {
    start("request", "redact");
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      envoy.requestHeaders(false, ":method", "POST", ":path", "/api/notes",
          ":authority", "shop.example", "content-type", "text/plain");
      String first = "pay with 4111 1111 ";
      String second = "1111 1111 today, thanks";
      String out1 = bodyOut(envoy.requestBody(first, false).getRequestBody().getResponse(), first);
      assertThat(out1).doesNotContain("4111");
      String out2 = bodyOut(envoy.requestBody(second, true).getRequestBody().getResponse(),
          second);
      assertThat(out1 + out2).isEqualTo("pay with " + MASKED + " today, thanks");
      envoy.complete();
    }
  }

  @Test
  void everySplitOfAStreamedBodyGivesTheBufferedResult() {
    start("request", "redact");
    String body = "{\"order\":7,\"card\":\"" + CARD + "\",\"note\":\"and " + "5500 0000 0000 0004"
        + " as a spare\"}";
    String buffered;
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      envoy.requestHeaders(false, jsonPost("/api/orders"));
      buffered = bodyOut(envoy.requestBody(body, true).getRequestBody().getResponse(), body);
      envoy.complete();
    }
    assertThat(buffered).doesNotContain("4111").doesNotContain("5500 0000");
    Random random = new Random(20261207L);
    for (int trial = 0; trial < 25; trial++) {
      List<String> chunks = new ArrayList<>();
      int at = 0;
      while (at < body.length()) {
        int n = 1 + random.nextInt(Math.min(12, body.length() - at));
        chunks.add(body.substring(at, at + n));
        at += n;
      }
      StringBuilder streamed = new StringBuilder();
      try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
        envoy.requestHeaders(false, jsonPost("/api/orders"));
        for (int i = 0; i < chunks.size(); i++) {
          String c = chunks.get(i);
          streamed.append(bodyOut(envoy.requestBody(c, i == chunks.size() - 1)
              .getRequestBody().getResponse(), c));
        }
        envoy.complete();
      }
      assertThat(streamed.toString()).as("chunks %s", chunks.size()).isEqualTo(buffered);
    }
  }

  @Test
  void headersAndTrailersAreRedactedByMutations() {
    start("request", "redact");
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      ProcessingResponse h = envoy.requestHeaders(false, ":method", "POST", ":path", "/api/x",
          ":authority", "shop.example", "content-type", "application/grpc", "x-card", CARD);
      List<HeaderValueOption> set = h.getRequestHeaders().getResponse().getHeaderMutation()
          .getSetHeadersList();
      assertThat(set).anySatisfy(o -> {
        assertThat(o.getHeader().getKey()).isEqualTo("x-card");
        assertThat(o.getHeader().getRawValue().toStringUtf8()).isEqualTo(MASKED);
      });
      // A gRPC body holds nothing back once a message is whole: nothing waits for the trailers.
      ProcessingResponse b = envoy.send(ProcessingRequest.newBuilder().setRequestBody(
          io.envoyproxy.envoy.service.ext_proc.v3.HttpBody.newBuilder()
              .setBody(com.google.protobuf.ByteString.copyFrom(grpcFrame("nothing here"))))
          .build());
      assertThat(b.getRequestBody().getResponse().hasBodyMutation()).isFalse();
      ProcessingResponse t = envoy.requestTrailers("x-trailer-card", CARD);
      assertThat(t.hasRequestTrailers()).isTrue();
      assertThat(t.getRequestTrailers().getHeaderMutation().getSetHeadersList())
          .anySatisfy(o -> {
            assertThat(o.getHeader().getKey()).isEqualTo("x-trailer-card");
            assertThat(o.getHeader().getRawValue().toStringUtf8()).isEqualTo(MASKED);
          });
      envoy.complete();
    }
  }

  @Test
  void bytesHeldBackWhenTrailersEndTheBodyEndTheStreamRatherThanBeingDropped() {
    start("request", "redact");
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      envoy.requestHeaders(false, ":method", "POST", ":path", "/api/x",
          ":authority", "shop.example", "content-type", "text/plain");
      // Text may go on into the next chunk: its tail is held back, and no chunk follows.
      String out = bodyOut(envoy.requestBody("call 555", false).getRequestBody().getResponse(),
          "call 555");
      assertThat(out).isNotEqualTo("call 555");
      Object end = envoy.sendExpectingAnything(ProcessingRequest.newBuilder().setRequestTrailers(
          io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers.newBuilder()
              .setTrailers(EnvoyReplay.headers("x-checksum", "abc"))).build());
      assertThat(end).isInstanceOf(EnvoyReplay.Ended.class);
      Status s = Status.fromThrowable(((EnvoyReplay.Ended) end).error());
      assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(s.getDescription()).contains("bytes of the request body that were held back")
          .doesNotContain("555");
    }
  }

  @Test
  void emptyTrailersAfterABodyThatEndedAreAnsweredUnchanged() {
    start("request", "redact");
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      envoy.requestHeaders(false, jsonPost("/api/x"));
      envoy.requestBody("{\"a\":1}", true);
      ProcessingResponse t = envoy.requestTrailers();
      assertThat(t.hasRequestTrailers()).isTrue();
      assertThat(t.getRequestTrailers().hasHeaderMutation()).isFalse();
      envoy.responseHeaders(true, ":status", "204");
      envoy.complete();
    }
  }

  @Test
  void aRouteWithInspectionOffOrNoRouteIsLetThroughUntouched() {
    start("request", "block");
    for (String path : new String[] {"/health", "/elsewhere"}) {
      try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
        envoy.requestHeaders(false, jsonPost(path));
        ProcessingResponse b = envoy.requestBody("{\"card\":\"" + CARD + "\"}", true);
        assertThat(b.hasRequestBody()).isTrue();
        assertThat(b.getRequestBody().getResponse().hasBodyMutation()).isFalse();
        envoy.complete();
      }
    }
    assertThat(events).isEmpty();
    assertThat(server.meterRegistry().get("custos.ext_proc.uninspected").counter().count())
        .isEqualTo(2.0);
  }

  @Test
  void aChangedConfigurationFileInspectsTheNextExchanges(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("custos.yaml");
    Files.writeString(file, yaml("request", "observe"));
    start(ProxyConfig.load(file));
    String body = "{\"card\":\"" + CARD + "\"}";
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      envoy.requestHeaders(false, jsonPost("/api/pay"));
      assertThat(envoy.requestBody(body, true).getRequestBody().getResponse().hasBodyMutation())
          .isFalse();
      envoy.complete();
    }
    Files.writeString(file, yaml("request", "redact"));
    await().atMost(Duration.ofSeconds(20)).until(() ->
        server.config().policy().rules().get(0).action() == dev.custos.engine.Action.REDACT);
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      envoy.requestHeaders(false, jsonPost("/api/pay"));
      assertThat(bodyOut(envoy.requestBody(body, true).getRequestBody().getResponse(), body))
          .isEqualTo("{\"card\":\"" + MASKED + "\"}");
      envoy.complete();
    }
  }

  @Test
  void aMessageOutOfOrderEndsTheStreamWithAClearError() {
    start("request", "observe");
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      Object end = envoy.sendExpectingAnything(ProcessingRequest.newBuilder().setRequestBody(
          io.envoyproxy.envoy.service.ext_proc.v3.HttpBody.newBuilder().setEndOfStream(true))
          .build());
      assertThat(end).isInstanceOf(EnvoyReplay.Ended.class);
      Status s = Status.fromThrowable(((EnvoyReplay.Ended) end).error());
      assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(s.getDescription())
          .isEqualTo("ext_proc: request_body out of order (expected: request_headers first)");
    }
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      envoy.requestHeaders(true, ":method", "GET", ":path", "/api/x", ":authority", "a");
      Object end = envoy.sendExpectingAnything(ProcessingRequest.newBuilder().setRequestBody(
          io.envoyproxy.envoy.service.ext_proc.v3.HttpBody.newBuilder().setEndOfStream(true))
          .build());
      Status s = Status.fromThrowable(((EnvoyReplay.Ended) end).error());
      assertThat(s.getDescription()).isEqualTo(
          "ext_proc: request_body out of order (expected: request_trailers, response_headers)");
    }
    try (EnvoyReplay envoy = new EnvoyReplay(channel)) {
      Object end = envoy.sendExpectingAnything(ProcessingRequest.newBuilder().setRequestHeaders(
          io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders.newBuilder()
              .setHeaders(EnvoyReplay.headers(":method", "GET"))).build());
      Status s = Status.fromThrowable(((EnvoyReplay.Ended) end).error());
      assertThat(s.getDescription()).startsWith("ext_proc: request_headers without :path");
    }
    assertThat(server.meterRegistry().get("custos.ext_proc.bad_sequence").counter().count())
        .isEqualTo(3.0);
  }
}
