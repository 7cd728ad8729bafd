package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ContentType#PROTOBUF}: the schemaless wire-format walk, paths, limits, offsets and redaction. */
class ProtobufContentTest {
  private static final Scanner SCANNER = Samples.JAVA;
  private static final String CARD = "4111 1111 1111 1111";

  private static ScanResult scan(byte[] body) {
    return SCANNER.scan(body, ContentType.PROTOBUF);
  }

  private static String span(byte[] body, Finding f) {
    return new String(body, (int) f.start(), (int) (f.end() - f.start()), StandardCharsets.UTF_8);
  }

  @Test
  void contentTypeOfProtobufMediaTypes() {
    assertThat(ContentType.of("application/protobuf")).isEqualTo(ContentType.PROTOBUF);
    assertThat(ContentType.of("application/x-protobuf; messageType=x.Y")).isEqualTo(ContentType.PROTOBUF);
    assertThat(ContentType.of("protobuf")).isEqualTo(ContentType.PROTOBUF);
    assertThat(ContentType.PROTOBUF.id()).isEqualTo("protobuf");
    assertThat(ContentType.of("application/grpc")).isEqualTo(ContentType.GRPC);
  }

  @Test
  void cardInRepeatedNestedStringCarriesFieldNumberPathAndOriginalOffsets() {
    byte[] body = Pb.message()
        .varint(7, 150)
        .message(1, Pb.message()
            .string(3, "first")
            .string(3, "second")
            .string(3, "card " + CARD)
            .fixed32(4, 12))
        .toBytes();
    ScanResult result = scan(body);
    assertThat(result.findings()).extracting(Finding::category).containsExactly("credit_card");
    Finding f = result.findings().get(0);
    assertThat(f.jsonPath()).isEqualTo("$.1.3[2]");
    assertThat(span(body, f)).isEqualTo(CARD);
    assertThat(result.notes()).isEmpty();
    assertThat(result.bytesScanned()).isEqualTo(body.length);
  }

  @Test
  void deeplyNestedMessagesGiveEveryLevelsNumber() {
    byte[] body = Pb.message()
        .message(2, Pb.message().message(4, Pb.message().string(9, "ssn 078-05-1120")))
        .toBytes();
    List<Finding> findings = scan(body).findings();
    assertThat(findings).extracting(Finding::jsonPath).containsExactly("$.2.4.9");
  }

  @Test
  void valueSplitAcrossTwoFieldsIsNotJoined() {
    byte[] body = Pb.message().string(1, "4111111111").string(2, "111111").toBytes();
    assertThat(scan(body).findings()).isEmpty();
    // The same digits in one field are a card.
    assertThat(scan(Pb.message().string(1, "4111111111111111").toBytes()).findings()).hasSize(1);
  }

  @Test
  void plainTextThatHappensToParseAsAMessageIsAString() {
    // '*' is field 5 length-delimited, followed by its length: the text parses as a message, but it is
    // printable UTF-8, so it is decided to be a string and scanned whole.
    String rest = "card " + CARD + " expires 12/29 ok..";
    String text = "*" + (char) rest.length() + rest;
    assertThat(rest.length()).isBetween(32, 126);
    byte[] body = Pb.message().string(2, text).toBytes();
    List<Finding> findings = scan(body).findings();
    assertThat(findings).extracting(Finding::jsonPath).containsExactly("$.2");
    // The same bytes behind a binary prefix no longer parse, nor are they text: bytes, scanned.
    byte[] binary = Pb.message().bytes(2, concat(new byte[] {0x01, (byte) 0xff}, text.getBytes(StandardCharsets.UTF_8)))
        .toBytes();
    assertThat(scan(binary).findings()).extracting(Finding::jsonPath).containsExactly("$.2");
    // A real nested message (its tag and length bytes are control characters) is walked.
    byte[] nested = Pb.message().message(2, Pb.message().string(5, "card " + CARD)).toBytes();
    assertThat(scan(nested).findings()).extracting(Finding::jsonPath).containsExactly("$.2.5");
  }

  @Test
  void bytesThatAreNotProtobufAreScannedAsTextAndNoted() {
    byte[] body = ("hello card " + CARD + " bye").getBytes(StandardCharsets.UTF_8);
    ScanResult result = scan(body);
    assertThat(result.findings()).extracting(Finding::jsonPath).containsExactly("$");
    assertThat(span(body, result.findings().get(0))).isEqualTo(CARD);
    assertThat(result.notes()).containsExactly(ScanNote.PROTOBUF_MALFORMED);
  }

