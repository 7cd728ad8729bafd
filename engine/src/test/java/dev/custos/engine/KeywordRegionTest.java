package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Detectors gated by keywords run only in regions around keyword occurrences that can count as
 * words: of the text, or of a key name (camel case included). Letters that merely spell a keyword
 * inside another word ("ssn" in "classnote") open no region, so they change no finding.
 */
class KeywordRegionTest {
  private static final String FAR_KEY_NUMBER =
      "{\"ssn\": {\"description\": \"a long description that goes on for well over sixty bytes"
          + " of text here\", \"label\": \"%s\", \"value\": 536224981}}";

  private static List<Finding> scan(String input, ContentType type, Scanner scanner) {
    return scanner.scan(input.getBytes(StandardCharsets.UTF_8), type).findings();
  }

  @Test
  void aKeywordSpelledInsideAnotherWordChangesNoFinding() {
    for (Scanner scanner : scanners()) {
      List<Finding> inWord = scan(String.format(FAR_KEY_NUMBER, "classnote"), ContentType.JSON, scanner);
      List<Finding> noKeyword = scan(String.format(FAR_KEY_NUMBER, "class note"), ContentType.JSON, scanner);
      assertThat(inWord).isEqualTo(noKeyword);
    }
  }

  @Test
  void aKeywordAsACamelCaseWordOfAKeyStillOpensARegion() {
    for (Scanner scanner : scanners()) {
      List<Finding> camel = scan("{\"customerSsn\": 536224981}", ContentType.JSON, scanner);
      assertThat(camel).extracting(Finding::category).containsExactly("us_ssn");
      assertThat(camel).extracting(Finding::jsonPath).containsExactly("$.customerSsn");
      assertThat(scan("{\"customerssn\": 536224981}", ContentType.JSON, scanner)).isEmpty();
    }
  }

  @Test
  void aKeywordAfterAJsonEscapeStillOpensARegion() {
    for (Scanner scanner : scanners()) {
      // The key holds a line break before "ssn": a word of its own. Written as a short or as a
      // unicode escape, the text decoder hands it on as a space.
      assertThat(scan("{\"x\\nssn\": 536224981}", ContentType.JSON, scanner))
          .extracting(Finding::category)
          .containsExactly("us_ssn");
      assertThat(scan("{\"x\\u000Assn\": 536224981}", ContentType.JSON, scanner))
          .extracting(Finding::category)
          .containsExactly("us_ssn");
    }
  }

  @Test
  void aWholeWordKeywordInTextStillVouchesForItsNeighbour() {
    for (Scanner scanner : scanners()) {
      assertThat(scan("customer ssn 536224981", ContentType.TEXT, scanner))
          .extracting(Finding::detector)
          .containsExactly("us_ssn.unformatted");
      assertThat(scan("classnote 536224981", ContentType.TEXT, scanner)).isEmpty();
    }
  }

  private static List<Scanner> scanners() {
    List<Scanner> scanners = new ArrayList<>();
    scanners.add(TestScanners.java());
    if (TestScanners.hyperscan() != null) {
      scanners.add(TestScanners.hyperscan());
    }
    return scanners;
  }

  @Test
  void aKeywordEndingAChunkOpensItsRegionOnceTheNextByteShowsAWordEnds() {
    for (Scanner scanner : scanners()) {
      byte[] bytes = ("customer ssn 536224981; then a long stretch of words far from any keyword;"
          + " ssnx 536224981").getBytes(StandardCharsets.UTF_8);
      List<Finding> atOnce = scanner.scan(bytes, ContentType.TEXT).findings();
      assertThat(atOnce).extracting(Finding::detector).containsExactly("us_ssn.unformatted");
      assertThat(atOnce.get(0).start()).isEqualTo(13);
      for (int cut = 1; cut < bytes.length; cut++) {
        List<Finding> chunked = new ArrayList<>();
        try (StreamScanner stream = scanner.newStream(ContentType.TEXT)) {
          chunked.addAll(stream.feed(bytes, 0, cut));
          chunked.addAll(stream.feed(bytes, cut, bytes.length - cut));
          chunked.addAll(stream.finish());
        }
        assertThat(chunked).as("cut at %d", cut).isEqualTo(atOnce);
      }
    }
  }

  @Test
  void aKeywordEndingTheStreamStillOpensItsRegion() {
    for (Scanner scanner : scanners()) {
      assertThat(scan("536224981 ssn", ContentType.TEXT, scanner))
          .extracting(Finding::detector)
          .containsExactly("us_ssn.unformatted");
    }
  }
}
