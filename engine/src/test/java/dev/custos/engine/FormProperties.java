package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * Forms: chunking never changes findings or redacted output, and redaction keeps the form, its
 * field names and nothing of the planted values.
 */
class FormProperties {

  @Provide
  Arbitrary<byte[]> form() {
    return Samples.form();
  }

  @Provide
  Arbitrary<List<Integer>> chunking() {
    return Arbitraries.integers().between(1, 64).list().ofMinSize(1).ofMaxSize(8);
  }

  @Example
  void everyPlantedValueIsFoundAloneInAnyField() {
    for (String name : Samples.FORM_NAMES) {
      for (String value : Samples.PLANTED) {
        byte[] form = Samples.utf8(encode(name) + "=" + encode(value));
        assertThat(Samples.JAVA.scan(form, ContentType.FORM).findings()).as("%s=%s", name, value.length()).isNotEmpty();
      }
    }
  }

  private static String encode(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Property(tries = 300)
  @StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
  void findingsDoNotDependOnChunking(@ForAll("form") byte[] input, @ForAll("chunking") List<Integer> sizes) {
    ScanResult oneShot = Samples.JAVA.scan(input, ContentType.FORM);
    ScanResult chunked = Samples.scanChunked(Samples.JAVA, input, ContentType.FORM, sizes);
    assertThat(chunked.findings()).isEqualTo(oneShot.findings());
    assertThat(chunked.notes()).isEqualTo(oneShot.notes());
    assertThat(chunked.bytesScanned()).isEqualTo(input.length);
    for (Finding f : oneShot.findings()) {
      assertThat(f.end()).isLessThanOrEqualTo(input.length);
      assertThat(f.jsonPath()).startsWith("$");
    }
    Statistics.label("has findings with a field path")
        .collect(oneShot.findings().stream().anyMatch(f -> f.jsonPath() != null && f.jsonPath().length() > 1));
    Statistics.label("has findings with a field path")
        .coverage(coverage -> coverage.check(true).percentage(p -> p > 50));
  }

  @Property(tries = 300)
  void redactedFormKeepsItsFieldsAndChunkingDoesNotMatter(
      @ForAll("form") byte[] input, @ForAll("chunking") List<Integer> sizes, @ForAll RedactionStyle style) {
    byte[] oneShot = Samples.redactChunked(Samples.JAVA, input, ContentType.FORM, style, List.of());
    byte[] chunked = Samples.redactChunked(Samples.JAVA, input, ContentType.FORM, style, sizes);
    assertThat(chunked).isEqualTo(oneShot);
    if (style.preservesLength()) {
      assertThat(oneShot).hasSameSizeAs(input);
    }
    List<byte[][]> before = Samples.decodeForm(input);
    List<byte[][]> after = Samples.decodeForm(oneShot);
    assertThat(after).hasSameSizeAs(before);
    for (int i = 0; i < before.size(); i++) {
      assertThat(after.get(i)[0]).as("name of field %s", i).isEqualTo(before.get(i)[0]);
      assertThat(after.get(i)[1] == null).isEqualTo(before.get(i)[1] == null);
      if (style.preservesLength() && before.get(i)[1] != null) {
        assertMasked(before.get(i)[1], after.get(i)[1]);
      }
    }
    for (int i = 0; i < before.size(); i++) {
      String value = before.get(i)[1] == null ? "" : new String(before.get(i)[1], StandardCharsets.UTF_8);
      if (Samples.PLANTED.contains(value)) {
        assertThat(new String(after.get(i)[1], StandardCharsets.UTF_8)).as("planted value of field %s", i).doesNotContain(value);
      }
    }
    if (style == RedactionStyle.MASK) {
      assertThat(Samples.JAVA.scan(oneShot, ContentType.FORM).findings()).isEmpty();
    }
  }

  /** The redacted value is the value with some letters, digits and non-ASCII bytes made {@code *}. */
  private static void assertMasked(byte[] value, byte[] redacted) {
    assertThat(redacted).hasSameSizeAs(value);
    for (int k = 0; k < value.length; k++) {
      if (redacted[k] != value[k]) {
        int b = value[k] & 0xff;
        assertThat(Character.isLetterOrDigit(b) && b < 0x80 || b >= 0x80).as("masked byte %s", k).isTrue();
        assertThat(redacted[k]).isEqualTo((byte) '*');
      }
    }
  }
}
