package dev.custos.proxy;

import static dev.custos.proxy.HostileBodies.concat;
import static dev.custos.proxy.HostileBodies.gzip;
import static dev.custos.proxy.HostileBodies.utf8;
import static dev.custos.proxy.HostileProxy.CARD;
import static dev.custos.proxy.HostileProxy.SSN;
import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Content-type lies, both directions: a text body carrying an SSN or a card labelled as an image,
 * audio or video type on the skip list (in any case, with parameters, in one-byte chunks, behind
 * a bare magic number), or as SVG. The proxy skips a body only when its first bytes prove the
 * claimed type; every lie is scanned as text, so the request is blocked and the response masked.
 * Real media (PNG and JPEG written by ImageIO, an MP4 opening with its {@code ftyp} box) still
 * passes unchanged. The documented limit: once the first bytes prove the type, the rest of the
 * body is not scanned.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileContentTypeLiesTest {
  private static final byte[] SSN_JSON = utf8("{\"ssn\":\"" + SSN + "\"}");
  private static final byte[] CARD_JSON = utf8("{\"card\":\"" + CARD + "\"}");
  private static final byte[] SVG = utf8("<svg xmlns=\"http://www.w3.org/2000/svg\"><text>ssn "
      + SSN + " card " + CARD + "</text></svg>");
  /** An ISO base media file's first box: size 24, {@code ftyp}, brand isom, two compatible brands. */
  private static final byte[] MP4 = concat(
      new byte[] {0, 0, 0, 24}, utf8("ftypisom"), new byte[] {0, 0, 2, 0}, utf8("isomiso2"),
      new byte[] {0, 0, 0, 8}, utf8("free"), new byte[] {0, 0, 0, 16}, utf8("mdat"),
      new byte[] {1, 2, 3, 4, 5, 6, 7, 8});

  private HostileProxy proxy;
  private final Map<String, byte[]> responseBodies = new ConcurrentHashMap<>();
  private final Map<String, String> responseTypes = new ConcurrentHashMap<>();

  /** A lie: the claimed type, the body, and how it is sent (chunk size; 0 for one piece). */
  record Lie(String type, byte[] body, int chunk) {
    @Override
    public String toString() {
      return type + (chunk > 0 ? " in " + chunk + "-byte chunks" : "") + " (" + body.length + " B)";
    }
  }

  @BeforeAll
  void start(@TempDir Path dir) {
    proxy = HostileProxy.start(dir);
    proxy.respondWith(req -> {
      byte[] body = responseBodies.get(req.path());
      if (body == null) {
        return HttpResponse.of(HttpStatus.OK, com.linecorp.armeria.common.MediaType.JSON,
            "{\"ok\":true}");
      }
      return HttpResponse.of(ResponseHeaders.builder(HttpStatus.OK)
          .add(HttpHeaderNames.CONTENT_TYPE, responseTypes.get(req.path())).build(),
          HttpData.wrap(body));
    });
  }

  @AfterAll
  void stop() {
    proxy.close();
  }

  static byte[] image(String format) {
    BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, format, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static Stream<Lie> lies() {
    byte[] pngMagicThenText = concat(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10},
        SSN_JSON);
    byte[] jpegSoiThenText = concat(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF}, SSN_JSON);
    return Stream.of(
        new Lie("image/png", SSN_JSON, 0),
        new Lie("IMAGE/PNG; charset=utf-8", SSN_JSON, 0),
        new Lie("image/png", SSN_JSON, 1),
        new Lie("video/mp4", SSN_JSON, 0),
        new Lie("Video/MP4", SSN_JSON, 3),
        new Lie("image/jpeg", SSN_JSON, 0),
        new Lie("image/gif", SSN_JSON, 0),
        new Lie("image/webp", SSN_JSON, 0),
        new Lie("audio/mpeg", SSN_JSON, 0),
        new Lie("audio/ogg", SSN_JSON, 0),
        new Lie("video/webm", SSN_JSON, 0),
        new Lie("image/x-made-up", SSN_JSON, 0),
        new Lie("image/svg+xml", SVG, 0),
        new Lie("image/png", pngMagicThenText, 0),
        new Lie("image/png", pngMagicThenText, 1),
        new Lie("image/jpeg", jpegSoiThenText, 0),
        new Lie("image/png", utf8(SSN), 0),
        new Lie("image/jpeg", image("png"), 0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lies")
  void aLieInARequestIsScannedAndTheSsnBlocked(Lie lie) {
    String path = "/lie/" + Integer.toHexString(lie.toString().hashCode());
    List<String> headers = List.of("Content-Type: " + lie.type());
    HostileBodies.RawResponse res = lie.chunk() > 0
        ? HostileBodies.sendChunked(proxy.port(), path, headers, lie.body(), lie.chunk())
        : HostileBodies.send(proxy.port(), "POST", path, headers, lie.body());

    if (new String(lie.body(), StandardCharsets.ISO_8859_1).contains(SSN)) {
      assertThat(res.status()).as("answer to %s", lie).isEqualTo(403);
      assertThat(res.bodyText()).contains("\"blocked\"");
      assertThat(proxy.received).noneMatch(r -> r.path().equals(path));
    } else {
      // A real image of another type than claimed: scanned as text, nothing found, delivered.
      assertThat(res.status()).as("answer to %s", lie).isEqualTo(200);
    }
    proxy.assertStillServes();
    proxy.assertNeverLeaked(SSN);
  }

  static Stream<Arguments> responseLies() {
    return Stream.of(
        new Lie("image/png", CARD_JSON, 0),
        new Lie("IMAGE/PNG; charset=utf-8", CARD_JSON, 0),
        new Lie("video/mp4", CARD_JSON, 0),
        new Lie("audio/mpeg", CARD_JSON, 0),
        new Lie("image/svg+xml", SVG, 0))
        .flatMap(l -> Stream.of(Arguments.of(SessionProtocol.H1C, l),
            Arguments.of(SessionProtocol.H2C, l)));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("responseLies")
  void aLieInAResponseIsScannedAndTheCardMasked(SessionProtocol protocol, Lie lie) {
    String path = "/res-lie/" + Integer.toHexString(lie.toString().hashCode()) + "/"
        + protocol.uriText();
    responseBodies.put(path, lie.body());
    responseTypes.put(path, lie.type());
    AggregatedHttpResponse res = WebClient.builder(proxy.http().replace("http:",
            protocol.uriText() + ":")).responseTimeout(Duration.ofSeconds(30)).build()
        .get(path).aggregate().join();

    assertThat(res.status()).isEqualTo(HttpStatus.OK);
    assertThat(res.contentUtf8()).doesNotContain(CARD).doesNotContain(SSN).contains("****");
    proxy.assertStillServes();
    proxy.assertNeverLeaked(CARD);
  }

  static Stream<Arguments> realMedia() {
    return Stream.of(
        Arguments.of("image/png", image("png")),
        Arguments.of("image/jpeg", image("jpeg")),
        Arguments.of("image/gif", image("gif")),
        Arguments.of("video/mp4", MP4));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("realMedia")
  void realMediaIsSkippedAndPassesUnchangedBothWays(String type, byte[] body) {
    String path = "/media/" + type;
    HostileBodies.RawResponse res = HostileBodies.sendChunked(proxy.port(), path,
        List.of("Content-Type: " + type), body, 5);
    assertThat(res.status()).isEqualTo(200);
    AggregatedHttpRequest got = proxy.received.stream().filter(r -> r.path().equals(path))
        .findFirst().orElseThrow();
    assertThat(got.content().array()).isEqualTo(body);

    String resPath = "/media-res/" + type;
    responseBodies.put(resPath, body);
    responseTypes.put(resPath, type);
    AggregatedHttpResponse back = WebClient.of(proxy.http()).get(resPath).aggregate().join();
    assertThat(back.status()).isEqualTo(HttpStatus.OK);
    assertThat(back.content().array()).isEqualTo(body);
    proxy.assertStillServes();
  }

  /**
   * The documented limit: the first bytes decide. A real image with text appended after it is
   * skipped whole, so whatever follows a proved signature is not scanned (remove the type from
   * {@code skip_media_types} to scan such bodies as text).
   */
  @Test
  void textAppendedToARealImageIsNotScannedAsDocumented(@TempDir Path own) {
    String planted = SSN;
    try (HostileProxy p = HostileProxy.start(own)) {
      byte[] polyglot = concat(image("png"), utf8("{\"ssn\":\"" + planted + "\"}"));
      HostileBodies.RawResponse res = HostileBodies.send(p.port(), "POST", "/polyglot",
          List.of("Content-Type: image/png"), polyglot);
      assertThat(res.status()).isEqualTo(200);
      assertThat(p.received).anyMatch(r -> r.path().equals("/polyglot")
          && r.content().toString(StandardCharsets.ISO_8859_1).contains(planted));
      p.assertStillServes();
    }
  }

  @Test
  void aSkippableTypeWithAContentCodingIsDecodedAndScanned() {
    HostileBodies.RawResponse res = HostileBodies.send(proxy.port(), "POST", "/gz-png",
        List.of("Content-Type: image/png", "Content-Encoding: gzip"), gzip(SSN_JSON));
    assertThat(res.status()).isEqualTo(403);
    proxy.assertStillServes();
    proxy.assertNeverLeaked(SSN);
  }
}
