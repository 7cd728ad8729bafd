package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Content in a transfer encoding: multipart parts in base64 or quoted-printable (RFC 2045) and
 * gRPC-Web text bodies (base64 of gRPC-Web framing, padded per group), decoded for scanning,
 * findings mapped back onto the encoded characters, redaction re-encoded in place.
 */
class TransferEncodingContentTest {
  private static final Scanner SCANNER = Samples.JAVA;
  private static final String B = "----custos7MA4YWxk";
  private static final String CARD = "4111 1111 1111 1111";
  private static final String SSN = "078-05-1120";

  static String encodedPart(String name, String type, String encoding, String content) {
    return "Content-Disposition: form-data; name=\"" + name + "\"\r\n"
        + (type.isEmpty() ? "" : "Content-Type: " + type + "\r\n")
        + "Content-Transfer-Encoding: " + encoding + "\r\n\r\n" + content;
  }

  static String mime(String text) {
    return Base64.getMimeEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static ScanResult scanMultipart(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.ISO_8859_1);
    try (StreamScanner s = SCANNER.newMultipartStream(B)) {
      List<Finding> all = new ArrayList<>(s.feed(bytes, 0, bytes.length));
      all.addAll(s.finish());
      return ScanResult.of(all, s.notes(), s.bytesScanned());
    }
  }

