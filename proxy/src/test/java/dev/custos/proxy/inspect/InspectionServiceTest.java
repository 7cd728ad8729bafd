package dev.custos.proxy.inspect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.custos.engine.Backend;
import dev.custos.engine.Direction;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import dev.custos.proxy.BudgetStore;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.FindingsSink;
import dev.custos.proxy.InspectionService;
import dev.custos.proxy.InspectionSettings;
import dev.custos.proxy.internal.BossGroups;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import com.linecorp.armeria.common.SplitHttpResponse;
import com.linecorp.armeria.common.stream.ClosedStreamException;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The inspection decorator between a real client and a real upstream, over HTTP/1.1 and h2c: a
 * proxy server forwards every request to an upstream server with a {@link WebClient}, and {@link
 * InspectionService} decorates the forwarding service.
 */
class InspectionServiceTest {
  static final String CARD = "4111111111111111";
  static final String CARD_B = "5500000000000004";
  static final String CARD_C = "6011000000000004";
  static final String CARD_D = "4012888888881881";
  static final String SSN = "078-05-1120";
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final EvidenceKey KEY = EvidenceKey.of(new byte[32]);
  /** One compiled scanner for every test: each test's policy has the built-in detectors. */
  static final Scanner SCANNER =
      Scanner.builder(Policy.ofDefault()).backend(Backend.JAVA).evidenceKey(KEY).build();

  static final AtomicInteger upstreamHits = new AtomicInteger();
  static final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
  static final AtomicReference<InspectionSettings> settings = new AtomicReference<>();

