package dev.custos.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * Plugin detectors under any chunking: one-shot and chunked scans give the same findings, notes
 * and redacted output; every value is found exactly once; redacted JSON still parses.
 */
class PluginStreamingProperties {
  private static final EvidenceKey KEY = EvidenceKey.of("test-evidence-key-0123456789".getBytes(UTF_8));
  private static final List<String> BUILTIN_CATEGORIES = Policy.ofDefault().detectors().stream()
      .map(DetectorDefinition::category).distinct().toList();
  private static final Pattern CODE = Pattern.compile("PRJ-[0-9]{6}");

  /** Windows of 1024 bytes every 960: inputs of a few KiB cross several window edges. */
  private static PluginDetectorDefinition definition(PluginDetectorDefinition.OnError onError) {
    return PluginDetectorDefinition.builder("code.1", "internal_project_code", Path.of("a.wasm"))
        .maxWindow(1024).maxLength(64).onError(onError).build();
  }

  private static Policy.Builder bare() {
    Policy.Builder b = Policy.builder();
    BUILTIN_CATEGORIES.forEach(b::disable);
    return b;
  }

  /** The plugin alongside pattern detectors that overlap its values; fails on windows with BOOM. */
  private static final Scanner MIXED = Scanner.builder(bare()
          .pluginDetector(definition(PluginDetectorDefinition.OnError.BLOCK))
          .detector(DetectorDefinition.builder("digits.1", "digits", "[0-9]{6}")
              .confidence(Confidence.LOW).context(List.of("id")).build())
          .detector(DetectorDefinition.builder("ref.1", "ref", "RJ-[0-9]{3}")
              .keywords(List.of("ref")).build())
          .build())
      .backend(Backend.JAVA).evidenceKey(KEY)
      .pluginDetectors(d -> {
        ProjectCodePlugin codes = new ProjectCodePlugin(PluginMatch.UNSPECIFIED);
        return (b, o, l) -> {
          if (new String(b, o, l, java.nio.charset.StandardCharsets.ISO_8859_1).contains("BOOM")) {
            throw new PluginDetectorException(d.id(), "trap", "unreachable");
          }
          return codes.detect(b, o, l);
        };
      })
      .build();

  /** Only the plugin, finding every code wherever it is. */
  private static final Scanner PLUGIN_ONLY = Scanner.builder(bare()
          .pluginDetector(definition(PluginDetectorDefinition.OnError.ALLOW)).build())
      .backend(Backend.JAVA).evidenceKey(KEY)
      .pluginDetectors(d -> new ProjectCodePlugin(70, false))
      .build();

  private static Arbitrary<String> piece(boolean boom) {
    Arbitrary<String> code = Arbitraries.strings().numeric().ofLength(6).map(d -> "PRJ-" + d);
    return Arbitraries.frequencyOf(
        Tuple.of(300, code),
        Tuple.of(100, Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(9).map(d -> "PRJ-" + d)),
        Tuple.of(600, Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(12)),
        Tuple.of(600, Arbitraries.of(" ", "\n", ", ", ": ", "=", "-", "\"", "id ", "ref ", "P", "PRJ")),
        Tuple.of(200, Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(12)),
        // Rare: about one input in five fails in some window.
        Tuple.of(boom ? 1 : 0, Arbitraries.just("BOOM")),
        Tuple.of(100, Arbitraries.strings().ofMinLength(1).ofMaxLength(3)));
  }

  @Provide
  Arbitrary<byte[]> text() {
    return piece(true).list().ofMaxSize(1000).withSizeDistribution(net.jqwik.api.RandomDistribution.uniform()).map(p -> String.join("", p).getBytes(UTF_8));
  }

  @Provide
  Arbitrary<byte[]> codesText() {
    return piece(false).list().ofMaxSize(1000).withSizeDistribution(net.jqwik.api.RandomDistribution.uniform()).map(p -> String.join("", p).getBytes(UTF_8));
  }

  @Provide
  Arbitrary<byte[]> json() {
    Arbitrary<String> value = piece(true).list().ofMaxSize(12).withSizeDistribution(net.jqwik.api.RandomDistribution.uniform()).map(p -> String.join("", p));
    Arbitrary<String> key = Arbitraries.of("code", "id", "note", "ref", "x y", "PRJ-123456");
    return net.jqwik.api.Combinators.combine(key, value).as((k, v) -> new String[] {k, v})
        .list().ofMaxSize(80).withSizeDistribution(net.jqwik.api.RandomDistribution.uniform()).map(PluginStreamingProperties::toJson);
  }

