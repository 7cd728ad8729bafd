package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/** Chunking never changes findings or redacted output; redaction keeps JSON valid. */
class StreamingProperties {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Provide
  Arbitrary<byte[]> text() {
    return Samples.text();
  }

  @Provide
  Arbitrary<byte[]> json() {
    return Samples.json();
  }

  @Provide
  Arbitrary<List<Integer>> chunking() {
    return Arbitraries.integers().between(1, 64).list().ofMinSize(1).ofMaxSize(8);
  }

  @Property(tries = 300)
  @StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
  void textFindingsDoNotDependOnChunking(@ForAll("text") byte[] input, @ForAll("chunking") List<Integer> sizes) {
    ScanResult oneShot = Samples.JAVA.scan(input, ContentType.TEXT);
    ScanResult chunked = Samples.scanChunked(Samples.JAVA, input, ContentType.TEXT, sizes);
    assertThat(chunked.findings()).isEqualTo(oneShot.findings());
    assertThat(chunked.notes()).isEqualTo(oneShot.notes());
    Statistics.label("has findings").collect(!oneShot.findings().isEmpty());
    // About a third of the generated texts hold a finding; 15 % is far below that (several
    // standard deviations at 300 tries) yet far above what a broken generator would give.
    Statistics.label("has findings")
        .coverage(coverage -> coverage.check(true).percentage(p -> p > 15));
  }

  @Provide
  Arbitrary<byte[]> longText() {
    return Samples.text(400);
  }

  @Provide
  Arbitrary<List<Integer>> largeChunking() {
    return Arbitraries.integers().between(1, 4096).list().ofMinSize(1).ofMaxSize(4);
  }

  /** Long inputs with large chunks: many keywords and candidates far apart inside one chunk. */
  @Property(tries = 100)
  void longTextFindingsMatchOneByteChunking(
      @ForAll("longText") byte[] input, @ForAll("largeChunking") List<Integer> sizes) {
    ScanResult oneByte = Samples.scanChunked(Samples.JAVA, input, ContentType.TEXT, List.of(1));
    assertThat(Samples.scanChunked(Samples.JAVA, input, ContentType.TEXT, sizes).findings())
        .isEqualTo(oneByte.findings());
    assertThat(Samples.JAVA.scan(input, ContentType.TEXT).findings()).isEqualTo(oneByte.findings());
  }

  @Property(tries = 300)
  @StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
  void jsonFindingsDoNotDependOnChunking(@ForAll("json") byte[] input, @ForAll("chunking") List<Integer> sizes) {
    ScanResult oneShot = Samples.JAVA.scan(input, ContentType.JSON);
    ScanResult chunked = Samples.scanChunked(Samples.JAVA, input, ContentType.JSON, sizes);
    assertThat(chunked.findings()).isEqualTo(oneShot.findings());
    assertThat(chunked.notes()).isEqualTo(oneShot.notes());
    Statistics.label("has findings with a path")
        .collect(oneShot.findings().stream().anyMatch(f -> f.jsonPath() != null));
    Statistics.label("has findings with a path")
        .coverage(coverage -> coverage.check(true).percentage(p -> p > 15));
  }

  @Property(tries = 200)
  void truncatedJsonFindingsDoNotDependOnChunking(
      @ForAll("json") byte[] input, @ForAll("chunking") List<Integer> sizes) {
    byte[] truncated = java.util.Arrays.copyOf(input, input.length * 2 / 3);
    ScanResult oneShot = Samples.JAVA.scan(truncated, ContentType.JSON);
    ScanResult chunked = Samples.scanChunked(Samples.JAVA, truncated, ContentType.JSON, sizes);
    assertThat(chunked.findings()).isEqualTo(oneShot.findings());
    assertThat(chunked.notes()).isEqualTo(oneShot.notes());
  }

  @Property(tries = 200)
  void redactedTextDoesNotDependOnChunking(
      @ForAll("text") byte[] input, @ForAll("chunking") List<Integer> sizes, @ForAll RedactionStyle style) {
    byte[] oneShot = Samples.redactChunked(Samples.JAVA, input, ContentType.TEXT, style, List.of());
    byte[] chunked = Samples.redactChunked(Samples.JAVA, input, ContentType.TEXT, style, sizes);
    assertThat(chunked).isEqualTo(oneShot);
    if (style.preservesLength()) {
      assertThat(oneShot).hasSameSizeAs(input);
    }
  }

  @Property(tries = 300)
  void redactedJsonStaysValidAndChunkingDoesNotMatter(
      @ForAll("json") byte[] input, @ForAll("chunking") List<Integer> sizes, @ForAll RedactionStyle style)
      throws Exception {
    byte[] oneShot = Samples.redactChunked(Samples.JAVA, input, ContentType.JSON, style, List.of());
    byte[] chunked = Samples.redactChunked(Samples.JAVA, input, ContentType.JSON, style, sizes);
    assertThat(chunked).isEqualTo(oneShot);
    if (style.preservesLength()) {
      assertThat(oneShot).hasSameSizeAs(input);
    }
    try (var parser = MAPPER.createParser(oneShot)) {
      while (parser.nextToken() != null) {
        // Reading every token proves the redacted stream is valid JSON.
      }
    }
    if (style == RedactionStyle.MASK) {
      // Masked output holds no letters or digits of any finding, so nothing is found again.
      assertThat(Samples.JAVA.scan(oneShot, ContentType.JSON).findings()).isEmpty();
    }
  }
}