  record Received(RequestHeaders headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  static final class TestClock extends Clock {
    volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @RegisterExtension
  @Order(1)
  static final ServerExtension upstream = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      sb.service("/echo", (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> {
        upstreamHits.incrementAndGet();
        received.add(new Received(agg.headers(), agg.content().array()));
        MediaType type = agg.contentType() != null ? agg.contentType() : MediaType.PLAIN_TEXT_UTF_8;
        return HttpResponse.of(HttpStatus.OK, type, agg.content());
      })));
      sb.service("/json", (ctx, req) -> {
        upstreamHits.incrementAndGet();
        return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8,
            "{\"name\":\"Ana\",\"card\":\"" + CARD + "\",\"note\":\"thanks\"}");
      });
      sb.service("/ssns", (ctx, req) -> {
        int n = Integer.parseInt(ctx.queryParam("n"));
        StringBuilder sb2 = new StringBuilder("{\"ssns\":[");
        String[] ssns = {"078-05-1120", "536-22-8726", "412-67-3305", "289-41-7763"};
        for (int i = 0; i < n; i++) {
          sb2.append(i > 0 ? "," : "").append('"').append(ssns[i]).append('"');
        }
        return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, sb2.append("]}").toString());
      });
      sb.service("/bytes", (ctx, req) -> {
        byte[] body = ("{\"card\":\"" + CARD + "\",\"ok\":true}").getBytes(StandardCharsets.UTF_8);
        HttpResponseWriter w = HttpResponse.streaming();
        w.write(ResponseHeaders.builder(HttpStatus.OK).contentType(MediaType.JSON_UTF_8)
            .contentLength(body.length).build());
        writeOneByteAtATime(w, body, 0);
        return w;
      });
      sb.service("/late", (ctx, req) -> {
        // 64 KiB of filler, then a card: headers and the filler go out before the card is seen.
        StringBuilder text = new StringBuilder();
        while (text.length() < 65536) {
          text.append("nothing to see here, ");
        }
        text.append("card ").append(CARD).append(" end\n");
        HttpResponseWriter w = HttpResponse.streaming();
        w.write(ResponseHeaders.of(HttpStatus.OK, HttpHeaderNames.CONTENT_TYPE,
            MediaType.PLAIN_TEXT_UTF_8.toString()));
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i += 1024) {
          w.write(HttpData.copyOf(bytes, i, Math.min(1024, bytes.length - i)));
        }
        w.close();
        return w;
      });
      sb.service("/gzip", (ctx, req) -> HttpResponse.of(
          ResponseHeaders.builder(HttpStatus.OK).contentType(MediaType.JSON_UTF_8)
              .set(HttpHeaderNames.CONTENT_ENCODING, "gzip").build(),
          HttpData.wrap(gzip(("{\"card\":\"" + CARD + "\"}").getBytes(StandardCharsets.UTF_8)))));
      sb.service("/br", (ctx, req) -> HttpResponse.of(
          ResponseHeaders.builder(HttpStatus.OK).contentType(MediaType.JSON_UTF_8)
              .set(HttpHeaderNames.CONTENT_ENCODING, "br").build(),
          HttpData.wrap(brotli(("{\"card\":\"" + CARD + "\"}").getBytes(StandardCharsets.UTF_8)))));
      sb.service("/compress", (ctx, req) -> HttpResponse.of(
          ResponseHeaders.builder(HttpStatus.OK).contentType(MediaType.JSON_UTF_8)
              .set(HttpHeaderNames.CONTENT_ENCODING, "compress").build(),
          HttpData.ofUtf8("{\"card\":\"" + CARD + "\"}")));
      sb.service("/bomb", (ctx, req) -> HttpResponse.of(
          ResponseHeaders.builder(HttpStatus.OK).contentType(MediaType.PLAIN_TEXT_UTF_8)
              .set(HttpHeaderNames.CONTENT_ENCODING, "gzip").build(),
          HttpData.wrap(gzip(new byte[4 << 20]))));
    }
  };

  @RegisterExtension
  @Order(2)
  static final ServerExtension proxy = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      WebClient toUpstream = WebClient.builder(upstream.uri(SessionProtocol.H2C))
          .responseTimeoutMillis(0).maxResponseLength(0).build();
      sb.serviceUnder("/", ((com.linecorp.armeria.server.HttpService) (ctx, req) ->
              toUpstream.execute(req))
          .decorate(InspectionService.newDecorator(settings::get)));
      sb.maxRequestLength(0);
      sb.requestTimeoutMillis(0);
    }
  };

  final ConcurrentLinkedQueue<FindingsEvent> events = new ConcurrentLinkedQueue<>();
  final TestClock clock = new TestClock();
  MeterRegistry registry = new SimpleMeterRegistry();

  @BeforeEach
  void reset() {
    upstreamHits.set(0);
    received.clear();
  }

  static void writeOneByteAtATime(HttpResponseWriter w, byte[] body, int i) {
    if (i == body.length) {
      w.close();
      return;
    }
    w.write(HttpData.copyOf(body, i, 1));
    w.whenConsumed().thenRun(() -> writeOneByteAtATime(w, body, i + 1));
  }

  static byte[] gzip(byte[] bytes) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
        gz.write(bytes);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] brotli(byte[] bytes) {
    try {
      com.aayushatharva.brotli4j.Brotli4jLoader.ensureAvailability();
      return com.aayushatharva.brotli4j.encoder.Encoder.compress(bytes);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Installs a policy (YAML rules section and more) with default limits. */
  void policy(String yaml) {
    policy(yaml, b -> {});
  }

  void policy(String yaml, Consumer<InspectionSettings.Builder> more) {
    InspectionSettings.Builder b = InspectionSettings.builder(SCANNER)
        .policy(Policy.parse("version: 1\n" + yaml, "test.yaml"))
        .route("test")
        .meterRegistry(registry)
        .findingsSink(events::add)
        .clock(clock)
        .identityKey(KEY)
        .budgetStore(BudgetStore.inMemory())
        .callerIdentity(ctx -> {
          String caller = ctx.request().headers().get("x-caller");
          return caller != null ? caller : ctx.clientAddress().getHostAddress();
        });
    more.accept(b);
    settings.set(b.build());
  }

  WebClient client(SessionProtocol protocol) {
    return WebClient.builder(proxy.uri(protocol)).responseTimeoutMillis(20_000).build();
  }

  double count(String name, String... tags) {
    Counter c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  FindingsEvent awaitEvent(Direction direction) {
    await().atMost(Duration.ofSeconds(10))
        .until(() -> events.stream().anyMatch(e -> e.direction() == direction));
    return events.stream().filter(e -> e.direction() == direction).findFirst().orElseThrow();
  }

  @ParameterizedTest
  @EnumSource(value = SessionProtocol.class, names = {"H1C", "H2C"})
  void observePassesBytesUnchanged(SessionProtocol protocol) {
    policy("rules:\n  - { name: watch cards, categories: [credit_card], action: observe }\n");
    String body = "{\"card\":\"" + CARD + "\",\"n\":1}";
    AggregatedHttpResponse res = client(protocol).execute(
        HttpRequest.of(HttpMethod.POST, "/echo", MediaType.JSON_UTF_8, body)).aggregate().join();

    assertThat(res.status()).isEqualTo(HttpStatus.OK);
    assertThat(res.contentUtf8()).isEqualTo(body);
    assertThat(received.peek().text()).isEqualTo(body);
    FindingsEvent request = awaitEvent(Direction.REQUEST);
    assertThat(request.categories()).containsEntry("credit_card", 1);
    assertThat(request.actions()).containsExactly("observe");
    assertThat(request.locations()).containsExactly("body");
    awaitEvent(Direction.RESPONSE);
    assertThat(count("custos.findings", "direction", "request", "category", "credit_card",
        "action", "observe")).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(value = SessionProtocol.class, names = {"H1C", "H2C"})
  void redactedJsonResponseStaysValidWithTheCardPartlyMasked(SessionProtocol protocol)
      throws Exception {
    policy("rules:\n  - name: cards out\n    match: { direction: response }\n"
        + "    categories: [credit_card]\n    action: redact\n    redact: { style: partial }\n");
    AggregatedHttpResponse res = client(protocol).get("/json").aggregate().join();

    JsonNode json = MAPPER.readTree(res.contentUtf8());
    assertThat(json.get("card").asText()).isEqualTo("************1111");
    assertThat(json.get("name").asText()).isEqualTo("Ana");
    assertThat(res.headers().contentLength()).isEqualTo(res.content().length());
    assertThat(count("custos.redactions", "category", "credit_card", "style", "partial"))
        .isEqualTo(1);
    assertThat(awaitEvent(Direction.RESPONSE).actions()).containsExactly("redact");
  }

  @ParameterizedTest
  @EnumSource(value = SessionProtocol.class, names = {"H1C", "H2C"})
  void cardSplitAcrossOneByteChunksIsRedacted(SessionProtocol protocol) throws Exception {
    policy("rules:\n  - { name: mask cards, categories: [credit_card], action: redact }\n");
    AggregatedHttpResponse res = client(protocol).get("/bytes").aggregate().join();

    assertThat(res.contentUtf8()).doesNotContain(CARD).doesNotContain("1111");
    assertThat(MAPPER.readTree(res.contentUtf8()).get("card").asText())
        .isEqualTo("****************");
    assertThat(res.headers().contentLength()).isEqualTo(res.content().length());
  }

  @Test
  void hashStyleDropsContentLength() {
    policy("rules:\n  - name: hash cards\n    categories: [credit_card]\n    action: redact\n"
        + "    redact: { style: hash }\n");
    AggregatedHttpResponse res = client(SessionProtocol.H1C).get("/bytes").aggregate().join();

    assertThat(res.contentUtf8()).doesNotContain(CARD).contains("[credit_card:");
    assertThat(res.headers().contains(HttpHeaderNames.CONTENT_LENGTH)).isFalse();
  }

  @ParameterizedTest
  @EnumSource(value = SessionProtocol.class, names = {"H1C", "H2C"})
  void blockedRequestNeverReachesUpstream(SessionProtocol protocol) throws Exception {
    policy("rules:\n  - name: no ssn upstream\n    match: { direction: request }\n"
        + "    categories: [us_ssn]\n    action: block\n");
    AggregatedHttpResponse res = client(protocol).execute(HttpRequest.of(HttpMethod.POST,
        "/echo", MediaType.JSON_UTF_8, "{\"ssn\":\"" + SSN + "\"}")).aggregate().join();

    assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
    JsonNode json = MAPPER.readTree(res.contentUtf8());
    assertThat(json.get("error").asText()).isEqualTo("blocked");
    assertThat(json.get("rule").asText()).isEqualTo("no ssn upstream");
    assertThat(upstreamHits.get()).isZero();
    assertThat(received).isEmpty();
    assertThat(count("custos.blocked", "direction", "request", "stage", "before_upstream"))
        .isEqualTo(1);
    FindingsEvent e = awaitEvent(Direction.REQUEST);
    assertThat(e.blockedBy()).isEqualTo("no ssn upstream");
    assertThat(e.stage()).isEqualTo("before_upstream");
  }

  @Test
  void requestWithoutFindingsPassesAHoldingBlockRule() {
    policy("rules:\n  - { name: no ssn, categories: [us_ssn], action: block }\n");
    String body = "{\"hello\":\"world\"}";
    AggregatedHttpResponse res = client(SessionProtocol.H2C).execute(
        HttpRequest.of(HttpMethod.POST, "/echo", MediaType.JSON_UTF_8, body)).aggregate().join();

    assertThat(res.status()).isEqualTo(HttpStatus.OK);
    assertThat(res.contentUtf8()).isEqualTo(body);
    assertThat(received.peek().text()).isEqualTo(body);
  }

  @ParameterizedTest
  @EnumSource(value = SessionProtocol.class, names = {"H1C", "H2C"})
  void blockedResponseIsReplacedBeforeHeaders(SessionProtocol protocol) throws Exception {
    policy("rules:\n  - name: no cards out\n    match: { direction: response }\n"
        + "    categories: [credit_card]\n    action: block\n");
    AggregatedHttpResponse res = client(protocol).get("/json").aggregate().join();

    assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(MAPPER.readTree(res.contentUtf8()).get("rule").asText()).isEqualTo("no cards out");
    assertThat(res.contentUtf8()).doesNotContain(CARD);
    assertThat(count("custos.blocked", "direction", "response", "stage", "in_place"))
        .isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(value = SessionProtocol.class, names = {"H1C", "H2C"})
  void blockAfterHeadersWentOutAbortsTheStream(SessionProtocol protocol) {
    policy("rules:\n  - name: no cards out\n    match: { direction: response }\n"
        + "    categories: [credit_card]\n    action: block\non_uninspectable: allow\n",
        b -> b.maxInspectedBody(2048));
    SplitHttpResponse split = client(protocol).get("/late").split();
    assertThat(split.headers().join().status()).isEqualTo(HttpStatus.OK);
    CompletableFuture<Void> body = split.body().subscribe(ImmediateEventExecutor.INSTANCE);
    assertThatThrownBy(body::join).hasCauseInstanceOf(ClosedStreamException.class);

    await().untilAsserted(() -> assertThat(
        count("custos.blocked", "direction", "response", "stage", "stream_aborted"))
        .isEqualTo(1));
    assertThat(count("custos.uninspectable", "reason", "body_too_large", "decision", "allow"))
        .isEqualTo(1);
  }

  @Test
  void abortedStreamDeliveredTheStartButNeverTheValue() throws Exception {
    policy("rules:\n  - name: no cards out\n    match: { direction: response }\n"
        + "    categories: [credit_card]\n    action: block\non_uninspectable: allow\n",
        b -> b.maxInspectedBody(2048));
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    CompletableFuture<Void> done = new CompletableFuture<>();
    client(SessionProtocol.H2C).get("/late").split().body().subscribe(new Subscriber<HttpData>() {
      @Override
      public void onSubscribe(Subscription s) {
        s.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(HttpData d) {
        got.writeBytes(d.array());
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onComplete() {
        done.complete(null);
      }
    });
    assertThatThrownBy(done::join).hasCauseInstanceOf(ClosedStreamException.class);
    assertThat(got.size()).isGreaterThan(2048);
    assertThat(got.toString(StandardCharsets.UTF_8)).startsWith("nothing to see here")
        .doesNotContain(CARD);
  }

  @Test
  void blockAfterHeadersCutsTheHttp11ResponseForJavaHttpClient() {
    policy("rules:\n  - name: no cards out\n    match: { direction: response }\n"
        + "    categories: [credit_card]\n    action: block\non_uninspectable: allow\n",
        b -> b.maxInspectedBody(2048));
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    java.net.http.HttpRequest get = java.net.http.HttpRequest.newBuilder(
        proxy.httpUri().resolve("/late")).build();

    assertThatThrownBy(() -> http.send(get, java.net.http.HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);
  }

  @Test
  void shadowModeChangesNothingAndRecordsWhatWouldHaveBeenDone() {
    policy("rules:\n"
        + "  - { name: no ssn, match: { direction: request }, categories: [us_ssn],"
        + " action: block }\n"
        + "  - { name: mask cards, categories: [credit_card], action: redact }\n"
        + "enforce: false\n");
    String body = "{\"ssn\":\"" + SSN + "\",\"card\":\"" + CARD + "\"}";
    AggregatedHttpResponse res = client(SessionProtocol.H2C).execute(
        HttpRequest.of(HttpMethod.POST, "/echo", MediaType.JSON_UTF_8, body)).aggregate().join();

    assertThat(res.status()).isEqualTo(HttpStatus.OK);
    assertThat(received.peek().text()).isEqualTo(body);
    assertThat(res.contentUtf8()).isEqualTo(body);
    FindingsEvent e = awaitEvent(Direction.REQUEST);
    assertThat(e.shadow()).isTrue();
    assertThat(e.actions()).containsExactlyInAnyOrder("would_block", "would_redact");
    assertThat(e.blockedBy()).isEqualTo("no ssn");
    assertThat(e.stage()).isNull();
    assertThat(count("custos.blocked")).isZero();
    assertThat(count("custos.redactions")).isZero();
    assertThat(count("custos.findings", "category", "us_ssn", "action", "would_block"))
        .isEqualTo(1);
  }

  @Test
  void theEventListsEachDistinctValueOnceAsItsHashAndMaskedPreview() {
    policy("rules:\n  - { name: watch cards, categories: [credit_card], action: observe }\n");
    String body = "{\"cards\":[\"" + CARD + "\",\"" + CARD_B + "\",\"" + CARD + "\",\"" + CARD_C
        + "\"]}";
    assertThat(client(SessionProtocol.H2C).execute(
        HttpRequest.of(HttpMethod.POST, "/echo", MediaType.JSON_UTF_8, body)).aggregate().join()
        .status()).isEqualTo(HttpStatus.OK);

    FindingsEvent request = awaitEvent(Direction.REQUEST);
    assertThat(request.categories()).containsEntry("credit_card", 4);
    assertThat(request.values()).hasSize(3).allSatisfy(v -> {
      assertThat(v.category()).isEqualTo("credit_card");
      assertThat(v.hash()).matches("[0-9a-f]{32}");
      assertThat(v.preview()).matches("\\*+[0-9]{4}");
    });
    assertThat(request.values()).extracting(FindingsEvent.Value::preview)
        .containsExactly("************1111", "************0004", "************0004");
    assertThat(request.values()).extracting(FindingsEvent.Value::hash).doesNotHaveDuplicates();
    assertThat(request.toString()).doesNotContain(CARD, CARD_B, CARD_C);
  }

  @Test
  void perMessageThresholdBlocksOnlyFromTheNthFinding() {
    policy("rules:\n  - name: bulk ssn\n    categories: [us_ssn]\n    action: block\n"
        + "    when: { per_message: { at_least: 3 } }\n");
    WebClient c = client(SessionProtocol.H2C);

    assertThat(c.get("/ssns?n=2").aggregate().join().status()).isEqualTo(HttpStatus.OK);
    AggregatedHttpResponse three = c.get("/ssns?n=3").aggregate().join();
    assertThat(three.status()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(three.contentUtf8()).contains("bulk ssn");
    assertThat(events).filteredOn(e -> e.direction() == Direction.RESPONSE)
        .extracting(e -> e.categories().get("us_ssn")).containsExactly(2, 3);
  }

  @Test
  void perMessageRedactionRewritesEveryValueOnceTheMessageReachesTheThreshold() throws Exception {
    policy("rules:\n  - name: bulk ssn\n    categories: [us_ssn]\n    action: redact\n"
        + "    when: { per_message: { at_least: 2 } }\n");
    WebClient c = client(SessionProtocol.H1C);

    AggregatedHttpResponse one = c.get("/ssns?n=1").aggregate().join();
    assertThat(one.contentUtf8()).contains("078-05-1120");
    AggregatedHttpResponse two = c.get("/ssns?n=2").aggregate().join();
    assertThat(MAPPER.readTree(two.contentUtf8()).get("ssns").toString())
        .isEqualTo("[\"***-**-****\",\"***-**-****\"]");
    assertThat(two.headers().contentLength()).isEqualTo(two.content().length());
  }

  @ParameterizedTest
  @EnumSource(value = HttpClient.Version.class)
  void javaHttpClientGetsTheRedactedBody(HttpClient.Version version) throws Exception {
    policy("rules:\n  - name: cards out\n    match: { direction: response }\n"
        + "    categories: [credit_card]\n    action: redact\n    redact: { style: partial }\n");
    HttpClient http = HttpClient.newBuilder().version(version).build();
    java.net.http.HttpResponse<String> res = http.send(
        java.net.http.HttpRequest.newBuilder(proxy.httpUri().resolve("/json")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());

    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(MAPPER.readTree(res.body()).get("card").asText()).isEqualTo("************1111");
  }

  @Test
  void gzipBombInARequestTakesOnUninspectable() {
    policy("rules:\n  - { name: no ssn, match: { direction: request },"
        + " categories: [us_ssn], action: block }\n");
    AggregatedHttpResponse res = client(SessionProtocol.H2C).execute(HttpRequest.of(
        RequestHeaders.builder(HttpMethod.POST, "/echo").contentType(MediaType.PLAIN_TEXT_UTF_8)
            .set(HttpHeaderNames.CONTENT_ENCODING, "gzip").build(),
        HttpData.wrap(gzip(new byte[4 << 20])))).aggregate().join();

    assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(upstreamHits.get()).isZero();
    assertThat(count("custos.uninspectable", "direction", "request", "reason", "ratio_exceeded"))
        .isEqualTo(1);
  }

  @Test
  void perIdentityDistinctBudgetCountsDeliveredValuesOverTheWindow() {
    policy("rules:\n  - name: card budget\n    match: { direction: request }\n"
        + "    categories: [credit_card]\n    action: block\n"
        + "    when: { per_identity: { distinct_at_least: 3, window: 1h } }\n");
    WebClient c = client(SessionProtocol.H2C);

    assertThat(send(c, "alice", CARD)).isEqualTo(HttpStatus.OK);
    assertThat(send(c, "alice", CARD)).isEqualTo(HttpStatus.OK);
    assertThat(send(c, "alice", CARD_B)).isEqualTo(HttpStatus.OK);
    assertThat(send(c, "alice", CARD_C)).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(send(c, "bob", CARD_C)).isEqualTo(HttpStatus.OK);
    assertThat(send(c, "alice", CARD_D)).isEqualTo(HttpStatus.FORBIDDEN);
    clock.now = clock.now.plus(Duration.ofMinutes(62));
    assertThat(send(c, "alice", CARD_C)).isEqualTo(HttpStatus.OK);
    assertThat(upstreamHits.get()).isEqualTo(5);
  }

  HttpStatus send(WebClient c, String caller, String card) {
    return c.execute(HttpRequest.of(
        RequestHeaders.builder(HttpMethod.POST, "/echo").contentType(MediaType.JSON_UTF_8)
            .set("x-caller", caller).build(),
        HttpData.ofUtf8("{\"card\":\"" + card + "\"}"))).aggregate().join().status();
  }

  @Test
  void gzipRequestIsDecodedRedactedAndForwardedWithoutContentEncoding() {
    policy("rules:\n  - name: mask cards in\n    match: { direction: request }\n"
        + "    categories: [credit_card]\n    action: redact\n");
    byte[] body = gzip(("{\"card\":\"" + CARD + "\"}").getBytes(StandardCharsets.UTF_8));
    AggregatedHttpResponse res = client(SessionProtocol.H2C).execute(HttpRequest.of(
        RequestHeaders.builder(HttpMethod.POST, "/echo").contentType(MediaType.JSON_UTF_8)
            .set(HttpHeaderNames.CONTENT_ENCODING, "gzip").build(),
        HttpData.wrap(body))).aggregate().join();

    assertThat(res.status()).isEqualTo(HttpStatus.OK);
    Received r = received.peek();
    assertThat(r.headers().contains(HttpHeaderNames.CONTENT_ENCODING)).isFalse();
    assertThat(r.text()).isEqualTo("{\"card\":\"****************\"}");
  }

  @Test
  void gzipResponseIsDecodedForRedactionAndObservedAsIsOtherwise() {
    policy("rules:\n  - { name: mask cards, match: { direction: response },"
        + " categories: [credit_card], action: redact }\n");
    AggregatedHttpResponse redacted = client(SessionProtocol.H1C).get("/gzip").aggregate().join();
    assertThat(redacted.headers().contains(HttpHeaderNames.CONTENT_ENCODING)).isFalse();
    assertThat(redacted.contentUtf8()).isEqualTo("{\"card\":\"****************\"}");

    policy("rules:\n  - { name: watch cards, categories: [credit_card], action: observe }\n");
    events.clear();
    AggregatedHttpResponse observed = client(SessionProtocol.H1C).get("/gzip").aggregate().join();
    assertThat(observed.headers().get(HttpHeaderNames.CONTENT_ENCODING)).isEqualTo("gzip");
    assertThat(observed.content().array())
        .isEqualTo(gzip(("{\"card\":\"" + CARD + "\"}").getBytes(StandardCharsets.UTF_8)));
    assertThat(awaitEvent(Direction.RESPONSE).categories()).containsEntry("credit_card", 1);
  }

  @Test
  void brotliResponseIsDecodedForRedaction() {
    assertThat(io.netty.handler.codec.compression.Brotli.isAvailable())
        .as("brotli4j and its native library resolve from Maven Central").isTrue();
    policy("rules:\n  - { name: mask cards, match: { direction: response },"
        + " categories: [credit_card], action: redact }\n");
    AggregatedHttpResponse res = client(SessionProtocol.H2C).get("/br").aggregate().join();

    assertThat(res.headers().contains(HttpHeaderNames.CONTENT_ENCODING)).isFalse();
    assertThat(res.contentUtf8()).isEqualTo("{\"card\":\"****************\"}");
  }

  @Test
  void gzipBombTakesOnUninspectable() {
    policy("rules:\n  - { name: no cards out, match: { direction: response },"
        + " categories: [credit_card], action: block }\n");
    AggregatedHttpResponse res = client(SessionProtocol.H2C).get("/bomb").aggregate().join();

    assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(MAPPER.valueToTree(res.contentUtf8()).asText()).contains("on_uninspectable");
    assertThat(count("custos.uninspectable", "reason", "ratio_exceeded", "decision", "block"))
        .isEqualTo(1);
    FindingsEvent e = awaitEvent(Direction.RESPONSE);
    assertThat(e.uninspectable()).isEqualTo("ratio_exceeded");

    policy("rules:\n  - { name: watch, categories: [credit_card], action: observe }\n");
    AggregatedHttpResponse allowed = client(SessionProtocol.H2C).get("/bomb").aggregate().join();
    assertThat(allowed.status()).isEqualTo(HttpStatus.OK);
    assertThat(allowed.headers().get(HttpHeaderNames.CONTENT_ENCODING)).isEqualTo("gzip");
    assertThat(count("custos.uninspectable", "reason", "ratio_exceeded", "decision", "allow"))
        .isEqualTo(1);
  }

  @Test
  void uninspectableResponseUnderARedactRuleIsBlockedUnlessOnUninspectableAllows() {
    String mask = "rules:\n  - { name: mask cards, match: { direction: response },"
        + " categories: [credit_card], action: redact }\n";
    policy(mask);
    AggregatedHttpResponse res = client(SessionProtocol.H2C).get("/compress").aggregate().join();
    assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(res.contentUtf8()).contains("on_uninspectable").doesNotContain(CARD);
    assertThat(count("custos.uninspectable", "reason", "unsupported_encoding", "decision",
        "block")).isEqualTo(1);

    // A redaction streams: headers went out before the bomb showed, so the stream is cut off.
    CompletableFuture<AggregatedHttpResponse> cut =
        client(SessionProtocol.H2C).get("/bomb").aggregate();
    assertThatThrownBy(cut::join).isInstanceOf(java.util.concurrent.CompletionException.class);

    policy(mask + "on_uninspectable: allow\n");
    AggregatedHttpResponse allowed =
        client(SessionProtocol.H2C).get("/compress").aggregate().join();
    assertThat(allowed.status()).isEqualTo(HttpStatus.OK);
    assertThat(allowed.headers().get(HttpHeaderNames.CONTENT_ENCODING)).isEqualTo("compress");
    assertThat(count("custos.uninspectable", "reason", "unsupported_encoding", "decision",
        "allow")).isEqualTo(1);
  }

  @Test
  void headerAndQueryValuesAreScannedAndRedacted() {
    policy("rules:\n  - { name: mask cards in, match: { direction: request },"
        + " categories: [credit_card], action: redact }\n");
    AggregatedHttpResponse res = client(SessionProtocol.H2C).execute(
        RequestHeaders.builder(HttpMethod.GET, "/echo?card=" + CARD + "&page=2")
            .set("x-card", CARD).set("x-other", "plain").build()).aggregate().join();

    assertThat(res.status()).isEqualTo(HttpStatus.OK);
    Received r = received.peek();
    assertThat(r.headers().get("x-card")).isEqualTo("****************");
    assertThat(r.headers().get("x-other")).isEqualTo("plain");
    assertThat(r.headers().path()).doesNotContain(CARD).contains("page=2");
    FindingsEvent e = awaitEvent(Direction.REQUEST);
    assertThat(e.locations()).containsExactlyInAnyOrder("header:x-card", "query:card");
    assertThat(e.categories()).containsEntry("credit_card", 2);
  }

  @Test
  void headerFindingBlocksBeforeUpstream() {
    policy("rules:\n  - { name: no ssn, match: { direction: request },"
        + " categories: [us_ssn], action: block }\n");
    AggregatedHttpResponse res = client(SessionProtocol.H1C).execute(
        RequestHeaders.builder(HttpMethod.GET, "/echo").set("x-ssn", SSN).build())
        .aggregate().join();

    assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(upstreamHits.get()).isZero();
  }

  @Test
  void alertRuleMarksTheEvent() {
    policy("rules:\n  - { name: card alert, categories: [credit_card], action: alert }\n");
    client(SessionProtocol.H2C).get("/json").aggregate().join();

    FindingsEvent e = awaitEvent(Direction.RESPONSE);
    assertThat(e.alert()).isTrue();
    assertThat(e.actions()).containsExactly("alert");
    assertThat(e.rules()).containsExactly("card alert");
  }

  @Test
  void requestBodyPastTheHoldLimitTakesOnUninspectable() {
    policy("rules:\n  - { name: no ssn, match: { direction: request },"
        + " categories: [us_ssn], action: block }\n", b -> b.maxInspectedBody(1024));
    String big = "x".repeat(4096);
    AggregatedHttpResponse res = client(SessionProtocol.H2C).execute(HttpRequest.of(
        HttpMethod.POST, "/echo", MediaType.PLAIN_TEXT_UTF_8, big)).aggregate().join();

    assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(upstreamHits.get()).isZero();
    assertThat(count("custos.uninspectable", "reason", "body_too_large", "decision", "block"))
        .isEqualTo(1);
  }

}
