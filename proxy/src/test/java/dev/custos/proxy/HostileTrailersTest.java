package dev.custos.proxy;

import static dev.custos.proxy.HostileProxy.CARD;
import static dev.custos.proxy.HostileProxy.SSN;
import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile-input family "trailers": sensitive values in HTTP/1.1 chunked trailers and HTTP/2
 * trailing headers, in requests (where the suite's policy blocks SSNs before the upstream) and in
 * responses (where it masks cards and SSNs, and, in a second proxy, blocks cards). Each case: the
 * value never reaches the other side, the proxy still serves, and no log, metric or event holds
 * the value.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileTrailersTest {
  private Path dir;
  private HostileProxy masking;
  private HostileProxy blocking;

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("hostile-trailers");
    masking = HostileProxy.start(Files.createDirectory(dir.resolve("masking")));
    blocking = HostileProxy.withRules(Files.createDirectory(dir.resolve("blocking")), """
            - { name: ssn never goes upstream, match: { direction: request }, categories: [us_ssn], action: block }
            - { name: no card leaves, match: { direction: response }, categories: [credit_card], action: block }
        """);
  }

  @AfterAll
  void stop() {
    masking.close();
    blocking.close();
  }

  // ---- requests: an SSN in the trailers never reaches the upstream -------------------------

  /** A hostile HTTP/1.1 request whose trailer section holds the SSN. */
  record RawRequest(String name, String bytes) {
    @Override
    public String toString() {
      return name;
    }
  }

  Stream<RawRequest> http1RequestsWithAnSsnTrailer() {
    String head = "POST /trailers HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n";
    return Stream.of(
        new RawRequest("json body, ssn in a trailer value", head
            + "Content-Type: application/json\r\n\r\n"
            + "b\r\n{\"ok\":true}\r\n0\r\nX-Ssn: " + SSN + "\r\n\r\n"),
        new RawRequest("no content type, ssn in a trailer value", head + "\r\n"
            + "5\r\nhello\r\n0\r\nX-Note: ssn " + SSN + "\r\n\r\n"),
        new RawRequest("empty body, only a trailer", head
            + "Content-Type: text/plain\r\n\r\n0\r\nX-Ssn: " + SSN + "\r\n\r\n"),
        new RawRequest("ssn in a trailer name", head
            + "Content-Type: text/plain\r\n\r\n5\r\nhello\r\n0\r\nX-" + SSN + ": y\r\n\r\n"),
        new RawRequest("ssn in the second of two trailers", head
            + "Content-Type: text/plain\r\n\r\n5\r\nhello\r\n0\r\nX-A: 1\r\nX-B: " + SSN
            + "\r\n\r\n"),
        new RawRequest("skipped media type, streamed body, ssn in a trailer", head
            + "Content-Type: image/png\r\n\r\n4\r\n\u0089PNG\r\n0\r\nX-Ssn: " + SSN + "\r\n\r\n"));
  }

  @ParameterizedTest(name = "HTTP/1.1 request: {0}")
  @MethodSource("http1RequestsWithAnSsnTrailer")
  void anSsnInAnHttp1RequestTrailerNeverReachesTheUpstream(RawRequest c) {
    String raw = RawHttp1Client.exchange(masking.port(), c.bytes());
    assertThat(RawHttp1Client.statuses(raw)).as(c.name()).doesNotContain(200);
    assertThat(raw).doesNotContain(SSN);
    masking.assertStillServes();
    masking.assertNeverLeaked(SSN);
  }

  @ParameterizedTest(name = "HTTP/2 request, {0}")
  @MethodSource("mediaTypes")
  void anSsnInHttp2RequestTrailersNeverReachesTheUpstream(MediaType type) {
    HttpRequest req = HttpRequest.of(
        RequestHeaders.builder(HttpMethod.POST, "/trailers").contentType(type).build(),
        HttpData.ofUtf8("{\"ok\":true}"), HttpHeaders.of("x-ssn", SSN));
    AggregatedHttpResponse res = send(masking, req);
    if (res != null) {
      assertThat(res.status()).isNotEqualTo(HttpStatus.OK);
      assertThat(res.contentUtf8()).doesNotContain(SSN);
    }
    masking.assertStillServes();
    masking.assertNeverLeaked(SSN);
  }

  Stream<MediaType> mediaTypes() {
    return Stream.of(MediaType.JSON_UTF_8, MediaType.PLAIN_TEXT_UTF_8, MediaType.PNG);
  }

  @ParameterizedTest(name = "HTTP/2 request, {0}")
  @MethodSource("mediaTypes")
  void aHeldRequestWithAnSsnTrailerIsRefusedWith403AndTheTrailerIsTheLocation(MediaType type) {
    if (type.is(MediaType.PNG)) {
      return; // A skipped body is streamed: the trailer can only abort it (the case above).
    }
    HttpRequest req = HttpRequest.of(
        RequestHeaders.builder(HttpMethod.POST, "/held").contentType(type).build(),
        HttpData.ofUtf8("{\"ok\":true}"), HttpHeaders.of("x-ssn", SSN));
    AggregatedHttpResponse res = send(masking, req);
    assertThat(res).isNotNull();
    assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(res.contentUtf8()).contains("ssn never goes upstream");
    masking.assertNeverLeaked(SSN);
    assertThat(readFindings(masking)).contains("\"trailer:x-ssn\"");
  }

  // ---- responses: cards in trailers are masked, or the response is refused ----------------

  @ParameterizedTest(name = "HTTP/2 response, {0}")
  @MethodSource("mediaTypes")
  void cardsInHttp2ResponseTrailersAreMasked(MediaType type) {
    masking.respondWith(req -> HttpResponse.of(
        ResponseHeaders.builder(HttpStatus.OK).contentType(type).build(),
        HttpData.ofUtf8("{\"ok\":true}"),
        HttpHeaders.builder().add("x-card", CARD).add("grpc-message", "ssn " + SSN).build()));
    try {
      AggregatedHttpResponse res = send(masking, HttpRequest.of(HttpMethod.GET, "/resp"));
      assertThat(res).isNotNull();
      assertThat(res.status()).isEqualTo(HttpStatus.OK);
      assertThat(res.trailers().get("x-card")).isEqualTo("****************");
      assertThat(res.trailers().get("grpc-message")).isEqualTo("ssn ***-**-****");
      assertThat(res.trailers().toString()).doesNotContain(CARD).doesNotContain(SSN);
    } finally {
      masking.respondWith(HostileTrailersTest::ok);
    }
    masking.assertStillServes();
    masking.assertNeverLeaked(CARD, SSN);
  }

  @ParameterizedTest(name = "HTTP/1.1 response, {0}")
  @MethodSource("mediaTypes")
  void cardsInHttp1ResponseTrailersNeverReachTheClient(MediaType type) {
    masking.respondWith(req -> HttpResponse.of(
        ResponseHeaders.builder(HttpStatus.OK).contentType(type).build(),
        HttpData.ofUtf8("{\"ok\":true}"), HttpHeaders.of("x-card", CARD)));
    try {
      String raw = RawHttp1Client.exchange(masking.port(),
          "GET /resp HTTP/1.1\r\nHost: example.test\r\nTE: trailers\r\nConnection: close\r\n\r\n");
      assertThat(RawHttp1Client.statuses(raw)).containsExactly(200);
      assertThat(raw).doesNotContain(CARD).contains("{\"ok\":true}");
      assertThat(raw.toLowerCase(java.util.Locale.ROOT)).contains("x-card: ****************");
    } finally {
      masking.respondWith(HostileTrailersTest::ok);
    }
    masking.assertStillServes();
    masking.assertNeverLeaked(CARD);
  }

  @ParameterizedTest(name = "response with a card trailer, {0}")
  @MethodSource("mediaTypes")
  void aBlockRuleRefusesAResponseWhoseTrailerHoldsACard(MediaType type) {
    blocking.respondWith(req -> HttpResponse.of(
        ResponseHeaders.builder(HttpStatus.OK).contentType(type).build(),
        HttpData.ofUtf8("{\"ok\":true}"), HttpHeaders.of("x-card", CARD)));
    try {
      AggregatedHttpResponse res = send(blocking, HttpRequest.of(HttpMethod.GET, "/resp"));
      if (type.is(MediaType.PNG)) {
        // Not held: the headers and body went out, so the stream is reset before its trailers.
        assertThat(res == null || res.trailers().isEmpty()).isTrue();
        if (res != null) {
          assertThat(res.trailers().toString()).doesNotContain(CARD);
        }
      } else {
        assertThat(res).isNotNull();
        assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
        assertThat(res.contentUtf8()).contains("no card leaves");
      }
    } finally {
      blocking.respondWith(HostileTrailersTest::ok);
    }
    blocking.assertStillServes();
    blocking.assertNeverLeaked(CARD);
  }

  private static HttpResponse ok(com.linecorp.armeria.common.AggregatedHttpRequest req) {
    return HttpResponse.of(HttpStatus.OK, MediaType.JSON, "{\"ok\":true}");
  }

  /** Sends over h2c; returns the response, or null when the stream was reset or failed. */
  private static AggregatedHttpResponse send(HostileProxy p, HttpRequest req) {
    try {
      return WebClient.builder(SessionProtocol.H2C, com.linecorp.armeria.client.Endpoint.of(
              "127.0.0.1", p.port()))
          .responseTimeout(Duration.ofSeconds(30))
          .build()
          .execute(req)
          .aggregate()
          .join();
    } catch (CompletionException e) {
      return null;
    }
  }

  private static String readFindings(HostileProxy p) {
    try {
      return Files.exists(p.findingsFile) ? Files.readString(p.findingsFile) : "";
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
