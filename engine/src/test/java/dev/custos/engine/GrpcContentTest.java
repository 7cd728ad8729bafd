package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** {@link ContentType#GRPC}: length-prefixed messages, compression, paths, redaction, chunking. */
class GrpcContentTest {
  private static final Scanner SCANNER = Samples.JAVA;
  private static final String CARD = "4111 1111 1111 1111";

  static byte[] frame(byte[] message, boolean compress) {
    byte[] payload = compress ? gzip(message) : message;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(compress ? 1 : 0);
    out.write(payload.length >>> 24);
    out.write(payload.length >>> 16);
    out.write(payload.length >>> 8);
    out.write(payload.length);
    out.writeBytes(payload);
    return out.toByteArray();
  }

  static byte[] gzip(byte[] plain) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(plain);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] gunzip(byte[] bytes) {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Splits a gRPC body into its messages (inflated when compressed). */
  static List<byte[]> messages(byte[] body) {
    List<byte[]> messages = new ArrayList<>();
    int i = 0;
    while (i < body.length) {
      boolean compressed = (body[i] & 1) != 0;
      int length = ((body[i + 1] & 0xff) << 24) | ((body[i + 2] & 0xff) << 16) | ((body[i + 3] & 0xff) << 8)
          | (body[i + 4] & 0xff);
      byte[] payload = java.util.Arrays.copyOfRange(body, i + 5, i + 5 + length);
      messages.add(compressed ? gunzip(payload) : payload);
      i += 5 + length;
    }
    return messages;
  }

  @Test
  void contentTypeOfGrpcMediaTypes() {
    for (String t : List.of("application/grpc", "application/grpc+proto", "application/grpc-web",
        "application/grpc-web+proto", "grpc")) {
      assertThat(ContentType.of(t)).as(t).isEqualTo(ContentType.GRPC);
    }
    assertThat(ContentType.GRPC.id()).isEqualTo("grpc");
  }

  @Test
  void findingsCarryTheMessageIndexAndBodyOffsets() {
    byte[] first = Pb.message().string(1, "hello").toBytes();
    byte[] second = Pb.message().message(1, Pb.message().string(2, "card " + CARD)).toBytes();
    byte[] body = Samples.concat(List.of(frame(first, false), frame(second, false)));
    ScanResult result = SCANNER.scan(body, ContentType.GRPC);
    assertThat(result.findings()).extracting(Finding::jsonPath).containsExactly("$[1].1.2");
    Finding f = result.findings().get(0);
    assertThat(new String(body, (int) f.start(), (int) (f.end() - f.start()), StandardCharsets.UTF_8)).isEqualTo(CARD);
    assertThat(result.notes()).isEmpty();
  }

  @Test
  void aCardSplitAcrossChunksIsFoundWhateverTheChunks() {
    // A card split across two messages: GrpcJoinTest.
    byte[] whole = Samples.concat(List.of(frame(Pb.message().string(1, "x").toBytes(), false),
        frame(Pb.message().string(1, CARD).toBytes(), false)));
    for (int chunk = 1; chunk < whole.length; chunk++) {
      assertThat(Samples.scanChunked(SCANNER, whole, ContentType.GRPC, List.of(chunk)).findings())
          .as("chunks of %s bytes", chunk).extracting(Finding::jsonPath).containsExactly("$[1].1");
    }
  }

  @Test
  void compressedMessageIsInflatedScannedAndRecompressedWhenRedacted() {
    byte[] plain = Pb.message().string(3, "ssn 078-05-1120").string(4, "nothing here").toBytes();
    byte[] body = Samples.concat(List.of(frame(Pb.message().string(1, "x").toBytes(), false), frame(plain, true)));
    ScanResult result = SCANNER.scan(body, ContentType.GRPC);
    assertThat(result.findings()).extracting(Finding::jsonPath).containsExactly("$[1].3");
    Finding f = result.findings().get(0);
    int second = frame(Pb.message().string(1, "x").toBytes(), false).length;
    assertThat(f.start()).as("a compressed message's finding spans the message").isEqualTo(second + 5);
    assertThat(f.end()).isEqualTo(body.length);

    byte[] redacted = Samples.redactChunked(SCANNER, body, ContentType.GRPC, RedactionStyle.MASK, List.of(3));
    List<byte[]> messages = messages(redacted);
    assertThat(messages).hasSize(2);
    assertThat(messages.get(1)).hasSameSizeAs(plain);
    assertThat(new String(messages.get(1), StandardCharsets.UTF_8)).contains("***-**-****").contains("nothing here");
    assertThat(redacted[second] & 1).as("still flagged compressed").isEqualTo(1);
    assertThat(SCANNER.scan(redacted, ContentType.GRPC).findings()).isEmpty();
  }

  @Test
  void compressedMessageWithoutFindingsGoesOnByteForByte() {
    byte[] body = frame(Pb.message().string(1, "nothing to see").toBytes(), true);
    assertThat(Samples.redactChunked(SCANNER, body, ContentType.GRPC, RedactionStyle.MASK, List.of(2))).isEqualTo(body);
  }

  @Test
  void compressedMessageThatIsNotGzipGoesOnUnscannedAndIsNoted() {
    byte[] junk = ("card " + CARD).getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[5 + junk.length];
    body[0] = 1;
    body[4] = (byte) junk.length;
    System.arraycopy(junk, 0, body, 5, junk.length);
    ScanResult result = SCANNER.scan(body, ContentType.GRPC);
    assertThat(result.notes()).containsExactly(ScanNote.GRPC_MESSAGE_UNINSPECTABLE);
    assertThat(Samples.redactChunked(SCANNER, body, ContentType.GRPC, RedactionStyle.MASK, List.of())).isEqualTo(body);
  }

  @Test
  void bodyCutShortIsNoted() {
    byte[] body = frame(Pb.message().string(1, "card " + CARD).toBytes(), false);
    ScanResult cut = SCANNER.scan(java.util.Arrays.copyOf(body, body.length - 2), ContentType.GRPC);
    assertThat(cut.notes()).contains(ScanNote.PROTOBUF_MALFORMED);
    assertThat(SCANNER.scan(java.util.Arrays.copyOf(body, 3), ContentType.GRPC).notes())
        .containsExactly(ScanNote.PROTOBUF_MALFORMED);
  }

  @Test
  void hashStyleMasksSoThatTheFramingStaysValid() {
    byte[] body = frame(Pb.message().string(1, "card " + CARD).toBytes(), false);
    byte[] redacted = Samples.redactChunked(SCANNER, body, ContentType.GRPC, RedactionStyle.HASH, List.of());
    assertThat(redacted).hasSameSizeAs(body);
    assertThat(new String(redacted, StandardCharsets.ISO_8859_1)).contains("**** **** **** ****");
  }

  @Provide
  Arbitrary<byte[]> body() {
    return Arbitraries.longs().map(seed -> {
      Random r = new Random(seed);
      List<byte[]> frames = new ArrayList<>();
      int n = 1 + r.nextInt(4);
      for (int i = 0; i < n; i++) {
        frames.add(frame(ProtobufProperties.randomMessage(r), r.nextInt(3) == 0));
      }
      return Samples.concat(frames);
    });
  }

  @Provide
  Arbitrary<List<Integer>> chunking() {
    return Arbitraries.integers().between(1, 64).list().ofMinSize(1).ofMaxSize(8);
  }

  @Property(tries = 200, seed = "20261207")
  void chunkingChangesNeitherFindingsNorRedaction(@ForAll("body") byte[] body, @ForAll("chunking") List<Integer> sizes) {
    ScanResult oneShot = SCANNER.scan(body, ContentType.GRPC);
    ScanResult chunked = Samples.scanChunked(SCANNER, body, ContentType.GRPC, sizes);
    assertThat(chunked.findings()).isEqualTo(oneShot.findings());
    assertThat(chunked.notes()).isEqualTo(oneShot.notes());
    byte[] a = Samples.redactChunked(SCANNER, body, ContentType.GRPC, RedactionStyle.MASK, List.of());
    byte[] b = Samples.redactChunked(SCANNER, body, ContentType.GRPC, RedactionStyle.MASK, sizes);
    assertThat(b).isEqualTo(a);
    assertThat(messages(a)).hasSameSizeAs(messages(body));
    if (oneShot.findings().isEmpty()) {
      assertThat(a).isEqualTo(body);
    }
  }
}