  private static String redactMultipart(String body, RedactionStyle style) {
    byte[] bytes = body.getBytes(StandardCharsets.ISO_8859_1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (StreamScanner s = SCANNER.newRedactingMultipartStream(B, RedactionChoice.always(style), out::write)) {
      s.feed(bytes, 0, bytes.length);
      s.finish();
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  /** Returns the content of the part after its header block, up to the next delimiter. */
  private static String partContent(String body, String name) {
    int at = body.indexOf("name=\"" + name + "\"");
    int start = body.indexOf("\r\n\r\n", at) + 4;
    int end = body.indexOf("\r\n--" + B, start);
    return body.substring(start, end);
  }

  @Test
  void base64JsonPartIsDecodedScannedAsJsonAndPathed() {
    String encoded = mime("{\"user\":{\"ssn\":\"" + SSN + "\",\"pad\":\"" + "x".repeat(80) + "\"}}");
    assertThat(encoded).contains("\r\n"); // MIME lines of 76 characters
    String body = MultipartContentTest.body(MultipartContentTest.field("note", "hello"),
        encodedPart("meta", "application/json", "base64", encoded));
    ScanResult result = scanMultipart(body);
    assertThat(result.notes()).isEmpty();
    assertThat(result.findings()).singleElement().satisfies(f -> {
      assertThat(f.category()).isEqualTo("us_ssn");
      assertThat(f.jsonPath()).isEqualTo("$.parts['meta'].user.ssn");
      assertThat(f.confidence()).isEqualTo(Confidence.HIGH);
      String span = body.substring((int) f.start(), (int) f.end());
      assertThat(span.length() % 4).as("whole quanta").isZero();
      int quantaBefore = (int) (f.start() - body.indexOf(encoded)) / 4;
      String decoded = new String(Base64.getMimeDecoder().decode(span), StandardCharsets.ISO_8859_1);
      assertThat(decoded).as("the quanta at quantum %d", quantaBefore).contains(SSN);
    });
  }

  @Test
  void base64TextPartFindsACardAcrossALineBreak() {
    String text = "y".repeat(50) + " card " + CARD + " end";
    String encoded = mime(text);
    String body = MultipartContentTest.body(encodedPart("file", "text/plain", "BASE64", encoded));
    assertThat(scanMultipart(body).findings()).singleElement().satisfies(f -> {
      assertThat(f.category()).isEqualTo("credit_card");
      assertThat(f.jsonPath()).isEqualTo("$.parts['file']");
      String span = body.substring((int) f.start(), (int) f.end());
      assertThat(span).contains("\r\n");
      assertThat(new String(Base64.getMimeDecoder().decode(span), StandardCharsets.ISO_8859_1)).contains(CARD);
    });
  }

  @Test
  void quotedPrintablePartWithSoftBreaksAndEscapesIsDecoded() {
    String qp = "caf=C3=A9 card 4111 11=\r\n11 1111 =31111 end =\r\nok";
    String body = MultipartContentTest.body(encodedPart("note", "text/plain; charset=utf-8",
        "quoted-printable", qp));
    ScanResult result = scanMultipart(body);
    assertThat(result.notes()).isEmpty();
    assertThat(result.findings()).singleElement().satisfies(f -> {
      assertThat(f.category()).isEqualTo("credit_card");
      assertThat(body.substring((int) f.start(), (int) f.end())).isEqualTo("4111 11=\r\n11 1111 =31111");
    });
  }

  @Test
  void quotedPrintableSoftBreakWithTransportPaddingSplitsNothing() {
    // RFC 2045 6.7 rule 3: spaces and tabs may come between '=' and the line break of a soft break.
    for (String softBreak : List.of("= \r\n", "=\t\r\n", "= \t  \r\n", "=  \n", "=\t\n")) {
      String qp = "card 4111 11" + softBreak + "11 1111 1111 end";
      String body = MultipartContentTest.body(encodedPart("note", "text/plain", "quoted-printable", qp));
      ScanResult result = scanMultipart(body);
      assertThat(result.findings()).as("%s", softBreak.replace("\r", "CR").replace("\n", "LF"))
          .singleElement().satisfies(f -> assertThat(body.substring((int) f.start(), (int) f.end()))
              .isEqualTo("4111 11" + softBreak + "11 1111 1111"));
      String masked = redactMultipart(body, RedactionStyle.MASK);
      assertThat(masked).hasSameSizeAs(body);
      assertThat(partContent(masked, "note")).isEqualTo("card **** **" + softBreak + "** **** **** end");
    }
  }

  @Test
  void quotedPrintableEqualsAndBlanksWithoutALineBreakStandForThemselves() {
    // Each decodes to text in which the card is interrupted: '= ' and what follows are literal.
    for (String notABreak : List.of("= x", "= =\r\n", "= \r ", "=" + " ".repeat(90) + "\r\n")) {
      String qp = "card 4111 11" + notABreak + "11 1111 1111 end";
      String body = MultipartContentTest.body(encodedPart("note", "text/plain", "quoted-printable", qp));
      assertThat(scanMultipart(body).findings()).as("%s", notABreak.strip()).isEmpty();
    }
    String cutShort = MultipartContentTest.body(encodedPart("note", "text/plain", "quoted-printable",
        "card 4111 1111 1111 1111 =  "));
    assertThat(scanMultipart(cutShort).findings()).as("padding at the end of the part").hasSize(1);
  }

  @Test
  void maskReencodesBase64InPlaceKeepingLengthAndFraming() {
    String encoded = mime("{\"user\":{\"ssn\":\"" + SSN + "\",\"card\":\"" + CARD + "\",\"pad\":\""
        + "z".repeat(60) + "\"}}");
    String body = MultipartContentTest.body(MultipartContentTest.field("a", "b"),
        encodedPart("meta", "application/json", "base64", encoded));
    String masked = redactMultipart(body, RedactionStyle.MASK);
    assertThat(masked).hasSameSizeAs(body);
    String after = partContent(masked, "meta");
    assertThat(after.split("\r\n", -1)).hasSameSizeAs(encoded.split("\r\n", -1));
    String decoded = new String(Base64.getMimeDecoder().decode(after), StandardCharsets.UTF_8);
    assertThat(decoded).doesNotContain(SSN).doesNotContain(CARD).contains("\"pad\":\"" + "z".repeat(60));
    assertThat(masked.substring(0, masked.indexOf("name=\"meta\""))).isEqualTo(body.substring(0, body.indexOf("name=\"meta\"")));
    assertThat(scanMultipart(masked).findings()).isEmpty();
  }

  @Test
  void hashReencodesBase64AndTheBodyStaysValid() {
    String encoded = mime("card " + CARD + " and more text");
    String body = MultipartContentTest.body(encodedPart("f", "", "base64", encoded), MultipartContentTest.field("z", "zz"));
    String hashed = redactMultipart(body, RedactionStyle.HASH);
    String decoded = new String(Base64.getMimeDecoder().decode(partContent(hashed, "f")), StandardCharsets.UTF_8);
    assertThat(decoded).startsWith("card [credit_card:").endsWith(" and more text").doesNotContain(CARD);
    assertThat(partContent(hashed, "z")).isEqualTo("zz");
  }

  @Test
  void maskReencodesQuotedPrintableKeepingLength() {
    String qp = "x=3Dy card 4111 11=\r\n11 1111 =31111 end";
    String body = MultipartContentTest.body(encodedPart("note", "text/plain", "quoted-printable", qp));
    String masked = redactMultipart(body, RedactionStyle.MASK);
    assertThat(masked).hasSameSizeAs(body);
    String after = partContent(masked, "note");
    assertThat(after).startsWith("x=3Dy card ").contains("=\r\n").endsWith(" end").doesNotContain("4111");
    assertThat(scanMultipart(masked).findings()).isEmpty();
  }

  @Test
  void invalidBase64IsNotedAndTheRestOfThePartScannedAsWritten() {
    String good = mime("hello there");
    String body = MultipartContentTest.body(
        encodedPart("f", "text/plain", "base64", good + "\r\n!! card " + CARD),
        MultipartContentTest.field("after", "ssn " + SSN));
    ScanResult result = scanMultipart(body);
    assertThat(result.notes()).contains(ScanNote.TRANSFER_ENCODING_MALFORMED).doesNotContain(ScanNote.MULTIPART_MALFORMED);
    assertThat(result.findings()).extracting(Finding::jsonPath).containsExactly("$.parts['f']", "$.parts['after']");
    Finding card = result.findings().get(0);
    assertThat(body.substring((int) card.start(), (int) card.end())).isEqualTo(CARD);
    String masked = redactMultipart(body, RedactionStyle.MASK);
    assertThat(masked).hasSameSizeAs(body).doesNotContain(CARD).contains(good);
  }

  @Test
  void base64EndingInsideAQuantumIsNoted() {
    String body = MultipartContentTest.body(encodedPart("f", "", "base64", "aGVsbG8gd29ybGQ"));
    assertThat(scanMultipart(body).notes()).containsExactly(ScanNote.TRANSFER_ENCODING_MALFORMED);
  }

  @Test
  void anUnknownTransferEncodingIsScannedAsWritten() {
    String body = MultipartContentTest.body(encodedPart("f", "application/json", "x-custom", "card " + CARD));
    assertThat(scanMultipart(body).findings()).extracting(Finding::jsonPath).containsExactly("$.parts['f']");
  }

  // ---- gRPC-Web text ----

  static byte[] grpcWebText(List<byte[]> frames) {
    StringBuilder sb = new StringBuilder();
    for (byte[] f : frames) {
      sb.append(Base64.getEncoder().encodeToString(f)); // each group padded on its own
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void contentTypeOfGrpcWebText() {
    for (String t : List.of("application/grpc-web-text", "application/grpc-web-text+proto",
        "Application/GRPC-Web-Text; charset=x", "grpc_web_text")) {
      assertThat(ContentType.of(t)).as(t).isEqualTo(ContentType.GRPC_WEB_TEXT);
    }
    assertThat(ContentType.GRPC_WEB_TEXT.id()).isEqualTo("grpc_web_text");
  }

  @Test
  void grpcWebTextIsDecodedAcrossPaddedGroupsAndPathedByMessage() {
    byte[] first = GrpcContentTest.frame(Pb.message().string(1, "hey").toBytes(), false);
    byte[] second = GrpcContentTest.frame(Pb.message().message(1, Pb.message().string(2, "card " + CARD)).toBytes(), false);
    byte[] trailerText = "grpc-status: 0\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] trailer = new byte[5 + trailerText.length];
    trailer[0] = (byte) 0x80;
    trailer[4] = (byte) trailerText.length;
    System.arraycopy(trailerText, 0, trailer, 5, trailerText.length);
    byte[] body = grpcWebText(List.of(first, second, trailer));
    assertThat(new String(body, StandardCharsets.US_ASCII)).contains("=");
    ScanResult result = SCANNER.scan(body, ContentType.GRPC_WEB_TEXT);
    assertThat(result.notes()).isEmpty();
    assertThat(result.findings()).singleElement().satisfies(f -> {
      assertThat(f.jsonPath()).isEqualTo("$[1].1.2");
      int groupStart = Base64.getEncoder().encodeToString(first).length();
      assertThat(f.start()).isGreaterThanOrEqualTo(groupStart);
      assertThat((f.start() - groupStart) % 4).isZero();
      String span = new String(body, (int) f.start(), (int) (f.end() - f.start()), StandardCharsets.US_ASCII);
      byte[] decoded = Base64.getDecoder().decode(span);
      assertThat(new String(decoded, StandardCharsets.ISO_8859_1)).contains(CARD);
    });
  }

  @Test
  void grpcWebTextWithDescriptorsNamesFields() {
    ProtobufSchema schema = ProtobufSchema.of(List.of(
        ProtobufSchema.Message.of("pay.Request", List.of(
            ProtobufSchema.Field.of(1, "card_number", ProtobufSchema.Kind.STRING, false, null)))));
    byte[] body = grpcWebText(List.of(GrpcContentTest.frame(Pb.message().string(1, CARD).toBytes(), false)));
    try (StreamScanner s = SCANNER.newStream(ContentType.GRPC_WEB_TEXT, schema, "pay.Request")) {
      List<Finding> all = new ArrayList<>(s.feed(body, 0, body.length));
      all.addAll(s.finish());
      assertThat(all).extracting(Finding::jsonPath).containsExactly("$[0].card_number");
    }
  }

  @Test
  void grpcWebTextMaskKeepsTheLengthAndDecodesToValidFraming() {
    byte[] first = GrpcContentTest.frame(Pb.message().string(1, "card " + CARD).toBytes(), false);
    byte[] second = GrpcContentTest.frame(Pb.message().string(3, "ssn " + SSN + "!").toBytes(), false);
    byte[] body = grpcWebText(List.of(first, second));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (StreamScanner s = SCANNER.newRedactingStream(ContentType.GRPC_WEB_TEXT, RedactionStyle.HASH, out::write)) {
      for (int i = 0; i < body.length; i += 3) {
        s.feed(body, i, Math.min(3, body.length - i));
      }
      s.finish();
    }
    byte[] masked = out.toByteArray();
    assertThat(masked).hasSameSizeAs(body);
    String text = new String(masked, StandardCharsets.US_ASCII);
    int split = Base64.getEncoder().encodeToString(first).length();
    byte[] a = Base64.getDecoder().decode(text.substring(0, split));
    byte[] b = Base64.getDecoder().decode(text.substring(split));
    assertThat(GrpcContentTest.messages(a)).hasSize(1);
    assertThat(GrpcContentTest.messages(b)).hasSize(1);
    assertThat(new String(a, StandardCharsets.ISO_8859_1)).doesNotContain(CARD).contains("card ");
    assertThat(new String(b, StandardCharsets.ISO_8859_1)).doesNotContain(SSN).endsWith("!");
  }

  @Test
  void grpcWebTextThatIsNotBase64IsNotedAndScannedAsText() {
    byte[] body = ("AAAAAAA=" + "not base64! card " + CARD).getBytes(StandardCharsets.US_ASCII);
    ScanResult result = SCANNER.scan(body, ContentType.GRPC_WEB_TEXT);
    assertThat(result.notes()).contains(ScanNote.TRANSFER_ENCODING_MALFORMED);
    assertThat(result.findings()).singleElement().satisfies(f ->
        assertThat(new String(body, (int) f.start(), (int) (f.end() - f.start()), StandardCharsets.US_ASCII)).isEqualTo(CARD));
  }
}
