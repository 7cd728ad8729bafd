package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.custos.proxy.internal.BossGroups;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * LLM traffic through the real proxy: an upstream on loopback streams chat completions the way the
 * public APIs do ({@code data: {...}} per token, in small chunks, then {@code data: [DONE]}), and
 * a card split across twenty events is found and redacted in the events that carry it, or ends the
 * stream with an error event under a block rule; prompts are scanned on the way in.
 */
class LlmStreamProxyTest {
  static final String CARD = "4111 1111 1111 1111";
  static final String SSN = "078-05-1120";

  /** The last request body the upstream received. */
  static final AtomicReference<String> lastPrompt = new AtomicReference<>("");
  /** Completed by a test to let the upstream send the rest of a paused stream. */
  static final AtomicReference<CompletableFuture<Void>> resume = new AtomicReference<>(new CompletableFuture<>());

  @RegisterExtension
  static final ServerExtension upstream = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      sb.requestTimeout(java.time.Duration.ZERO);
      sb.serviceUnder("/", (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> {
        lastPrompt.set(agg.contentUtf8());
        HttpResponseWriter res = HttpResponse.streaming();
        res.write(ResponseHeaders.of(HttpStatus.OK, "content-type", "text/event-stream", "cache-control", "no-cache"));
        List<String> pieces = new ArrayList<>(List.of("Here", " is", " the", " card: "));
        pieces.addAll(split(CARD, 20));
        pieces.add(". Anything else?");
        boolean pause = ctx.path().contains("pause") || agg.contentUtf8().contains("pause");
        StringBuilder events = new StringBuilder();
        events.append(event("{\"role\":\"assistant\",\"content\":\"\"}"));
        for (String p : pieces) {
          events.append(event("{\"content\":" + Upstream.JSON.valueToTree(p) + "}"));
        }
        events.append("data: [DONE]\n\n");
        byte[] bytes = events.toString().getBytes(StandardCharsets.UTF_8);
        if (pause) {
          // A first event alone, then the rest once the test saw it arrive.
          byte[] first = event("{\"role\":\"assistant\",\"content\":\"Hi.\"}").getBytes(StandardCharsets.UTF_8);
          res.write(HttpData.wrap(first));
          resume.get().thenRun(() -> writeSmall(res, bytes));
        } else {
          writeSmall(res, bytes);
        }
        return res;
      })));
    }
  };

  static void writeSmall(HttpResponseWriter res, byte[] bytes) {
    for (int i = 0; i < bytes.length; i += 9) {
      res.write(HttpData.wrap(java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + 9))));
    }
    res.close();
  }

  static String event(String delta) {
    return "data: {\"id\":\"chatcmpl-7\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
        + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":null}]}\n\n";
  }

  static List<String> split(String text, int n) {
    List<String> pieces = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pieces.add(text.substring(i * text.length() / n, (i + 1) * text.length() / n));
    }
    return pieces;
  }

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
            cluster: llm
            timeout: "0"
        clusters:
          llm: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
            - { name: no ssn in prompts, match: { direction: request }, categories: [us_ssn], action: redact, redact: { style: mask } }
            - { name: cards masked in completions, match: { direction: response, paths: ["/redact/**"] }, categories: [credit_card], action: redact, redact: { style: mask } }
            - { name: cards end completions, match: { direction: response, paths: ["/block/**"] }, categories: [credit_card], action: block }
        """.formatted(upstream.httpPort()));
  }

  @AfterAll
  static void stopProxy() {
    fixture.close();
  }

  static java.net.http.HttpResponse<String> chat(String path, String prompt) throws Exception {
    return HttpClient.newHttpClient().send(request(path, prompt), BodyHandlers.ofString());
  }

  static HttpRequest request(String path, String prompt) {
    String body = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":" + Upstream.JSON.valueToTree(prompt) + "}]}]}";
    return HttpRequest.newBuilder(URI.create(fixture.http() + path + "/v1/chat/completions"))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  /** Returns the text a client reassembles from the stream's deltas. */
  static String reassembled(String sse) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (String line : sse.split("\n")) {
      if (line.startsWith("data: {")) {
        JsonNode chunk = Upstream.JSON.readTree(line.substring(6));
        JsonNode content = chunk.path("choices").path(0).path("delta").path("content");
        if (content.isTextual()) {
          sb.append(content.asText());
        }
      }
    }
    return sb.toString();
  }

  @Test
  void aCardSplitAcrossTwentyEventsIsMaskedInTheEventsThatCarryIt() throws Exception {
    java.net.http.HttpResponse<String> res = chat("/redact", "what is on file?");
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.headers().firstValue("content-type")).hasValue("text/event-stream");
    String text = reassembled(res.body());
    assertThat(text).isEqualTo("Here is the card: **** **** **** ****. Anything else?");
    assertThat(res.body()).endsWith("data: [DONE]\n\n");
    assertThat(res.body().split("\n\n")).hasSize(2 + 4 + 20 + 1);
  }

  @Test
  void observedStreamsPassUntouchedAndTheSplitCardIsRecorded() throws Exception {
    java.net.http.HttpResponse<String> res = chat("/observe", "hello");
    assertThat(reassembled(res.body())).contains(CARD);
    List<JsonNode> events = JsonLinesFile.awaitLines(dir.resolve("events.jsonl"), 1);
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
        JsonLinesFile.lines(dir.resolve("events.jsonl")).toString().contains("credit_card"));
    assertThat(events.toString()).doesNotContain(CARD);
  }

  @Test
  void aBlockEndsTheStreamWithAnErrorEventAfterWhatWasSafeToSend() throws Exception {
    java.net.http.HttpResponse<String> res = chat("/block", "hello");
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.body()).endsWith("event: error\ndata: {\"error\":\"blocked\",\"rule\":\"cards end completions\"}\n\n");
    assertThat(reassembled(res.body())).doesNotContain("4111").doesNotContain("1111 1111");
    assertThat(res.body()).doesNotContain("[DONE]");
  }

  @Test
  void promptsAreScannedAndRedactedInContentArrays() throws Exception {
    java.net.http.HttpResponse<String> res = chat("/observe", "my ssn is " + SSN + " please remember");
    assertThat(res.statusCode()).isEqualTo(200);
    JsonNode sent = Upstream.JSON.readTree(lastPrompt.get());
    assertThat(sent.path("messages").path(1).path("content").path(0).path("text").asText())
        .isEqualTo("my ssn is ***-**-**** please remember");
  }

  @Test
  void eventsWithoutPendingValuesAreForwardedBeforeTheUpstreamSendsMore() throws Exception {
    resume.set(new CompletableFuture<>());
    java.net.http.HttpResponse<InputStream> res = HttpClient.newHttpClient()
        .send(request("/observe/pause", "pause"), BodyHandlers.ofInputStream());
    try (BufferedReader in = new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
      String first = in.readLine();
      assertThat(first).contains("\"content\":\"Hi.\"");
      resume.get().complete(null);
      StringBuilder rest = new StringBuilder();
      String line;
      while ((line = in.readLine()) != null) {
        rest.append(line).append('\n');
      }
      assertThat(rest.toString()).contains("data: [DONE]");
    }
  }
}
