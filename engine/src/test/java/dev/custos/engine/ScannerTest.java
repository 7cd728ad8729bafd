package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScannerTest {
  static final EvidenceKey KEY = EvidenceKey.of(new byte[32]);

  static Scanner scanner() {
    return Scanner.builder(Policy.ofDefault()).backend(Backend.JAVA).evidenceKey(KEY).build();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void cardInTextIsFoundWithExactOffsets() {
    try (Scanner scanner = scanner()) {
      String text = "paid with card 4111 1111 1111 1111 yesterday";
      ScanResult result = scanner.scan(utf8(text), ContentType.TEXT);
      assertThat(result.findings()).hasSize(1);
      Finding f = result.findings().get(0);
      assertThat(f.category()).isEqualTo("credit_card");
      assertThat(text.substring((int) f.start(), (int) f.end())).isEqualTo("4111 1111 1111 1111");
      assertThat(f.confidence()).isEqualTo(Confidence.HIGH);
      assertThat(f.evidence().preview()).isEqualTo("************1111");
      assertThat(f.jsonPath()).isNull();
    }
  }

  @Test
  void ssnUnderItsJsonKeyHasPathAndHighConfidence() {
    try (Scanner scanner = scanner()) {
      String json = "{\"users\":[{},{},{},{\"name\":\"x\",\"ssn\":\"078-05-1120\"}]}";
      ScanResult result = scanner.scan(utf8(json), ContentType.JSON);
      assertThat(result.findings()).hasSize(1);
      Finding f = result.findings().get(0);
      assertThat(f.jsonPath()).isEqualTo("$.users[3].ssn");
      assertThat(f.confidence()).isEqualTo(Confidence.HIGH);
      assertThat(json.substring((int) f.start(), (int) f.end())).isEqualTo("078-05-1120");
    }
  }

  @Test
  void oneByteChunksGiveTheSameFindings() {
    try (Scanner scanner = scanner()) {
      String json = "{\"a\":\"mail jane.doe@example.com now\",\"card\":4111111111111111,\"ssn\":\"078-05-1120\"}\n{\"b\":[\"x\",\"078-05-1120\"]}";
      byte[] bytes = utf8(json);
      List<Finding> oneShot = scanner.scan(bytes, ContentType.JSON).findings();
      List<Finding> chunked = new ArrayList<>();
      try (StreamScanner s = scanner.newStream(ContentType.JSON)) {
        for (int i = 0; i < bytes.length; i++) {
          chunked.addAll(s.feed(bytes, i, 1));
        }
        chunked.addAll(s.finish());
      }
      assertThat(oneShot).hasSize(4);
      assertThat(chunked).containsExactlyElementsOf(oneShot);
    }
  }

  @Test
  void redactionChoiceRewritesOnlyTheChosenFindingsButReportsAll() {
    try (Scanner scanner = scanner()) {
      String json = "{\"email\":\"ana@example.com\",\"card\":\"4111 1111 1111 1111\",\"ssn\":\"078-05-1120\"}";
      ByteArrayOutputStream redacted = new ByteArrayOutputStream();
      List<Finding> findings = new ArrayList<>();
      RedactionChoice choice =
          f -> f.category().equals("credit_card") ? RedactionStyle.PARTIAL
              : f.category().equals("us_ssn") ? RedactionStyle.HASH : null;
      try (StreamScanner s = scanner.newRedactingStream(ContentType.JSON, choice, redacted::write)) {
        byte[] bytes = utf8(json);
        for (int i = 0; i < bytes.length; i++) {
          findings.addAll(s.feed(bytes, i, 1));
        }
        findings.addAll(s.finish());
      }
      assertThat(findings).extracting(Finding::category)
          .containsExactlyInAnyOrder("email", "credit_card", "us_ssn");
      assertThat(redacted.toString(StandardCharsets.UTF_8))
          .startsWith("{\"email\":\"ana@example.com\",\"card\":\"**** **** **** 1111\",\"ssn\":\"[us_ssn:")
          .doesNotContain("078-05-1120");
    }
  }

  @Test
  void maskKeepsJsonValidAndLength() {
    try (Scanner scanner = scanner()) {
      String json = "{\"ssn\":\"078-05-1120\",\"card\":4111111111111111}";
      ByteArrayOutputStream redacted = new ByteArrayOutputStream();
      try (StreamScanner s =
          scanner.newRedactingStream(ContentType.JSON, RedactionStyle.MASK, redacted::write)) {
        byte[] bytes = utf8(json);
        s.feed(bytes, 0, bytes.length);
        s.finish();
      }
      assertThat(redacted.toString(StandardCharsets.UTF_8))
          .isEqualTo("{\"ssn\":\"***-**-****\",\"card\":\"**************\"}");
    }
  }

  @Test
  void keywordGatedCustomDetectorIsFoundInTextAndJson() {
    Policy policy =
        Policy.builder()
            .detector(
                DetectorDefinition.builder("employee_id.1", "employee_id", "EMP-[0-9]{6}")
                    .keywords(List.of("EMP-"))
                    .context(List.of("employee"))
                    .excludeValues(List.of("EMP-000000"))
                    .build())
            .build();
    try (Scanner scanner = Scanner.builder(policy).backend(Backend.JAVA).evidenceKey(KEY).build()) {
      String json = "{\"users\": [{\"employee\": \"EMP-204518\"}, {\"employee\": \"EMP-000000\"}]}";
      // The document is valid text, JSON and (as one field name) a form; gRPC, protobuf and
      // multipart bodies have formats of their own, tested in their own classes.
      for (ContentType type : List.of(ContentType.TEXT, ContentType.JSON, ContentType.FORM)) {
        List<Finding> findings = scanner.scan(utf8(json), type).findings();
        assertThat(findings).as(type.id()).extracting(Finding::category).containsExactly("employee_id");
        assertThat(findings.get(0).confidence()).isEqualTo(Confidence.HIGH);
      }
      assertThat(scanner.scan(utf8(json), ContentType.JSON).findings().get(0).jsonPath())
          .isEqualTo("$.users[0].employee");
    }
  }

  @Test
  void keywordGatedMatchesFarApartInOneChunkAreAllFound() {
    Policy policy =
        Policy.builder()
            .detector(
                DetectorDefinition.builder("employee_id.1", "employee_id", "EMP-[0-9]{6}")
                    .keywords(List.of("EMP-"))
                    .build())
            .build();
    try (Scanner scanner = Scanner.builder(policy).backend(Backend.JAVA).evidenceKey(KEY).build()) {
      String text = "first EMP-204518" + " filler".repeat(40) + " second EMP-204519" + " more".repeat(40);
      byte[] bytes = utf8(text);
      assertThat(scanner.scan(bytes, ContentType.TEXT).findings()).hasSize(2);
      assertThat(Samples.scanChunked(scanner, bytes, ContentType.TEXT, List.of(1)).findings())
          .isEqualTo(scanner.scan(bytes, ContentType.TEXT).findings());
    }
  }

  @Test
  void aValueDominatedByAnOverlappingCandidateIsStillMaskedWhole() {
    // An STS-shaped token (a documented sample: low) in one field, a Snowflake password keyword in
    // the next. Masking must leave nothing of either readable, so a rescan finds nothing.
    String json = "{\"ssn0\":\"\\\"SessionToken\\\": \\\"FwoGZXIvYXdzEFAKE+T2kJlGiaOFe/p1ZLGrgKZcqAs7Vye1lMXpn7jFFYgfE74xOrhln2RaYCOHBWJbwR+w/79vXmwppj2ZzbhvC8lpHB6ABUflYzkdDRIJcOdcGKsVATDqV7CToxMsmu/P4pF1Jygk6nvQvLu5t5ulsd6cP3lrbHfEhvXMJt5Bcxi2qnplsiw23K3wOxUVvuGMnj37N==\\\"\",\"ssn1\":\"SNOWFLAKE_PASSWORD=CXuX3PkyRnzSwZrKXYXt\"}";
    try (Scanner scanner = scanner()) {
      ByteArrayOutputStream masked = new ByteArrayOutputStream();
      try (StreamScanner s = scanner.newRedactingStream(ContentType.JSON, RedactionStyle.MASK, masked::write)) {
        byte[] bytes = utf8(json);
        s.feed(bytes, 0, bytes.length);
        s.finish();
      }
      assertThat(masked.size()).isEqualTo(json.length());
      assertThat(masked.toString(StandardCharsets.UTF_8)).doesNotContain("FwoGZXIvYXdz");
      assertThat(scanner.scan(masked.toByteArray(), ContentType.JSON).findings()).isEmpty();
    }
  }
}