  @Test
  void malformedFieldAfterGoodOnesFallsBackFromItsStart() {
    byte[] good = Pb.message().string(1, "ssn 078-05-1120").toBytes();
    // Wire type 7 does not exist.
    byte[] bad = concat(new byte[] {(byte) ((3 << 3) | 7)}, ("card " + CARD).getBytes(StandardCharsets.UTF_8));
    byte[] body = concat(good, bad);
    ScanResult result = scan(body);
    assertThat(result.findings()).extracting(Finding::jsonPath).containsExactly("$.1", "$");
    assertThat(result.notes()).containsExactly(ScanNote.PROTOBUF_MALFORMED);
  }

  @Test
  void truncatedMessageIsScannedAndNoted() {
    byte[] whole = Pb.message().string(1, "card " + CARD + " and more text").toBytes();
    byte[] body = Arrays.copyOf(whole, whole.length - 5);
    ScanResult result = scan(body);
    assertThat(result.findings()).extracting(Finding::category).containsExactly("credit_card");
    assertThat(result.notes()).containsExactly(ScanNote.PROTOBUF_MALFORMED);
  }

  @Test
  void fieldLongerThanTheLookAheadStreamsAsAStringAndIsNoted() {
    String filler = "x".repeat(70 * 1024);
    byte[] body = Pb.message().string(4, filler + " card " + CARD + " " + filler).toBytes();
    ScanResult result = scan(body);
    assertThat(result.findings()).extracting(Finding::jsonPath).containsExactly("$.4");
    assertThat(span(body, result.findings().get(0))).isEqualTo(CARD);
    assertThat(result.notes()).containsExactly(ScanNote.PROTOBUF_FIELD_TOO_LONG);
  }

  @Test
  void nestingPastTheDepthLimitIsScannedAsAStringAndNoted() {
    Pb inner = Pb.message().message(1, Pb.message().string(1, "card " + CARD));
    for (int i = 0; i < 70; i++) {
      inner = Pb.message().message(1, inner);
    }
    ScanResult result = scan(inner.toBytes());
    assertThat(result.findings()).extracting(Finding::category).containsExactly("credit_card");
    assertThat(result.findings().get(0).jsonPath()).isEqualTo("$" + ".1".repeat(65));
    assertThat(result.notes()).containsExactly(ScanNote.PROTOBUF_TOO_DEEP);
  }

  @Test
  void redactionMasksInPlaceAndKeepsEveryOtherByte() {
    byte[] body = Pb.message()
        .varint(1, 300)
        .message(2, Pb.message().string(1, "Jane").string(2, CARD).fixed64(3, 0x3131313131313131L))
        .string(3, "mail jane.canary@example.com")
        .toBytes();
    for (RedactionStyle style : RedactionStyle.values()) {
      byte[] redacted = Samples.redactChunked(SCANNER, body, ContentType.PROTOBUF, style, List.of());
      assertThat(redacted).as("%s keeps the length", style).hasSameSizeAs(body);
      List<Finding> findings = scan(body).findings();
      assertThat(findings).hasSize(2);
      for (int i = 0; i < body.length; i++) {
        boolean inFinding = false;
        for (Finding f : findings) {
          inFinding |= i >= f.start() && i < f.end();
        }
        if (!inFinding) {
          assertThat(redacted[i]).as("byte %d outside findings, %s", i, style).isEqualTo(body[i]);
        }
      }
      assertThat(scan(redacted).findings()).as("nothing left after %s", style).isEmpty();
      assertThat(scan(redacted).notes()).isEmpty();
    }
  }

  @Test
  void redactionOfAStreamedMessageGoesOutBeforeTheEnd() {
    StringBuilder out = new StringBuilder();
    byte[] field = Pb.message().string(1, "x".repeat(10_000)).toBytes();
    try (StreamScanner s = SCANNER.newRedactingStream(ContentType.PROTOBUF, RedactionStyle.MASK,
        (b, o, n) -> out.append(n).append(','))) {
      for (int i = 0; i < 20; i++) {
        s.feed(field, 0, field.length);
      }
      assertThat(out).as("output before finish").isNotEmpty();
      s.finish();
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
