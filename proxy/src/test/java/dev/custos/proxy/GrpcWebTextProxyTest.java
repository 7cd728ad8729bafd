package dev.custos.proxy;

import static dev.custos.proxy.JsonLinesFile.awaitLines;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC-Web text ({@code application/grpc-web-text}) through the real proxy: base64 of gRPC-Web
 * framing, one padded group per message, sent in chunks of 5 bytes so that quanta straddle them.
 * Redaction re-encodes in place (the upstream gets a body of the same length that decodes to
 * valid framing with the card masked), a block answers gRPC status 7, and findings events carry
 * the field names the route's descriptor set gives.
 */
class GrpcWebTextProxyTest {
  private static final String CARD = "4111 1111 1111 1111";
  private static final String TYPE = "application/grpc-web-text+proto";

  @RegisterExtension
  static final Upstream upstream = new Upstream("u");

  @TempDir
  static Path dir;

  static ProxyFixture fixture;

  @BeforeAll
  static void startProxy() throws Exception {
    Files.write(dir.resolve("payments.pb"), GrpcPayments.descriptorSet());
    fixture = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        findings: { file: events.jsonl }
        routes:
          - match: { prefix: / }
            cluster: u
            inspection: { grpc: { descriptor_set: payments.pb } }
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
            - { name: cards are masked, match: { direction: request, paths: ["/echo/redact/**"] }, categories: [credit_card], action: redact, redact: { style: mask } }
            - { name: cards are blocked, match: { direction: request, paths: ["/echo/block/**"] }, categories: [credit_card], action: block }
            - { name: cards are seen, match: { direction: request, paths: ["/custos.test.Payments/**"] }, categories: [credit_card], action: observe }
        """.formatted(upstream.httpPort()));
  }

  @AfterAll
  static void stopProxy() {
    fixture.close();
  }

  /** Returns one gRPC-Web frame of a message (flag 0). */
  private static byte[] frame(byte[] message) {
    byte[] out = new byte[5 + message.length];
    out[1] = (byte) (message.length >>> 24);
    out[2] = (byte) (message.length >>> 16);
    out[3] = (byte) (message.length >>> 8);
    out[4] = (byte) message.length;
    System.arraycopy(message, 0, out, 5, message.length);
    return out;
  }

  /** Two messages, each base64-encoded on its own (padded groups). */
  private static String body() {
    byte[] first = frame(GrpcPayments.payment("hi", CARD, "x").toByteArray());
    byte[] second = frame(GrpcPayments.payment("again", "5555 5555 5555 4444", "yy").toByteArray());
    return Base64.getEncoder().encodeToString(first) + Base64.getEncoder().encodeToString(second);
  }

  private static HttpResponse<String> send(String path) throws Exception {
    byte[] bytes = body().getBytes(StandardCharsets.US_ASCII);
    List<java.nio.ByteBuffer> chunks = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += 5) {
      chunks.add(java.nio.ByteBuffer.wrap(bytes, i, Math.min(5, bytes.length - i)).slice());
    }
    HttpRequest req = HttpRequest.newBuilder(URI.create(fixture.http() + path))
        .header("content-type", TYPE)
        .POST(HttpRequest.BodyPublishers.fromPublisher(
            (Flow.Subscriber<? super java.nio.ByteBuffer> s) -> {
              java.util.concurrent.SubmissionPublisher<java.nio.ByteBuffer> p =
                  new java.util.concurrent.SubmissionPublisher<>();
              p.subscribe(s);
              chunks.forEach(p::submit);
              p.close();
            }, bytes.length))
        .build();
    return HttpClient.newHttpClient().send(req, BodyHandlers.ofString());
  }

  /** Returns the messages of a gRPC-Web text body: its groups decoded one by one, then unframed. */
  private static List<com.google.protobuf.DynamicMessage> messages(String text) throws Exception {
    java.io.ByteArrayOutputStream framed = new java.io.ByteArrayOutputStream();
    int i = 0;
    while (i < text.length()) {
      int end = i;
      // A group ends after its padding, or at the end of the body.
      while (end < text.length() && text.charAt(end) != '=') {
        end++;
      }
      while (end < text.length() && text.charAt(end) == '=') {
        end++;
      }
      framed.writeBytes(Base64.getDecoder().decode(text.substring(i, end)));
      i = end;
    }
    byte[] bytes = framed.toByteArray();
    List<com.google.protobuf.DynamicMessage> out = new ArrayList<>();
    int at = 0;
    while (at < bytes.length) {
      assertThat(bytes[at]).as("flag byte").isZero();
      int length = ((bytes[at + 1] & 0xff) << 24) | ((bytes[at + 2] & 0xff) << 16)
          | ((bytes[at + 3] & 0xff) << 8) | (bytes[at + 4] & 0xff);
      out.add(com.google.protobuf.DynamicMessage.parseFrom(GrpcPayments.PAYMENT,
          java.util.Arrays.copyOfRange(bytes, at + 5, at + 5 + length)));
      at += 5 + length;
    }
    assertThat(at).as("whole frames").isEqualTo(bytes.length);
    return out;
  }

  @Test
  void redactReencodesTheBase64InPlace() throws Exception {
    HttpResponse<String> res = send("/echo/redact/custos.test.Payments/Pay");
    assertThat(res.statusCode()).isEqualTo(200);
    String received = Upstream.JSON.readTree(res.body()).get("body").asText();
    assertThat(received).hasSameSizeAs(body());
    List<com.google.protobuf.DynamicMessage> messages = messages(received);
    assertThat(messages).hasSize(2);
    assertThat(GrpcPayments.cardNumber(messages.get(0))).isEqualTo("**** **** **** ****");
    assertThat(GrpcPayments.cardNumber(messages.get(1))).isEqualTo("**** **** **** ****");
    assertThat(GrpcPayments.note(messages.get(1))).isEqualTo("again");
  }

  @Test
  void blockAnswersGrpcPermissionDenied() throws Exception {
    HttpResponse<String> res = send("/echo/block/custos.test.Payments/Pay");
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.headers().firstValue("grpc-status")).hasValue("7");
    assertThat(res.headers().firstValue("grpc-message").orElse("")).contains("cards are blocked");
    assertThat(res.body()).doesNotContain(CARD).doesNotContain("\"body\"");
  }

  @Test
  void findingsEventsNameTheFieldsAndTheProtocol() throws Exception {
    send("/custos.test.Payments/Pay");
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
        JsonLinesFile.lines(dir.resolve("events.jsonl")).toString().contains("cards are seen"));
    List<JsonNode> events = awaitLines(dir.resolve("events.jsonl"), 1);
    assertThat(events.toString()).contains("\"protocol\":\"grpc\"").contains("$[0].card.number")
        .contains("$[1].card.number").doesNotContain(CARD).doesNotContain("5555");
  }
}
