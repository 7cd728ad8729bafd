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
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real client sends {@code multipart/form-data} through the real proxy: the JSON part is scanned
 * as JSON, findings name their part, and observe, redact and block act on what the parts hold.
 * The body goes in small chunks, so delimiters straddle them.
 */
class MultipartProxyTest {
  private static final String BOUNDARY = "----CustosBoundary7MA4YWxkTrZu0gW";
  private static final String TYPE = "multipart/form-data; boundary=" + BOUNDARY;
  private static final String SSN = "078-05-1120";
  private static final String CARD = "4111 1111 1111 1111";

  @RegisterExtension
  static final Upstream upstream = new Upstream("u");

  @TempDir
  static Path dir;

  static ProxyFixture fixture;

  @BeforeAll
  static void startProxy() {
    fixture = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        findings: { file: events.jsonl }
        routes:
          - match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
            - { name: ssn is masked, match: { direction: request, paths: ["/echo/redact"] }, categories: [us_ssn], action: redact, redact: { style: mask } }
            - { name: cards are blocked, match: { direction: request, paths: ["/echo/block"] }, categories: [credit_card], action: block }
        """.formatted(upstream.httpPort()));
  }

  @AfterAll
  static void stopProxy() {
    fixture.close();
  }

  private static String body() {
    return "--" + BOUNDARY + "\r\n"
        + "Content-Disposition: form-data; name=\"meta\"\r\n"
        + "Content-Type: application/json\r\n\r\n"
        + "{\"user\":{\"ssn\":\"" + SSN + "\"}}\r\n"
        + "--" + BOUNDARY + "\r\n"
        + "Content-Disposition: form-data; name=\"avatar\"; filename=\"a.txt\"\r\n"
        + "Content-Type: text/plain\r\n\r\n"
        + "paid with " + CARD + "\r\n"
        + "--" + BOUNDARY + "--\r\n";
  }

  private static HttpResponse<String> send(String path, String contentType) throws Exception {
    return send(path, contentType, body());
  }

  private static HttpResponse<String> send(String path, String contentType, String body) throws Exception {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    HttpRequest req = HttpRequest.newBuilder(URI.create(fixture.http() + path))
        .header("content-type", contentType)
        .POST(chunked(bytes, 7))
        .build();
    return HttpClient.newHttpClient().send(req, BodyHandlers.ofString());
  }

  /** A body publisher that sends the bytes in chunks of {@code size}, with a known length. */
  private static HttpRequest.BodyPublisher chunked(byte[] bytes, int size) {
    List<java.nio.ByteBuffer> chunks = new java.util.ArrayList<>();
    for (int i = 0; i < bytes.length; i += size) {
      chunks.add(java.nio.ByteBuffer.wrap(bytes, i, Math.min(size, bytes.length - i)).slice());
    }
    HttpRequest.BodyPublisher all = HttpRequest.BodyPublishers.fromPublisher(
        (Flow.Subscriber<? super java.nio.ByteBuffer> s) -> {
          java.util.concurrent.SubmissionPublisher<java.nio.ByteBuffer> p =
              new java.util.concurrent.SubmissionPublisher<>();
          p.subscribe(s);
          chunks.forEach(p::submit);
          p.close();
        }, bytes.length);
    return all;
  }

  @Test
  void observedPartsReachTheUpstreamUntouchedAndFindingsAreRecorded() throws Exception {
    HttpResponse<String> res = send("/echo/observe", TYPE);
    assertThat(res.statusCode()).isEqualTo(200);
    JsonNode echo = Upstream.JSON.readTree(res.body());
    assertThat(echo.get("body").asText()).isEqualTo(body());
    List<JsonNode> events = awaitLines(dir.resolve("events.jsonl"), 1);
    assertThat(events.toString()).contains("us_ssn", "credit_card").doesNotContain(SSN, CARD);
  }

  @Test
  void redactMasksTheJsonPartInPlaceAndKeepsTheFraming() throws Exception {
    HttpResponse<String> res = send("/echo/redact", TYPE);
    assertThat(res.statusCode()).isEqualTo(200);
    String received = Upstream.JSON.readTree(res.body()).get("body").asText();
    assertThat(received).hasSameSizeAs(body()).doesNotContain(SSN)
        .isEqualTo(body().replace(SSN, "***-**-****"));
  }

  @Test
  void aBase64PartIsDecodedScannedAsJsonAndRedactedInPlace() throws Exception {
    String encoded = java.util.Base64.getMimeEncoder().encodeToString(
        ("{\"user\":{\"ssn\":\"" + SSN + "\",\"note\":\"" + "n".repeat(70) + "\"}}")
            .getBytes(StandardCharsets.UTF_8));
    String body = "--" + BOUNDARY + "\r\n"
        + "Content-Disposition: form-data; name=\"meta\"\r\n"
        + "Content-Type: application/json\r\n"
        + "Content-Transfer-Encoding: base64\r\n\r\n"
        + encoded + "\r\n"
        + "--" + BOUNDARY + "--\r\n";
    HttpResponse<String> res = send("/echo/redact", TYPE, body);
    assertThat(res.statusCode()).isEqualTo(200);
    String received = Upstream.JSON.readTree(res.body()).get("body").asText();
    assertThat(received).hasSameSizeAs(body);
    int start = received.indexOf("\r\n\r\n") + 4;
    String part = received.substring(start, received.indexOf("\r\n--" + BOUNDARY, start));
    String decoded = new String(java.util.Base64.getMimeDecoder().decode(part), StandardCharsets.UTF_8);
    assertThat(decoded).isEqualTo("{\"user\":{\"ssn\":\"***-**-****\",\"note\":\"" + "n".repeat(70) + "\"}}");
  }

  @Test
  void blockRefusesACardInAFilePart() throws Exception {
    int before = upstream.hits.get();
    HttpResponse<String> res = send("/echo/block", TYPE);
    assertThat(res.statusCode()).isEqualTo(403);
    assertThat(res.body()).contains("cards are blocked").doesNotContain(CARD);
    assertThat(upstream.hits.get()).isEqualTo(before);
  }

  @Test
  void aMultipartBodyWithoutAValidBoundaryIsUninspectable() throws Exception {
    // The policy's redact rule applies and on_uninspectable is unset: the request is refused.
    HttpResponse<String> res = send("/echo/redact", "multipart/form-data");
    assertThat(res.statusCode()).isEqualTo(403);
    assertThat(res.body()).doesNotContain(SSN);
  }
}
