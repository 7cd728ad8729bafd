package dev.custos.proxy;

import static dev.custos.proxy.HostileProxy.CARD;
import static dev.custos.proxy.HostileProxy.SSN;
import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.stream.StreamMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile-input family "chunking": a planted value cut by the sender's framing — HTTP/1.1 chunks
 * of one byte (in one write or one write each), a chunk boundary at every position inside the
 * value, chunk extensions (also huge ones), zero-padded and upper-case sizes, HTTP/2 DATA frames
 * of one byte and empty ones — in requests (the SSN is blocked before the upstream) and in
 * responses (the card is masked). A chunk boundary never changes the result.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileChunkingTest {
  private static final String BODY = "{\"note\":\"x\",\"ssn\":\"" + SSN + "\",\"n\":1}";
  private static final String HEAD = "POST /chunks HTTP/1.1\r\nHost: example.test\r\n"
      + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";

  private HostileProxy proxy;

  @BeforeAll
  void start() throws IOException {
    proxy = HostileProxy.start(Files.createTempDirectory("hostile-chunking"));
  }

  @AfterAll
  void stop() {
    proxy.close();
  }

  /** A request body framed as chunks, named for the report. */
  record Framing(String name, List<String> writes) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static String chunk(String data, String extension) {
    return Integer.toHexString(data.length()) + extension + "\r\n" + data + "\r\n";
  }

  private static String oneByteChunks(String body, String extension) {
    StringBuilder sb = new StringBuilder();
    for (char c : body.toCharArray()) {
      sb.append(chunk(String.valueOf(c), extension));
    }
    return sb.toString();
  }

  Stream<Framing> framings() {
    List<Framing> cases = new ArrayList<>();
    cases.add(new Framing("1-byte chunks in one write",
        List.of(HEAD + oneByteChunks(BODY, "") + "0\r\n\r\n")));
    List<String> writes = new ArrayList<>();
    writes.add(HEAD);
    for (char c : BODY.toCharArray()) {
      writes.add(chunk(String.valueOf(c), ""));
    }
    writes.add("0\r\n\r\n");
    cases.add(new Framing("1-byte chunks, one write each", writes));
    cases.add(new Framing("1-byte chunks with extensions",
        List.of(HEAD + oneByteChunks(BODY, ";ext=\"a b\"") + "0\r\n\r\n")));
    cases.add(new Framing("a 32 KiB chunk extension",
        List.of(HEAD + chunk(BODY, ";x=" + "a".repeat(32 * 1024)) + "0\r\n\r\n")));
    cases.add(new Framing("zero-padded upper-case chunk sizes",
        List.of(HEAD + "000" + Integer.toHexString(BODY.length()).toUpperCase() + "\r\n" + BODY
            + "\r\n0000\r\n\r\n")));
    int at = BODY.indexOf(SSN);
    for (int k = 0; k <= SSN.length(); k++) {
      String a = BODY.substring(0, at + k);
      String b = BODY.substring(at + k);
      cases.add(new Framing("boundary after " + k + " bytes of the value",
          List.of(HEAD + chunk(a, "") + chunk(b, "") + "0\r\n\r\n")));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "HTTP/1.1 request: {0}")
  @MethodSource("framings")
  void aChunkedSsnIsBlockedBeforeTheUpstream(Framing f) {
    List<byte[]> bytes = new ArrayList<>();
    for (String w : f.writes()) {
      bytes.add(w.getBytes(StandardCharsets.ISO_8859_1));
    }
    String answer = RawHttp1Client.exchange(proxy.port(), bytes);
    assertThat(RawHttp1Client.statuses(answer)).as(f.name()).doesNotContain(200);
    proxy.assertStillServes();
    proxy.assertNeverLeaked(SSN);
  }

  Stream<Arguments> http2Framings() {
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    List<Arguments> args = new ArrayList<>();
    List<HttpData> ones = new ArrayList<>();
    List<HttpData> withEmpty = new ArrayList<>();
    for (byte b : body) {
      ones.add(HttpData.wrap(new byte[] {b}));
      withEmpty.add(HttpData.empty());
      withEmpty.add(HttpData.wrap(new byte[] {b}));
    }
    args.add(Arguments.of("1-byte DATA frames", ones));
    args.add(Arguments.of("empty DATA frames between 1-byte ones", withEmpty));
    return args.stream();
  }

  @ParameterizedTest(name = "HTTP/2 request: {0}")
  @MethodSource("http2Framings")
  void anSsnInTinyHttp2DataFramesIsBlocked(String name, List<HttpData> frames) {
    HttpRequest req = HttpRequest.of(
        RequestHeaders.builder(HttpMethod.POST, "/chunks").contentType(MediaType.JSON).build(),
        StreamMessage.of(frames.toArray(new HttpData[0])));
    AggregatedHttpResponse res = client(SessionProtocol.H2C).execute(req).aggregate().join();
    assertThat(res.status()).as(name).isEqualTo(HttpStatus.FORBIDDEN);
    proxy.assertStillServes();
    proxy.assertNeverLeaked(SSN);
  }

  Stream<Arguments> responseSplits() {
    String text = "{\"card\":\"" + CARD + "\"}";
    int at = text.indexOf(CARD);
    List<Arguments> args = new ArrayList<>();
    for (SessionProtocol p : List.of(SessionProtocol.H1C, SessionProtocol.H2C)) {
      List<String> ones = new ArrayList<>();
      for (char c : text.toCharArray()) {
        ones.add(String.valueOf(c));
      }
      args.add(Arguments.of(p, "1-byte chunks", ones));
      IntStream.of(1, 4, 8, 15).forEach(k -> args.add(Arguments.of(p,
          "boundary after " + k + " digits",
          List.of(text.substring(0, at + k), text.substring(at + k)))));
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0} response: {1}")
  @MethodSource("responseSplits")
  void aCardSplitAcrossResponseChunksIsMasked(SessionProtocol protocol, String name,
      List<String> pieces) {
    proxy.respondWith(req -> {
      HttpData[] data = pieces.stream().map(HttpData::ofUtf8).toArray(HttpData[]::new);
      return HttpResponse.of(ResponseHeaders.of(HttpStatus.OK, "content-type", "application/json"),
          StreamMessage.of(data));
    });
    try {
      AggregatedHttpResponse res = client(protocol).get("/card").aggregate().join();
      assertThat(res.status()).isEqualTo(HttpStatus.OK);
      assertThat(res.contentUtf8()).as(name).isEqualTo("{\"card\":\"****************\"}");
    } finally {
      proxy.respondWith(req -> HttpResponse.of(HttpStatus.OK, MediaType.JSON, "{\"ok\":true}"));
    }
    proxy.assertStillServes();
    proxy.assertNeverLeaked(CARD);
  }

  private WebClient client(SessionProtocol protocol) {
    return WebClient.builder(protocol, Endpoint.of("127.0.0.1", proxy.port()))
        .responseTimeout(Duration.ofSeconds(30))
        .build();
  }
}
