package dev.custos.proxy;

import static dev.custos.proxy.HostileBodies.brotli;
import static dev.custos.proxy.HostileBodies.concat;
import static dev.custos.proxy.HostileBodies.cut;
import static dev.custos.proxy.HostileBodies.gzip;
import static dev.custos.proxy.HostileBodies.utf8;
import static dev.custos.proxy.HostileBodies.zerosThen;
import static dev.custos.proxy.HostileBodies.zstd;
import static dev.custos.proxy.HostileProxy.CARD;
import static dev.custos.proxy.HostileProxy.SSN;
import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.common.SessionProtocol;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile representation headers, both directions: duplicate and conflicting {@code
 * Content-Encoding} and {@code Content-Type} lines, stacked and oddly spelled codings, unknown
 * codings, gzip/br/zstd decompression bombs, truncated streams and codings the body does not have.
 * Requests go over raw HTTP/1.1 (duplicates kept byte for byte) and over HTTP/2 (Armeria's client);
 * responses come from the upstream to Armeria's client over HTTP/1.1 and HTTP/2. Each case checks
 * the answer, that the planted SSN or card never reached the other side decoded, that the proxy
 * still serves, and that the value is in no log, metric or event.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileRepresentationHeadersTest {
  private static final String JSON = "Content-Type: application/json";
  private static final byte[] SSN_JSON = utf8("{\"ssn\":\"" + SSN + "\"}");
  private static final byte[] CARD_JSON = utf8("{\"card\":\"" + CARD + "\"}");
  /** 4 MiB of zeros and then the value: past the first MiB, far beyond 100 bytes per byte. */
  private static final byte[] SSN_BOMB = zerosThen(4, SSN_JSON);
  private static final byte[] CARD_BOMB = zerosThen(4, CARD_JSON);

  private HostileProxy proxy;
  /** The upstream's answer by request path, for the response cases. */
  private final Map<String, HttpResponseSpec> responses = new ConcurrentHashMap<>();

  /** A response the upstream sends: header lines (duplicates kept) and body. */
  record HttpResponseSpec(List<String> headers, byte[] body) {}

  /** A hostile request: its header lines, its body, and the status the proxy must answer. */
  record RequestCase(String name, List<String> headers, byte[] body, int status) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** A hostile response: what the upstream sends, and whether the client may get a 200. */
  record ResponseCase(String name, List<String> headers, byte[] body, boolean refused) {
    @Override
    public String toString() {
      return name;
    }
  }

  @BeforeAll
  void start(@TempDir Path dir) {
    proxy = HostileProxy.start(dir);
    proxy.respondWith(req -> {
      HttpResponseSpec spec = responses.get(req.path());
      if (spec == null) {
        return HttpResponse.of(HttpStatus.OK, com.linecorp.armeria.common.MediaType.JSON,
            "{\"ok\":true}");
      }
      ResponseHeadersBuilder h = ResponseHeaders.builder(HttpStatus.OK);
      for (String line : spec.headers()) {
        int colon = line.indexOf(':');
        h.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
      }
      return HttpResponse.of(h.build(), HttpData.wrap(spec.body()));
    });
  }

  @AfterAll
  void stop() {
    proxy.close();
  }

  static Stream<RequestCase> requests() {
    return Stream.of(
        new RequestCase("identity then gzip lines", List.of(JSON,
            "Content-Encoding: identity", "Content-Encoding: gzip"), gzip(SSN_JSON), 400),
        new RequestCase("gzip then identity lines", List.of(JSON,
            "Content-Encoding: gzip", "Content-Encoding: identity"), gzip(SSN_JSON), 400),
        new RequestCase("gzip then zstd lines", List.of(JSON,
            "Content-Encoding: gzip", "Content-Encoding: zstd"), zstd(gzip(SSN_JSON)), 400),
        new RequestCase("image/png then application/json lines", List.of(
            "Content-Type: image/png", JSON), SSN_JSON, 400),
        new RequestCase("application/json then image/png lines", List.of(
            JSON, "Content-Type: image/png"), SSN_JSON, 400),
        new RequestCase("the same type twice is one type", List.of(JSON, JSON), SSN_JSON, 403),
        new RequestCase("gzip, gzip is undone twice", List.of(JSON,
            "Content-Encoding: gzip, gzip"), gzip(gzip(SSN_JSON)), 403),
        new RequestCase("two gzip lines are one list", List.of(JSON,
            "Content-Encoding: gzip", "Content-Encoding: gzip"), gzip(gzip(SSN_JSON)), 403),
        new RequestCase("odd case and whitespace", List.of(JSON,
            "Content-Encoding:  GZip ,\tIDENTITY "), gzip(SSN_JSON), 403),
        new RequestCase("x-gzip", List.of(JSON, "Content-Encoding: x-gzip"), gzip(SSN_JSON), 403),
        new RequestCase("zstd", List.of(JSON, "Content-Encoding: zstd"), zstd(SSN_JSON), 403),
        new RequestCase("gzip applied, then zstd", List.of(JSON,
            "Content-Encoding: gzip, zstd"), zstd(gzip(SSN_JSON)), 403),
        new RequestCase("br", List.of(JSON, "Content-Encoding: br"), brotli(SSN_JSON), 403),
        new RequestCase("unknown coding", List.of(JSON, "Content-Encoding: compress"),
            SSN_JSON, 403),
        new RequestCase("unknown coding as one layer", List.of(JSON,
            "Content-Encoding: gzip, dcz"), gzip(SSN_JSON), 403),
        new RequestCase("gzip bomb", List.of(JSON, "Content-Encoding: gzip"), gzip(SSN_BOMB), 403),
        new RequestCase("zstd bomb", List.of(JSON, "Content-Encoding: zstd"), zstd(SSN_BOMB), 403),
        new RequestCase("br bomb", List.of(JSON, "Content-Encoding: br"), brotli(SSN_BOMB), 403),
        new RequestCase("bomb in the inner layer", List.of(JSON,
            "Content-Encoding: zstd, gzip"), gzip(zstd(SSN_BOMB)), 403),
        new RequestCase("truncated gzip", List.of(JSON, "Content-Encoding: gzip"),
            cut(gzip(concat(SSN_JSON, new byte[4096])), 6), 403),
        new RequestCase("truncated zstd", List.of(JSON, "Content-Encoding: zstd"),
            cut(zstd(SSN_JSON), 3), 403),
        new RequestCase("claims gzip, is plain", List.of(JSON, "Content-Encoding: gzip"),
            SSN_JSON, 403),
        new RequestCase("claims zstd, is gzip", List.of(JSON, "Content-Encoding: zstd"),
            gzip(SSN_JSON), 403));
  }

  static Stream<Arguments> requestsOverBothProtocols() {
    return requests().flatMap(c -> Stream.of(Arguments.of("h1 raw", c), Arguments.of("h2c", c)));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("requestsOverBothProtocols")
  void hostileRequestIsRefusedAndNeverReachesTheUpstream(String protocol, RequestCase c) {
    String path = "/req/" + Integer.toHexString(c.name().hashCode()) + "/" + protocol.charAt(1);
    String[] answer = send(protocol, path, c.headers(), c.body());
    int status = Integer.parseInt(answer[0]);
    String body = answer[1];
    assertThat(status).as("answer to %s", c.name()).isEqualTo(c.status());
    assertThat(body).contains("\"error\"").doesNotContain(SSN);
    if (c.status() == 400) {
      assertThat(body).contains("conflicting Content-");
    }
    assertThat(proxy.received).noneMatch(r -> r.path().equals(path));
    proxy.assertStillServes();
    proxy.assertNeverLeaked(SSN);
  }

  /** Sends a request through the proxy; returns its status and body text. */
  private String[] send(String protocol, String path, List<String> headers, byte[] requestBody) {
    int status;
    String body;
    if (protocol.equals("h1 raw")) {
      HostileBodies.RawResponse res =
          HostileBodies.send(proxy.port(), "POST", path, headers, requestBody);
      status = res.status();
      body = res.bodyText();
    } else {
      RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.POST, path);
      for (String line : headers) {
        int colon = line.indexOf(':');
        h.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
      }
      AggregatedHttpResponse res = WebClient.builder(proxy.http().replace("http:", "h2c:"))
          .responseTimeout(Duration.ofSeconds(30)).build()
          .execute(HttpRequest.of(h.build(), HttpData.wrap(requestBody))).aggregate().join();
      status = res.status().code();
      body = res.contentUtf8();
    }

    return new String[] {Integer.toString(status), body};
  }

  /**
   * A gzip request cut short is refused by {@code on_uninspectable} (malformed_encoding) whatever
   * it decodes to: with the SSN in the part that decodes, and with only harmless bytes there (which
   * were forwarded before the decoder checked a stream's end).
   */
  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("cutGzipOverBothProtocols")
  void cutGzipRequestIsUninspectableAndNeverReachesTheUpstream(
      String protocol, String name, byte[] cutBody) {
    String path = "/cut/" + Integer.toHexString(name.hashCode()) + "/" + protocol.charAt(1);
    String[] answer = send(protocol, path, List.of(JSON, "Content-Encoding: gzip"), cutBody);
    assertThat(Integer.parseInt(answer[0])).as("answer to %s", name).isEqualTo(403);
    assertThat(answer[1]).contains("\"error\"").doesNotContain(SSN);
    if (name.startsWith("harmless")) {
      assertThat(answer[1]).contains("on_uninspectable");
    }
    assertThat(proxy.received).noneMatch(r -> r.path().equals(path));
    proxy.assertStillServes();
    proxy.assertNeverLeaked(SSN);
  }

  static Stream<Arguments> cutGzipOverBothProtocols() {
    byte[] ssn = gzip(concat(SSN_JSON, new byte[2048]));
    byte[] harmless = gzip(utf8("{\"note\":\"EXAMPLE harmless text\"}"));
    List<Arguments> cases = List.of(
        Arguments.of("SSN decodable, cut before the trailer", cut(ssn, 8)),
        Arguments.of("SSN decodable, cut in the trailer", cut(ssn, 3)),
        Arguments.of("harmless, cut before the trailer", cut(harmless, 8)),
        Arguments.of("harmless, cut after the header", Arrays.copyOf(harmless, 10)));
    return cases.stream().flatMap(a -> Stream.of("h1 raw", "h2c")
        .map(p -> Arguments.of(p, a.get()[0], a.get()[1])));
  }

  static Stream<Arguments> responses() {
    List<ResponseCase> cases = new ArrayList<>(List.of(
        new ResponseCase("identity then gzip lines", List.of(JSON,
            "Content-Encoding: identity", "Content-Encoding: gzip"), gzip(CARD_JSON), true),
        new ResponseCase("image/png then application/json lines", List.of(
            "Content-Type: image/png", JSON), CARD_JSON, true),
        new ResponseCase("gzip, gzip is undone twice and masked", List.of(JSON,
            "Content-Encoding: gzip, gzip"), gzip(gzip(CARD_JSON)), false),
        new ResponseCase("two gzip lines are one list", List.of(JSON,
            "Content-Encoding: gzip", "Content-Encoding: gzip"), gzip(gzip(CARD_JSON)), false),
        new ResponseCase("zstd is decoded and masked", List.of(JSON, "Content-Encoding: zstd"),
            zstd(CARD_JSON), false),
        new ResponseCase("x-gzip with odd case", List.of(JSON, "Content-Encoding: X-Gzip "),
            gzip(CARD_JSON), false),
        new ResponseCase("unknown coding", List.of(JSON, "Content-Encoding: compress"),
            CARD_JSON, true),
        new ResponseCase("gzip bomb", List.of(JSON, "Content-Encoding: gzip"),
            gzip(CARD_BOMB), true),
        new ResponseCase("zstd bomb", List.of(JSON, "Content-Encoding: zstd"),
            zstd(CARD_BOMB), true),
        new ResponseCase("br bomb", List.of(JSON, "Content-Encoding: br"),
            brotli(CARD_BOMB), true),
        new ResponseCase("truncated zstd", List.of(JSON, "Content-Encoding: zstd"),
            cut(zstd(CARD_JSON), 3), true),
        new ResponseCase("claims zstd, is plain", List.of(JSON, "Content-Encoding: zstd"),
            CARD_JSON, true)));
    return cases.stream().flatMap(c -> Stream.of(
        Arguments.of(SessionProtocol.H1C, c), Arguments.of(SessionProtocol.H2C, c)));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("responses")
  void hostileResponseNeverDeliversTheValue(SessionProtocol protocol, ResponseCase c) {
    String path = "/res/" + Integer.toHexString(c.name().hashCode()) + "/" + protocol.uriText();
    responses.put(path, new HttpResponseSpec(c.headers(), c.body()));
    AggregatedHttpResponse res;
    try {
      res = WebClient.builder(proxy.http().replace("http:", protocol.uriText() + ":"))
          .responseTimeout(Duration.ofSeconds(30)).maxResponseLength(0).build()
          .get(path).aggregate().join();
    } catch (RuntimeException e) {
      // An aborted stream: the client got no complete response, so no value.
      assertThat(c.refused()).as("%s was cut off", c.name()).isTrue();
      res = null;
    }
    if (res != null) {
      if (c.refused()) {
        assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
        assertThat(res.contentUtf8()).contains("on_uninspectable");
      } else {
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        // Redacted bodies go on decoded, without Content-Encoding: what the client reads is what
        // a decoder would make of it.
        assertThat(res.headers().contains(HttpHeaderNames.CONTENT_ENCODING)).isFalse();
        assertThat(res.contentUtf8()).contains("\"card\"").doesNotContain(CARD);
      }
      assertThat(new String(res.content().array(), StandardCharsets.ISO_8859_1))
          .doesNotContain(CARD);
    }
    proxy.assertStillServes();
    proxy.assertNeverLeaked(CARD);
  }
}
