package dev.custos.proxy;

import static dev.custos.proxy.HostileProxy.CARD;
import static dev.custos.proxy.HostileProxy.SSN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile-input cases for the parts of a message other than its body: response headers (values,
 * names, {@code Set-Cookie}, {@code Location}, informational responses), the URL path (plain,
 * percent-encoded, over HTTP/1.1 and HTTP/2) and the client's {@code traceparent}. Each case: the
 * planted value never reaches the other side, the proxy still serves, and no log, metric or
 * event holds the value.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileMessagePartsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private Path dir;
  private HostileProxy masking;
  private HostileProxy blocking;
  private HostileProxy alerting;

  @BeforeAll
  void start() throws IOException {
    dir = Files.createTempDirectory("hostile-parts");
    masking = HostileProxy.start(Files.createDirectory(dir.resolve("masking")));
    blocking = HostileProxy.withRules(Files.createDirectory(dir.resolve("blocking")), """
            - { name: no card leaves, match: { direction: response }, categories: [credit_card], action: block }
        """);
    alerting = HostileProxy.withRules(Files.createDirectory(dir.resolve("alerting")), """
            - { name: ssns are masked, match: { direction: request }, categories: [us_ssn], action: redact }
            - { name: cards are flagged, match: { direction: request }, categories: [credit_card], action: alert }
        """);
  }

  @AfterAll
  void stop() {
    masking.close();
    blocking.close();
    alerting.close();
  }

  // ---- response headers ---------------------------------------------------------------------

  /** A response header the upstream sets, and how it must look to the client. */
  record HeaderCase(String name, String header, String value) {
    @Override
    public String toString() {
      return name;
    }
  }

  Stream<Arguments> responseHeaders() {
    List<HeaderCase> cases = List.of(
        new HeaderCase("card in a custom header", "x-card", CARD),
        new HeaderCase("card in Set-Cookie", "set-cookie",
            "session=abc; card=" + CARD + "; Path=/; HttpOnly"),
        new HeaderCase("card in Location", "location", "/cards/" + CARD + "/receipt"),
        new HeaderCase("ssn in Link", "link", "</people/" + SSN + ">; rel=\"related\""),
        new HeaderCase("card in a header name", "x-" + CARD, "yes"));
    List<Arguments> args = new ArrayList<>();
    for (SessionProtocol p : List.of(SessionProtocol.H1C, SessionProtocol.H2C)) {
      for (HeaderCase c : cases) {
        args.add(Arguments.of(p, c));
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("responseHeaders")
  void aValueInAResponseHeaderIsMaskedBeforeTheClientSeesIt(SessionProtocol protocol,
      HeaderCase c) {
    HttpStatus status = c.header().equals("location") ? HttpStatus.FOUND : HttpStatus.OK;
    masking.respondWith(req -> HttpResponse.of(
        ResponseHeaders.builder(status).contentType(MediaType.JSON).add(c.header(), c.value())
            .build(),
        HttpData.ofUtf8("{\"ok\":true}")));
    try {
      AggregatedHttpResponse res = client(masking, protocol).get("/headers").aggregate().join();
      assertThat(res.status()).isEqualTo(status);
      String headers = res.headers().toString();
      assertThat(headers).doesNotContain(CARD).doesNotContain(SSN);
      assertThat(headers).contains("***");
    } finally {
      masking.respondWith(HostileMessagePartsTest::ok);
    }
    masking.assertStillServes();
    masking.assertNeverLeaked(CARD, SSN);
    assertThat(read(masking.findingsFile)).contains("\"direction\":\"response\"");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("protocols")
  void anInformationalResponseHoldingACardIsNotForwarded(SessionProtocol protocol) {
    masking.respondWith(req -> {
      HttpResponseWriter w = HttpResponse.streaming();
      w.write(ResponseHeaders.builder(HttpStatus.valueOf(103))
          .add("link", "</cards/" + CARD + ">; rel=preload").build());
      w.write(ResponseHeaders.of(HttpStatus.OK, "content-type", "application/json"));
      w.write(HttpData.ofUtf8("{\"ok\":true}"));
      w.close();
      return w;
    });
    try {
      AggregatedHttpResponse res = client(masking, protocol).get("/hints").aggregate().join();
      assertThat(res.status()).isEqualTo(HttpStatus.OK);
      assertThat(res.informationals().toString()).doesNotContain(CARD);
    } finally {
      masking.respondWith(HostileMessagePartsTest::ok);
    }
    masking.assertStillServes();
    masking.assertNeverLeaked(CARD);
  }

  Stream<SessionProtocol> protocols() {
    return Stream.of(SessionProtocol.H1C, SessionProtocol.H2C);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("protocols")
  void aBlockRuleReplacesAResponseWhoseHeaderHoldsACardWith403(SessionProtocol protocol) {
    blocking.respondWith(req -> HttpResponse.of(
        ResponseHeaders.builder(HttpStatus.OK).contentType(MediaType.PNG)
            .add("set-cookie", "card=" + CARD).build(),
        HttpData.wrap(new byte[] {(byte) 0x89, 'P', 'N', 'G'})));
    try {
      AggregatedHttpResponse res = client(blocking, protocol).get("/blocked").aggregate().join();
      assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
      assertThat(res.contentUtf8()).contains("no card leaves");
      assertThat(res.headers().toString()).doesNotContain(CARD);
    } finally {
      blocking.respondWith(HostileMessagePartsTest::ok);
    }
    blocking.assertStillServes();
    blocking.assertNeverLeaked(CARD);
  }

  // ---- the URL path -------------------------------------------------------------------------

  Stream<Arguments> pathsWithAnSsn() {
    List<String> paths = List.of(
        "/users/" + SSN,
        "/users/078%2D05%2D1120",
        "/users/%30%37%38-05-1120/profile",
        "/users/" + SSN + ";v=1",
        "/a/b/" + SSN + "/",
        "/files/ssn-" + SSN + ".pdf");
    List<Arguments> args = new ArrayList<>();
    for (SessionProtocol p : List.of(SessionProtocol.H1C, SessionProtocol.H2C)) {
      for (String path : paths) {
        args.add(Arguments.of(p, path));
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("pathsWithAnSsn")
  void anSsnInThePathIsBlockedBeforeTheUpstream(SessionProtocol protocol, String path) {
    AggregatedHttpResponse res = client(masking, protocol)
        .execute(RequestHeaders.of(HttpMethod.GET, path)).aggregate().join();
    assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(res.contentUtf8()).contains("ssn never goes upstream");
    masking.assertStillServes();
    masking.assertNeverLeaked(SSN);
    assertThat(read(masking.findingsFile)).contains("\"path\"");
  }

  @Test
  void anSsnInARawHttp1RequestLineIsBlocked() {
    String raw = RawHttp1Client.exchange(masking.port(),
        "GET /users/" + SSN + "?x=1 HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n");
    assertThat(RawHttp1Client.statuses(raw)).containsExactly(403);
    masking.assertStillServes();
    masking.assertNeverLeaked(SSN);
  }

  @Test
  void aRedactRuleThatCoversAPathValueRefusesTheRequestRatherThanPassIt() throws Exception {
    AggregatedHttpResponse res = client(alerting, SessionProtocol.H1C)
        .get("/users/" + SSN).aggregate().join();
    assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(res.contentUtf8()).contains("\"rule\":\"path_redaction\"");
    alerting.assertStillServes();
    alerting.assertNeverLeaked(SSN);
    JsonNode event = lastEvent(alerting, "path_redaction");
    assertThat(event.get("stage").asText()).isEqualTo("before_upstream");
    assertThat(event.get("locations").toString()).contains("\"path\"");
    // An SSN elsewhere in the same request is still only redacted.
    AggregatedHttpResponse query = client(alerting, SessionProtocol.H1C)
        .get("/users?ssn=" + SSN).aggregate().join();
    assertThat(query.status()).isEqualTo(HttpStatus.OK);
    alerting.assertNeverLeaked(SSN);
  }

  @Test
  void aRedactRuleNamingThePathIsRefusedAtStartAndOnReload() throws Exception {
    Path start = ProxyFixture.write(dir.resolve("redact-path/custos.yaml"), """
        listen: 127.0.0.1:0
        routes:
          - { match: { prefix: / }, cluster: u }
        clusters:
          u: { endpoints: ["127.0.0.1:9"] }
        policy:
          version: 1
          rules:
            - { name: mask urls, match: { parts: [body, path] }, action: redact }
        """);
    assertThatThrownBy(() -> ProxyConfig.load(start))
        .hasMessageContaining(start + ":9:")
        .hasMessageContaining("(rule 'mask urls'): 'path' with action redact (expected: block,"
            + " alert or observe for the path, which is never rewritten");

    try (HostileProxy p = HostileProxy.start(Files.createDirectory(dir.resolve("reload")))) {
      String good = Files.readString(p.proxy.configFile);
      String bad = good.replace("match: { direction: request }, categories: [us_ssn],"
          + " action: block", "match: { direction: request, parts: [path] }, categories:"
          + " [us_ssn], action: redact");
      assertThat(bad).isNotEqualTo(good);
      ProxyFixture.write(p.proxy.configFile, bad);
      await().atMost(Duration.ofSeconds(30)).until(() -> WebClient.of(p.proxy.admin())
          .get("/metrics").aggregate().join().contentUtf8()
          .contains("custos_config_reloads_total{result=\"failure\"} 1.0"));
      // The previous policy keeps serving: an SSN in the path is still blocked, not refused.
      AggregatedHttpResponse res = client(p, SessionProtocol.H1C).get("/users/" + SSN)
          .aggregate().join();
      assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
      assertThat(res.contentUtf8()).contains("ssn never goes upstream");
      p.assertStillServes();
      p.assertNeverLeaked(SSN);
    }
  }

  @Test
  void aRedactRuleLeavingOutThePathLooksOnlyAtTheParts() throws Exception {
    try (HostileProxy p = HostileProxy.withRules(Files.createDirectory(dir.resolve("parts")), """
            - { name: mask ssns, match: { direction: request, parts: [query, headers, body, trailers] }, categories: [us_ssn], action: redact }
        """)) {
      AggregatedHttpResponse res = client(p, SessionProtocol.H1C)
          .get("/users/" + SSN + "?ssn=" + SSN).aggregate().join();
      assertThat(res.status()).as("not refused: the rule does not look at the path")
          .isEqualTo(HttpStatus.OK);
      AggregatedHttpRequest got = p.received.get(p.received.size() - 1);
      assertThat(got.path()).startsWith("/users/" + SSN + "?ssn=")
          .doesNotContain("?ssn=" + SSN);
    }
  }

  @Test
  void aBlockRuleScopedToTheUrlBlocksThePathAndLeavesTheBody() throws Exception {
    try (HostileProxy p = HostileProxy.withRules(Files.createDirectory(dir.resolve("url")), """
            - { name: no ssn in urls, match: { direction: request, parts: [path, host, query] }, categories: [us_ssn], action: block }
        """)) {
      WebClient c = client(p, SessionProtocol.H2C);
      assertThat(c.get("/users/" + SSN).aggregate().join().status())
          .isEqualTo(HttpStatus.FORBIDDEN);
      AggregatedHttpResponse body = c.post("/submit", HttpData.ofUtf8("{\"ssn\":\"" + SSN
          + "\"}")).aggregate().join();
      assertThat(body.status()).as("the body is not a part the rule looks at")
          .isEqualTo(HttpStatus.OK);
      assertThat(p.received).anyMatch(r -> r.path().equals("/submit"));
      assertThat(p.received).noneMatch(r -> r.path().startsWith("/users/"));
    }
  }

  @Test
  void anAlertRuleFlagsACardInThePathAndLetsTheRequestThrough() throws Exception {
    AggregatedHttpResponse res = client(alerting, SessionProtocol.H2C)
        .get("/cards/" + CARD).aggregate().join();
    assertThat(res.status()).isEqualTo(HttpStatus.OK);
    JsonNode event = lastEvent(alerting, "cards are flagged");
    assertThat(event.get("alert").asBoolean()).isTrue();
    assertThat(event.get("locations").toString()).contains("\"path\"");
    assertThat(event.toString()).doesNotContain(CARD);
    assertThat(read(alerting.accessLogFile)).doesNotContain(CARD);
  }

  @ParameterizedTest(name = "Host: {0}")
  @ValueSource(strings = {"078-05-1120.example.test", "078-05-1120.example.test:8080",
      "api.078-05-1120.example.test"})
  void anSsnInTheHostNameIsBlockedBeforeTheUpstream(String host) {
    String raw = RawHttp1Client.exchange(masking.port(),
        "GET /host HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
    assertThat(RawHttp1Client.statuses(raw)).doesNotContain(200);
    masking.assertStillServes();
    masking.assertNeverLeaked(SSN);
  }

  @Test
  void aRedactRuleThatCoversAHostNameValueRefusesTheRequest() {
    String raw = RawHttp1Client.exchange(alerting.port(),
        "GET /host HTTP/1.1\r\nHost: " + SSN + ".example.test\r\nConnection: close\r\n\r\n");
    assertThat(RawHttp1Client.statuses(raw)).containsExactly(403);
    assertThat(raw).contains("path_redaction");
    alerting.assertStillServes();
    alerting.assertNeverLeaked(SSN);
  }

  // ---- client-supplied telemetry ------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "GET /ua HTTP/1.1\r\nHost: example.test\r\nUser-Agent: agent/" + CARD
          + "\r\nConnection: close\r\n\r\n",
      "GET /ref HTTP/1.1\r\nHost: example.test\r\nReferer: http://example.test/c/" + CARD
          + "\r\nConnection: close\r\n\r\n",
      "GET /q?card=" + CARD + " HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n",
      "PAY" + CARD + " /m HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n",
      "GET /c/" + CARD + " HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n"})
  void clientStringsReachNoLogAsTheyCame(String request) {
    String raw = RawHttp1Client.exchange(masking.port(), request);
    assertThat(RawHttp1Client.statuses(raw)).hasSize(1);
    masking.assertStillServes();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> read(masking.accessLogFile).lines().count() > 0);
    assertThat(read(masking.accessLogFile)).doesNotContain(CARD);
    assertThat(read(masking.findingsFile)).doesNotContain(CARD);
    assertThat(masking.logOutput()).doesNotContain(CARD);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("traceparents")
  void aTraceparentCarryingDigitsOfAValueNeverReachesTheAccessLogAsIs(String traceparent,
      String planted) throws Exception {
    long before = tracedLines();
    AggregatedHttpResponse res = client(masking, SessionProtocol.H1C)
        .execute(RequestHeaders.builder(HttpMethod.GET, "/traced")
            .add("traceparent", traceparent).build())
        .aggregate().join();
    assertThat(res.status()).isEqualTo(HttpStatus.OK);
    masking.assertStillServes();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> tracedLines() > before);
    JsonNode line = null;
    for (String l : read(masking.accessLogFile).split("\n")) {
      if (!l.isBlank() && JSON.readTree(l).get("path").asText().equals("/traced")) {
        line = JSON.readTree(l);
      }
    }
    assertThat(line).isNotNull();
    assertThat(read(masking.accessLogFile)).doesNotContain(planted);
    assertThat(line.get("span_id").asText()).matches("[0-9a-f]{16}");
    assertThat(masking.logOutput()).doesNotContain(planted);
  }

  private long tracedLines() {
    return read(masking.accessLogFile).lines().filter(l -> l.contains("\"path\":\"/traced\""))
        .count();
  }

  Stream<Arguments> traceparents() {
    return Stream.of(
        Arguments.of("00-0000000000000000" + CARD + "-00f067aa0ba902b7-01", CARD),
        Arguments.of("00-4bf92f3577b34da6a3ce92a" + "078051120" + "-00f067aa0ba902b7-01",
            "078051120"),
        Arguments.of("00-" + CARD + "0000000000000000-00f067aa0ba902b7-01", CARD),
        Arguments.of("00-0000000000000000" + CARD.toUpperCase() + "-00F067AA0BA902B7-01", CARD),
        Arguments.of("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-" + CARD, CARD));
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static WebClient client(HostileProxy p, SessionProtocol protocol) {
    return WebClient.builder(protocol, Endpoint.of("127.0.0.1", p.port()))
        .responseTimeout(Duration.ofSeconds(30))
        .build();
  }

  private static HttpResponse ok(com.linecorp.armeria.common.AggregatedHttpRequest req) {
    return HttpResponse.of(HttpStatus.OK, MediaType.JSON, "{\"ok\":true}");
  }

  /** Returns the last findings event that names {@code rule}, once it was written. */
  private static JsonNode lastEvent(HostileProxy p, String rule) throws Exception {
    JsonNode[] found = new JsonNode[1];
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
      for (String l : read(p.findingsFile).split("\n")) {
        if (!l.isBlank() && l.contains("\"" + rule + "\"")) {
          found[0] = JSON.readTree(l);
        }
      }
      return found[0] != null;
    });
    return found[0];
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
