package dev.custos.engine;

import static dev.custos.engine.Samples.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ContentType#FORM}: decoding for detection, paths, key context, offsets and redaction. */
class FormContentTest {
  private static final Scanner SCANNER = Samples.JAVA;

  private static List<Finding> scan(String form) {
    return SCANNER.scan(utf8(form), ContentType.FORM).findings();
  }

  private static String redact(String form, RedactionStyle style) {
    return new String(
        Samples.redactChunked(SCANNER, utf8(form), ContentType.FORM, style, List.of()), StandardCharsets.UTF_8);
  }

  private static String span(String form, Finding f) {
    return new String(utf8(form), (int) f.start(), (int) (f.end() - f.start()), StandardCharsets.UTF_8);
  }

  @Test
  void contentTypeOfFormNamesAndMediaType() {
    assertThat(ContentType.of("form")).isEqualTo(ContentType.FORM);
    assertThat(ContentType.of("application/x-www-form-urlencoded; charset=UTF-8")).isEqualTo(ContentType.FORM);
    assertThat(ContentType.FORM.id()).isEqualTo("form");
    assertThat(ContentType.of("multipart/form-data")).isEqualTo(ContentType.MULTIPART);
  }

  @Test
  void cardSeparatedByPlusIsFoundWithItsEncodedSpan() {
    String form = "name=Jane&card=4111+1111+1111+1111&x=1";
    List<Finding> findings = scan(form);
    assertThat(findings).extracting(Finding::category).containsExactly("credit_card");
    Finding f = findings.get(0);
    assertThat(f.detector()).isEqualTo("credit_card.separated");
    assertThat(f.jsonPath()).isEqualTo("$.card");
    assertThat(span(form, f)).isEqualTo("4111+1111+1111+1111");
    // As text, + is no card separator.
    assertThat(SCANNER.scan(utf8(form), ContentType.TEXT).findings()).isEmpty();
  }

  @Test
  void percentEncodedEmailIsFoundAndOffsetsCoverTheEscapes() {
    String form = "email=jane.doe%40example.com&next=%41";
    List<Finding> findings = scan(form);
    assertThat(findings).extracting(Finding::category).containsExactly("email");
    Finding f = findings.get(0);
    assertThat(f.start()).isEqualTo(6);
    assertThat(f.end()).isEqualTo(6 + "jane.doe%40example.com".length());
    assertThat(f.jsonPath()).isEqualTo("$.email");
    // The evidence is the decoded value's: the same as in JSON.
    Finding inJson = SCANNER.scan(utf8("{\"email\":\"jane.doe@example.com\"}"), ContentType.JSON).findings().get(0);
    assertThat(f.evidence()).isEqualTo(inJson.evidence());
  }

  @Test
  void escapesInsideAValueShiftLaterOffsets() {
    String form = "a=%C3%A9%C3%A9&ssn=%30%37%38-05-1120";
    Finding f = scan(form).get(0);
    assertThat(span(form, f)).isEqualTo("%30%37%38-05-1120");
    assertThat(f.jsonPath()).isEqualTo("$.ssn");
  }

  @Test
  void fieldNameServesAsContextLikeAJsonKey() {
    Finding ssn = scan("ssn=078-05-1120").get(0);
    assertThat(ssn.jsonPath()).isEqualTo("$.ssn");
    assertThat(ssn.confidence()).isEqualTo(Confidence.HIGH);
    assertThat(span("ssn=078-05-1120", ssn)).isEqualTo("078-05-1120");

    // "ssn" is no whole word of customerSSN in text, but a key name counts by substring.
    String form = "customerSSN=078-05-1120";
    assertThat(SCANNER.scan(utf8(form), ContentType.TEXT).findings().get(0).confidence()).isEqualTo(Confidence.MEDIUM);
    assertThat(scan(form).get(0).confidence()).isEqualTo(Confidence.HIGH);
    assertThat(scan(form).get(0).jsonPath()).isEqualTo("$.customerSSN");
    assertThat(scan("note=078-05-1120").get(0).confidence()).isEqualTo(Confidence.MEDIUM);
  }

  @Test
  void encodedNameIsDecodedForContextAndPath() {
    String form = "social%20security=078-05-1120";
    Finding f = scan(form).get(0);
    assertThat(f.jsonPath()).isEqualTo("$['social security']");
    assertThat(f.confidence()).isEqualTo(Confidence.HIGH);
    assertThat(scan("x=1&first+name=078-05-1120").get(0).jsonPath()).isEqualTo("$['first name']");
    assertThat(scan("=078-05-1120").get(0).jsonPath()).isEqualTo("$['']");
  }

  @Test
  void valueHoldingEqualsSignsAndSemicolonsKeepsItsName() {
    Finding f = scan("q=a=b;ssn=078-05-1120").get(0);
    assertThat(f.jsonPath()).isEqualTo("$.q");
  }

  @Test
  void matchInANameHasTheRootPath() {
    Finding f = scan("jane.doe%40example.com=1").get(0);
    assertThat(f.category()).isEqualTo("email");
    assertThat(f.jsonPath()).isEqualTo("$");
    assertThat(f.start()).isZero();
  }

