package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile and broken input never throws to the caller and never hangs; broken JSON falls back to
 * a text scan that still finds values, and says so in the notes. The timeouts only guard against
 * hangs; they are far above the expected run time.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MalformedInputTest {
  private static final Scanner SCANNER = Samples.JAVA;

  @Test
  void invalidUtf8IsScannedAsBytes() {
    byte[] bytes = Samples.concat(java.util.List.of(
        new byte[] {(byte) 0xff, (byte) 0xfe, (byte) 0xc3},
        Samples.utf8(" ssn 078-05-1120 "),
        new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80, (byte) 0xc0}));
    for (ContentType type : ContentType.values()) {
      ScanResult result = SCANNER.scan(bytes, type);
      assertThat(result.findings()).as(type.id()).extracting(Finding::category).contains("us_ssn");
    }
    assertThat(SCANNER.scan(bytes, ContentType.JSON).notes()).contains(ScanNote.JSON_MALFORMED);
  }

  @Test
  void randomBinaryNeverThrows() {
    Random random = new Random(42);
    for (int i = 0; i < 50; i++) {
      byte[] bytes = new byte[random.nextInt(20_000)];
      random.nextBytes(bytes);
      for (ContentType type : ContentType.values()) {
        assertThat(SCANNER.scan(bytes, type).bytesScanned()).isEqualTo(bytes.length);
      }
    }
  }

  @Test
  void truncatedJsonFallsBackToTextAndKeepsEarlierPaths() {
    String json = "{\"a\":{\"ssn\":\"078-05-1120\"},\"b\":\"mail jane.doe@example.com, card 4111 1111 1111 1111";
    ScanResult result = SCANNER.scan(json.getBytes(StandardCharsets.UTF_8), ContentType.JSON);
    assertThat(result.notes()).containsExactly(ScanNote.JSON_MALFORMED);
    assertThat(result.findings()).extracting(Finding::category).containsExactly("us_ssn", "email", "credit_card");
    assertThat(result.findings().get(0).jsonPath()).isEqualTo("$.a.ssn");
    assertThat(result.findings().get(2).jsonPath()).isNull();
  }

  @Test
  void hundredThousandDeepNestingFallsBackToText() {
    int depth = 100_000;
    StringBuilder sb = new StringBuilder(depth * 2 + 40);
    sb.append("[".repeat(depth)).append("\"078-05-1120\"").append("]".repeat(depth));
    ScanResult result = SCANNER.scan(sb.toString().getBytes(StandardCharsets.UTF_8), ContentType.JSON);
    assertThat(result.notes()).containsExactly(ScanNote.JSON_TOO_DEEP);
    assertThat(result.findings()).extracting(Finding::category).containsExactly("us_ssn");
  }

  @Test
  void deepObjectNestingFedOneByteAtATimeFallsBackToo() {
    String deep = "{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000);
    byte[] bytes = deep.getBytes(StandardCharsets.UTF_8);
    ScanResult chunked = Samples.scanChunked(SCANNER, bytes, ContentType.JSON, java.util.List.of(1));
    assertThat(chunked.notes()).containsExactly(ScanNote.JSON_TOO_DEEP);
  }

  @Test
  void tooLongJsonStringFallsBackToText() {
    try (Scanner scanner =
        Scanner.builder(Policy.ofDefault()).backend(Backend.JAVA).evidenceKey(Samples.KEY).maxJsonTokenLength(4096).build()) {
      String json = "{\"blob\":\"" + "x".repeat(10_000) + " 078-05-1120\"}";
      ScanResult result = scanner.scan(json.getBytes(StandardCharsets.UTF_8), ContentType.JSON);
      assertThat(result.notes()).containsExactly(ScanNote.JSON_TOKEN_TOO_LONG);
      assertThat(result.findings()).extracting(Finding::category).containsExactly("us_ssn");
    }
  }

  @Test
  void textThatIsNotJsonAtAllIsScannedAsText() {
    ScanResult result = SCANNER.scan(Samples.utf8("hello ssn 078-05-1120"), ContentType.JSON);
    assertThat(result.notes()).containsExactly(ScanNote.JSON_MALFORMED);
    assertThat(result.findings()).hasSize(1);
  }

  @Test
  void pathologicalRunsStayLinear() {
    // Long runs of digits, letters and separators make every relaxed pattern report ends
    // everywhere; each must still be judged in bounded work.
    String[] runs = {"1".repeat(200_000), "a".repeat(200_000), "1-".repeat(100_000), "@a.".repeat(60_000)};
    for (String run : runs) {
      ScanResult result = SCANNER.scan(Samples.utf8(run), ContentType.TEXT);
      assertThat(result.bytesScanned()).isEqualTo(run.length());
    }
  }
}