  private static byte[] toJson(List<String[]> fields) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.writeStartObject();
      int n = 0;
      for (String[] f : fields) {
        g.writeFieldName(f[0] + n++);
        if ((n & 3) == 0) {
          g.writeStartArray();
          g.writeString(f[1]);
          g.writeEndArray();
        } else {
          g.writeString(f[1]);
        }
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  @Provide
  Arbitrary<List<Integer>> chunking() {
    return Arbitraries.oneOf(
        Arbitraries.integers().between(1, 64).list().ofMinSize(1).ofMaxSize(8),
        Arbitraries.integers().between(1, 2500).list().ofMinSize(1).ofMaxSize(4));
  }

  @Property(tries = 200)
  @StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
  void textFindingsAndNotesDoNotDependOnChunking(
      @ForAll("text") byte[] input, @ForAll("chunking") List<Integer> sizes) {
    ScanResult oneShot = MIXED.scan(input, ContentType.TEXT);
    ScanResult chunked = Chunked.scan(MIXED, input, ContentType.TEXT, sizes);
    assertThat(chunked.findings()).isEqualTo(oneShot.findings());
    assertThat(chunked.notes()).isEqualTo(oneShot.notes());
    assertThat(Chunked.redact(MIXED, input, ContentType.TEXT, RedactionStyle.PARTIAL, sizes))
        .isEqualTo(Chunked.redact(MIXED, input, ContentType.TEXT, RedactionStyle.PARTIAL, List.of()));
    // Guards against a generator that stops exercising windows, plugin findings or failures.
    Statistics.label("several windows").collect(input.length > 2048);
    Statistics.label("several windows").coverage(c -> c.check(true).percentage(p -> p > 30));
    Statistics.label("plugin findings")
        .collect(oneShot.findings().stream().anyMatch(f -> f.detector().equals("code.1")));
    Statistics.label("plugin findings").coverage(c -> c.check(true).percentage(p -> p > 30));
    Statistics.label("plugin error").collect(oneShot.notes().contains(ScanNote.PLUGIN_ERROR_BLOCK));
    Statistics.label("plugin error").coverage(c -> c.check(true).percentage(p -> p > 10));
  }

  @Property(tries = 200)
  void everyCodeIsFoundExactlyOnce(
      @ForAll("codesText") byte[] input, @ForAll("chunking") List<Integer> sizes) {
    List<Long> expected = new ArrayList<>();
    Matcher m = CODE.matcher(new String(input, java.nio.charset.StandardCharsets.ISO_8859_1));
    while (m.find()) {
      expected.add((long) m.start());
    }
    ScanResult chunked = Chunked.scan(PLUGIN_ONLY, input, ContentType.TEXT, sizes);
    assertThat(chunked.findings()).extracting(Finding::start).containsExactlyElementsOf(expected);
    assertThat(chunked.findings()).allMatch(f -> f.confidence() == Confidence.MEDIUM);
    assertThat(chunked.notes()).isEmpty();
  }

  @Property(tries = 150)
  void jsonFindingsDoNotDependOnChunkingAndRedactionKeepsItValid(
      @ForAll("json") byte[] input, @ForAll("chunking") List<Integer> sizes) throws IOException {
    ScanResult oneShot = MIXED.scan(input, ContentType.JSON);
    ScanResult chunked = Chunked.scan(MIXED, input, ContentType.JSON, sizes);
    assertThat(chunked.findings()).isEqualTo(oneShot.findings());
    assertThat(chunked.notes()).isEqualTo(oneShot.notes());
    assertThat(oneShot.findings()).filteredOn(f -> f.detector().equals("code.1"))
        .allMatch(f -> f.jsonPath() != null);
    byte[] redacted = Chunked.redact(MIXED, input, ContentType.JSON, RedactionStyle.MASK, sizes);
    assertThat(redacted).isEqualTo(
        Chunked.redact(MIXED, input, ContentType.JSON, RedactionStyle.MASK, List.of()));
    new ObjectMapper().readTree(redacted);
    if (!oneShot.notes().contains(ScanNote.PLUGIN_ERROR)) {
      assertThat(new String(redacted, UTF_8)).doesNotContainPattern("PRJ-[0-9]{6}\"");
    }
  }
}
