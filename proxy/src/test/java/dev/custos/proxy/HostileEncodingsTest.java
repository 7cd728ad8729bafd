package dev.custos.proxy;

import static dev.custos.proxy.HostileProxy.CARD;
import static dev.custos.proxy.HostileProxy.SSN;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile encodings of the text itself: UTF-16 and UTF-32 with and without a byte-order mark, a
 * charset parameter that lies, JSON escapes of every digit and mixed escapes, invalid and overlong
 * UTF-8 around a value, and percent-encoding in forms and the query. An SSN sent so is blocked
 * before the upstream sees the request; a card sent so in a response is masked, in its encoding.
 */
class HostileEncodingsTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Charset UTF_32LE = Charset.forName("UTF-32LE");
  private static final Charset UTF_32BE = Charset.forName("UTF-32BE");
  /** Every way a receiver might read the bytes; the planted value must show in none. */
  private static final List<Charset> READINGS = List.of(StandardCharsets.UTF_8,
      StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE, UTF_32LE, UTF_32BE);

  @TempDir
  static Path dir;

  /** One proxy for every case (each case checks the upstream's requests of its own). */
  private static HostileProxy p;

  @BeforeAll
  static void start() {
    p = HostileProxy.start(dir);
  }

  @AfterAll
  static void stop() {
    p.close();
  }

  @BeforeEach
  void reset() {
    p.received.clear();
    p.respondWith(req -> HttpResponse.of(HttpStatus.OK, MediaType.JSON, "{\"ok\":true}"));
  }

  /** One hostile body: what it says it is, and its bytes. */
  record Body(String name, String contentType, byte[] bytes) {
    @Override
    public String toString() {
      return name;
    }
  }

  static byte[] bom(String bom, String text, Charset charset) {
    byte[] mark = bom.getBytes(charset);
    byte[] body = text.getBytes(charset);
    byte[] all = new byte[mark.length + body.length];
    System.arraycopy(mark, 0, all, 0, mark.length);
    System.arraycopy(body, 0, all, mark.length, body.length);
    return all;
  }

  static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static String escapeAll(String value) {
    StringBuilder sb = new StringBuilder();
    for (char c : value.toCharArray()) {
      sb.append(String.format("\\u%04x", (int) c));
    }
    return sb.toString();
  }

  /** Bodies that hide {@code value} (a JSON field {@code key}) in their encoding. */
  static List<Body> bodies(String key, String value) {
    String json = "{\"" + key + "\":\"" + value + "\"}";
    String text = "Customer record: " + key + " " + value + " on file.";
    String mixed = value.charAt(0) + "\\u00" + Integer.toHexString(value.charAt(1)).toUpperCase()
        + value.substring(2, value.length() - 1) + String.format("\\u%04X", (int) value.charAt(value.length() - 1));
    return List.of(
        new Body("UTF-16LE JSON with BOM", "application/json", bom("\uFEFF", json, StandardCharsets.UTF_16LE)),
        new Body("UTF-16BE JSON with BOM", "application/json", bom("\uFEFF", json, StandardCharsets.UTF_16BE)),
        new Body("UTF-16LE JSON without BOM", "application/json", json.getBytes(StandardCharsets.UTF_16LE)),
        new Body("UTF-16BE JSON without BOM", "application/json", json.getBytes(StandardCharsets.UTF_16BE)),
        new Body("UTF-32LE JSON without BOM", "application/json", json.getBytes(UTF_32LE)),
        new Body("UTF-32BE JSON with BOM", "application/json", bom("\uFEFF", json, UTF_32BE)),
        new Body("UTF-16LE text without BOM", "text/plain", text.getBytes(StandardCharsets.UTF_16LE)),
        new Body("charset says utf-8, body is UTF-16LE", "application/json; charset=utf-8",
            json.getBytes(StandardCharsets.UTF_16LE)),
        new Body("charset says utf-16, body is ASCII", "text/plain; charset=utf-16",
            text.getBytes(StandardCharsets.US_ASCII)),
        new Body("BOM says UTF-16LE, body is ASCII", "text/plain",
            concat(new byte[] {(byte) 0xFF, (byte) 0xFE}, text.getBytes(StandardCharsets.US_ASCII))),
        new Body("charset utf-16le, no ASCII in the first 64 bytes", "text/plain; charset=utf-16le",
            ("日本語".repeat(12) + text).getBytes(StandardCharsets.UTF_16LE)),
        new Body("JSON escapes of every character", "application/json",
            ("{\"" + key + "\":\"" + escapeAll(value) + "\"}").getBytes(StandardCharsets.UTF_8)),
        new Body("JSON mixed escapes", "application/json",
            ("{\"" + key + "\":\"" + mixed + "\"}").getBytes(StandardCharsets.UTF_8)),
        new Body("JSON escapes in UTF-16BE", "application/json",
            ("{\"" + key + "\":\"" + escapeAll(value) + "\"}").getBytes(StandardCharsets.UTF_16BE)),
        new Body("JSON quote escapes around the value", "application/json",
            ("{\"note\":\"\\u0022" + value + "\\n\\\"\"}").getBytes(StandardCharsets.UTF_8)),
        new Body("invalid and overlong UTF-8 around the value", "application/json",
            concat(("{\"" + key + "\":\"").getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xC0, (byte) 0xAF, (byte) 0xFF},
                value.getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80, (byte) 0xE0, (byte) 0x80},
                "\"}".getBytes(StandardCharsets.UTF_8))));
  }

  static Stream<Body> requestBodies() {
    String percent = "ssn=" + SSN.chars().mapToObj(c -> String.format("%%%02X", c)).reduce("", String::concat);
    return Stream.concat(bodies("ssn", SSN).stream(), Stream.of(
        new Body("form, every byte percent-encoded", "application/x-www-form-urlencoded",
            percent.getBytes(StandardCharsets.US_ASCII)),
        new Body("form, dashes percent-encoded", "application/x-www-form-urlencoded",
            ("name=x&ssn=" + SSN.replace("-", "%2d")).getBytes(StandardCharsets.US_ASCII))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requestBodies")
  void anSsnInAHostileEncodingNeverReachesTheUpstream(Body body) {
    AggregatedHttpResponse res = WebClient.of(p.http()).execute(HttpRequest.of(HttpMethod.POST,
        "/hostile", MediaType.parse(body.contentType()), HttpData.wrap(body.bytes()))).aggregate().join();
    assertThat(res.status()).as(body.name()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(p.received).as("requests the upstream received").isEmpty();
    p.assertStillServes();
    p.assertNeverLeaked(SSN);
    assertNotReadable(res.content().array(), SSN);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.custos.proxy.HostileEncodingsTest#percentEncodedQueries")
  void anSsnPercentEncodedInTheQueryNeverReachesTheUpstream(String query) {
    AggregatedHttpResponse res = WebClient.of(p.http()).get("/search?" + query).aggregate().join();
    assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(p.received).isEmpty();
    p.assertStillServes();
    p.assertNeverLeaked(SSN);
  }

  static Stream<String> percentEncodedQueries() {
    return Stream.of(
        "ssn=" + SSN.chars().mapToObj(c -> String.format("%%%02X", c)).reduce("", String::concat),
        "q=" + SSN.replace("-", "%2D"),
        "id=" + SSN.replace("0", "%30"));
  }

  static Stream<Body> responseBodies() {
    return bodies("card", CARD).stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("responseBodies")
  void aCardInAHostileEncodingIsMaskedInTheResponse(Body body) throws Exception {
    p.respondWith(req -> HttpResponse.of(
        ResponseHeaders.of(HttpStatus.OK, "content-type", body.contentType()), HttpData.wrap(body.bytes())));
    AggregatedHttpResponse res = WebClient.of(p.http()).get("/account").aggregate().join();
    assertThat(res.status()).as(body.name()).isEqualTo(HttpStatus.OK);
    byte[] got = res.content().array();
    assertNotReadable(got, CARD);
    assertThat(got).as("mask keeps the length").hasSize(body.bytes().length);
    if (body.contentType().startsWith("application/json") && !body.name().contains("invalid")) {
      assertThat(MAPPER.readTree(got)).as("redacted JSON still parses").isNotNull();
    }
    p.assertStillServes();
    p.assertNeverLeaked(CARD);
  }

  /** Checks that no reading of the bytes (UTF-8, UTF-16, UTF-32, JSON unescaped) shows {@code value}. */
  static void assertNotReadable(byte[] bytes, String value) {
    for (Charset cs : READINGS) {
      String text = new String(bytes, cs).replace("\u0000", "");
      assertThat(text).as("read as %s", cs).doesNotContain(value);
      assertThat(unescape(text)).as("read as %s, JSON escapes decoded", cs).doesNotContain(value);
    }
  }

  static String unescape(String text) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\' && i + 5 < text.length() && text.charAt(i + 1) == 'u') {
        try {
          sb.append((char) Integer.parseInt(text.substring(i + 2, i + 6), 16));
          i += 5;
          continue;
        } catch (NumberFormatException e) {
          // Not an escape: taken as it is.
        }
      }
      sb.append(c);
    }
    return sb.toString();
  }
}