  @Test
  void malformedEscapesAreTakenLiterallyAndNeverThrow() {
    for (String form : List.of("a=%zz&ssn=078-05-1120", "ssn=078-05-1120&b=%4", "ssn=078-05-1120%", "%%%=%&ssn=078-05-1120")) {
      ScanResult result = SCANNER.scan(utf8(form), ContentType.FORM);
      assertThat(result.findings()).as(form).extracting(Finding::category).containsExactly("us_ssn");
      assertThat(result.bytesScanned()).isEqualTo(form.length());
      assertThat(result.notes()).isEmpty();
      assertThat(span(form, result.findings().get(0))).isEqualTo("078-05-1120");
    }
    // %zz is three literal bytes: the digits follow a letter, so no match starts there.
    assertThat(scan("a=%zz078-05-1120")).isEmpty();
    assertThat(scan("a=%-078-05-1120")).extracting(Finding::category).containsExactly("us_ssn");
    assertThat(redact("a=%zz&ssn=078-05-1120&b=%4", RedactionStyle.MASK)).isEqualTo("a=%zz&ssn=***-**-****&b=%4");
  }

  @Test
  void aMatchDoesNotCrossAnAmpersandOrAnEquals() {
    Policy policy =
        Policy.builder()
            .detector(DetectorDefinition.builder("ticket.1", "ticket", "K[A-Z0-9&=]{9,15}").build())
            .build();
    try (Scanner scanner = Scanner.builder(policy).backend(Backend.JAVA).evidenceKey(Samples.KEY).build()) {
      String crossing = "x=K1234&5=678";
      assertThat(scanner.scan(utf8(crossing), ContentType.TEXT).findings()).hasSize(1);
      assertThat(scanner.scan(utf8(crossing), ContentType.FORM).findings()).isEmpty();
      // Encoded, & and = are content of one value.
      String encoded = "x=K1234%265%3D678";
      List<Finding> findings = scanner.scan(utf8(encoded), ContentType.FORM).findings();
      assertThat(findings).hasSize(1);
      assertThat(span(encoded, findings.get(0))).isEqualTo("K1234%265%3D678");
      // The longest match within the value is found, where a longer one would reach into the name.
      String named = "KEY=K123456789";
      assertThat(scanner.scan(utf8(named), ContentType.TEXT).findings())
          .singleElement()
          .satisfies(f -> assertThat(f.start()).isZero());
      assertThat(scanner.scan(utf8(named), ContentType.FORM).findings())
          .singleElement()
          .satisfies(f -> assertThat(f.start()).isEqualTo(4));
    }
  }

  @Test
  void maskKeepsTheFormAndItsLength() {
    String form = "card=4111+1111+1111+1111&email=jane.doe%40example.com&ssn=%30%37%38-05-1120&note=hi";
    String masked = redact(form, RedactionStyle.MASK);
    assertThat(masked)
        .isEqualTo("card=****+****+****+****&email=****.***%40*******.***&ssn=%2A%2A%2A-**-****&note=hi");
    String partial = redact(form, RedactionStyle.PARTIAL);
    assertThat(partial)
        .isEqualTo("card=****+****+****+1111&email=****.***%40******e.com&ssn=%2A%2A%2A-**-1120&note=hi");
  }

  @Test
  void hashWritesThePercentEncodedLabel() {
    String form = "card=4111+1111+1111+1111&x=1";
    Finding f = scan(form).get(0);
    String hashed = redact(form, RedactionStyle.HASH);
    assertThat(hashed).isEqualTo("card=%5Bcredit_card%3A" + f.evidence().hash().substring(0, 8) + "%5D&x=1");
  }

  @Test
  void longFieldNameIsCutAndNoted() {
    String name = "n".repeat(2000);
    ScanResult result = SCANNER.scan(utf8(name + "=078-05-1120"), ContentType.FORM);
    assertThat(result.notes()).containsExactly(ScanNote.FORM_FIELD_NAME_TOO_LONG);
    assertThat(result.findings().get(0).jsonPath()).isEqualTo("$." + "n".repeat(1024));
    assertThat(SCANNER.scan(utf8(name + "&ssn=078-05-1120"), ContentType.FORM).notes()).isEmpty();
  }

  @Test
  void oneByteChunksGiveTheSameFindingsAndOutput() {
    byte[] form =
        utf8("card=4111+1111+1111+1111&email=jane.doe%40example.com&ssn=%30%37%38-05-1120&b=%4&c=%z&d=%");
    ScanResult oneShot = SCANNER.scan(form, ContentType.FORM);
    assertThat(oneShot.findings()).hasSize(3);
    assertThat(Samples.scanChunked(SCANNER, form, ContentType.FORM, List.of(1)).findings())
        .isEqualTo(oneShot.findings());
    for (RedactionStyle style : RedactionStyle.values()) {
      assertThat(Samples.redactChunked(SCANNER, form, ContentType.FORM, style, List.of(1)))
          .isEqualTo(Samples.redactChunked(SCANNER, form, ContentType.FORM, style, List.of()));
    }
  }

  @Test
  void redactingStreamWritesEveryByte() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] form = utf8("a=" + "x".repeat(100_000) + "&ssn=078-05-1120&z=" + "%41".repeat(50_000));
    try (StreamScanner stream = SCANNER.newRedactingStream(ContentType.FORM, RedactionStyle.MASK, out::write)) {
      stream.feed(form, 0, form.length);
      stream.finish();
      assertThat(stream.bytesScanned()).isEqualTo(form.length);
    }
    assertThat(out.toByteArray()).hasSameSizeAs(form);
  }
}
