package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Multipart bodies: parts scanned by their own type, paths, offsets, redaction in place. */
class MultipartContentTest {
  private static final String B = "----custos7MA4YWxk";

  static String body(String... parts) {
    StringBuilder sb = new StringBuilder();
    for (String p : parts) {
      sb.append("--").append(B).append("\r\n").append(p).append("\r\n");
    }
    return sb.append("--").append(B).append("--\r\n").toString();
  }

  static String field(String name, String value) {
    return "Content-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value;
  }

  static String typed(String name, String type, String value) {
    return "Content-Disposition: form-data; name=\"" + name + "\"\r\nContent-Type: " + type + "\r\n\r\n" + value;
  }

  private static List<Finding> scan(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try (StreamScanner s = Samples.JAVA.newMultipartStream(B)) {
      List<Finding> all = new ArrayList<>(s.feed(bytes, 0, bytes.length));
      all.addAll(s.finish());
      assertThat(s.notes()).doesNotContain(ScanNote.MULTIPART_MALFORMED);
      return all;
    }
  }

  static String redact(String body, RedactionStyle style) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (StreamScanner s = Samples.JAVA.newRedactingMultipartStream(B, RedactionChoice.always(style), out::write)) {
      s.feed(bytes, 0, bytes.length);
      s.finish();
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void jsonPartIsScannedAsJsonWithThePartNameInItsPath() {
    String body = body(field("note", "hello"), typed("meta", "application/json", "{\"user\":{\"ssn\":\"078-05-1120\"}}"));
    List<Finding> findings = scan(body);
    assertThat(findings).singleElement().satisfies(f -> {
      assertThat(f.category()).isEqualTo("us_ssn");
      assertThat(f.jsonPath()).isEqualTo("$.parts['meta'].user.ssn");
      assertThat(body.substring((int) f.start(), (int) f.end())).isEqualTo("078-05-1120");
      assertThat(f.confidence()).isEqualTo(Confidence.HIGH);
    });
  }

  @Test
  void textPartFindingHasThePartPathAndOffsetsIntoTheWholeBody() {
    String body = body(field("note", "hi"), field("card", "4111 1111 1111 1111"));
    List<Finding> findings = scan(body);
    assertThat(findings).singleElement().satisfies(f -> {
      assertThat(f.category()).isEqualTo("credit_card");
      assertThat(f.jsonPath()).isEqualTo("$.parts['card']");
      assertThat(body.substring((int) f.start(), (int) f.end())).isEqualTo("4111 1111 1111 1111");
    });
  }

  @Test
  void formPartIsScannedAsAForm() {
    String body = body(typed("q", "application/x-www-form-urlencoded", "a=1&email=jane.canary%40example.com"));
    assertThat(scan(body)).singleElement().satisfies(f -> {
      assertThat(f.category()).isEqualTo("email");
      assertThat(f.jsonPath()).isEqualTo("$.parts['q'].email");
    });
  }

  @Test
  void filePartWithABinaryTypeIsScannedAsText() {
    String body = body("Content-Disposition: form-data; name=\"avatar\"; filename=\"a.bin\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n\u0001\u0002 4111111111111111 \u0003");
    assertThat(scan(body)).singleElement().satisfies(f -> assertThat(f.jsonPath()).isEqualTo("$.parts['avatar']"));
  }

  @Test
  void aContentTypeOfParametersOnlyIsReadAsText() {
    String body = body(typed("note", "; charset=utf-8", "card 4111 1111 1111 1111"));
    assertThat(scan(body)).singleElement().satisfies(f -> {
      assertThat(f.category()).isEqualTo("credit_card");
      assertThat(f.jsonPath()).isEqualTo("$.parts['note']");
    });
  }

  @Test
  void partsWithoutNamesArePathedByIndex() {
    String body = body("Content-Type: text/plain\r\n\r\nnothing", "Content-Type: text/plain\r\n\r\nssn 078-05-1120");
    assertThat(scan(body)).singleElement().satisfies(f -> assertThat(f.jsonPath()).isEqualTo("$.parts[1]"));
  }

  @Test
  void nestedMultipartPartsJoinTheirPaths() {
    String inner = "--in\r\nContent-Disposition: attachment; name=\"doc\"\r\n\r\ncard 4111111111111111\r\n--in--";
    String body = body(typed("files", "multipart/mixed; boundary=in", inner));
    assertThat(scan(body)).singleElement().satisfies(f -> {
      assertThat(f.jsonPath()).isEqualTo("$.parts['files'].parts['doc']");
      assertThat(body.substring((int) f.start(), (int) f.end())).isEqualTo("4111111111111111");
    });
  }

  @Test
  void headerBlockValuesAreScannedAsText() {
    String body = body("Content-Disposition: form-data; name=\"f\"; filename=\"jane.canary@example.com.pdf\"\r\n\r\nx");
    assertThat(scan(body)).singleElement().satisfies(f -> {
      assertThat(f.category()).isEqualTo("email");
      assertThat(f.jsonPath()).isEqualTo("$.parts['f'].headers");
    });
  }

  @Test
  void maskKeepsTheLengthAndTheFramingAndHidesTheValues() {
    String body = body(field("card", "4111 1111 1111 1111"), typed("meta", "application/json", "{\"ssn\":\"078-05-1120\"}"));
    String masked = redact(body, RedactionStyle.MASK);
    assertThat(masked).hasSameSizeAs(body)
        .contains("**** **** **** ****", "\"ssn\":\"***-**-****\"")
        .doesNotContain("4111", "078-05");
    assertThat(masked.replace("**** **** **** ****", "4111 1111 1111 1111").replace("***-**-****", "078-05-1120")).isEqualTo(body);
  }

  @Test
  void hashChangesThePartLengthButKeepsTheDelimiters() {
    String body = body(field("card", "4111111111111111"), field("note", "ok"));
    String hashed = redact(body, RedactionStyle.HASH);
    assertThat(hashed).doesNotContain("4111111111111111").contains("[credit_card:");
    assertThat(hashed.split("--" + B, -1)).hasSize(4);
    assertThat(hashed).endsWith("--" + B + "--\r\n").contains(field("note", "ok"));
  }

  @Test
  void aBoundaryLookalikeInsideAPartIsContent() {
    String body = body(field("t", "x\r\n--" + B + "X 4111111111111111\r\n--" + B + " y"));
    assertThat(scan(body)).singleElement().satisfies(f -> assertThat(f.jsonPath()).isEqualTo("$.parts['t']"));
  }

  @Test
  void preambleAndEpilogueAreScannedAsText() {
    String body = "pre 4111111111111111\r\n" + body(field("a", "b")) + "after 078-05-1120 ssn";
    List<Finding> findings = scan(body);
    assertThat(findings).extracting(Finding::category).containsExactlyInAnyOrder("credit_card", "us_ssn");
    assertThat(findings).allSatisfy(f -> assertThat(f.jsonPath()).isNull());
  }

  @Test
  void bodyCutShortInsideAPartIsNotedAndStillScanned() {
    String body = "--" + B + "\r\n" + field("card", "4111111111111111 and more");
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try (StreamScanner s = Samples.JAVA.newMultipartStream(B)) {
      List<Finding> all = new ArrayList<>(s.feed(bytes, 0, bytes.length));
      all.addAll(s.finish());
      assertThat(s.notes()).contains(ScanNote.MULTIPART_MALFORMED);
      assertThat(all).singleElement().satisfies(f -> assertThat(f.jsonPath()).isEqualTo("$.parts['card']"));
    }
  }

  @Test
  void headerBlockPastTheLimitFallsBackToText() {
    String body = "--" + B + "\r\nX-Long: " + "a".repeat(20_000) + " 4111111111111111\r\n\r\nv\r\n--" + B + "--";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try (StreamScanner s = Samples.JAVA.newMultipartStream(B)) {
      List<Finding> all = new ArrayList<>(s.feed(bytes, 0, bytes.length));
      all.addAll(s.finish());
      assertThat(s.notes()).contains(ScanNote.MULTIPART_MALFORMED);
      assertThat(all).singleElement().satisfies(f -> assertThat(body.substring((int) f.start(), (int) f.end())).isEqualTo("4111111111111111"));
    }
  }

  @Test
  void withoutADeclaredBoundaryTheFirstLineGivesIt() {
    String body = body(typed("meta", "application/json", "{\"ssn\":\"078-05-1120\"}"));
    ScanResult r = Samples.JAVA.scan(body.getBytes(StandardCharsets.UTF_8), ContentType.of("multipart/form-data"));
    assertThat(r.notes()).isEmpty();
    assertThat(r.findings()).singleElement().satisfies(f -> assertThat(f.jsonPath()).isEqualTo("$.parts['meta'].ssn"));
  }

  @Test
  void invalidBoundaryIsRefusedWithoutEchoingIt() {
    assertThat(Scanner.isValidBoundary("abc'()+_,-./:=? x")).isTrue();
    assertThat(Scanner.isValidBoundary("")).isFalse();
    assertThat(Scanner.isValidBoundary("a ")).isFalse();
    assertThat(Scanner.isValidBoundary("a\"b")).isFalse();
    assertThat(Scanner.isValidBoundary("x".repeat(201))).isFalse();
    assertThatThrownBy(() -> Samples.JAVA.newMultipartStream("4111111111111111;"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("4111");
  }
}
