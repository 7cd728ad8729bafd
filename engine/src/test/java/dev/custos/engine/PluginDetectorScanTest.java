package dev.custos.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Plugin detectors in the scanning pipeline: windows, paths, evidence, overlaps, redaction, errors. */
class PluginDetectorScanTest {
  static final EvidenceKey KEY = EvidenceKey.of("test-evidence-key-0123456789".getBytes(UTF_8));
  private static final String CATEGORY = "internal_project_code";
  private static final List<String> BUILTIN_CATEGORIES = Policy.ofDefault().detectors().stream()
      .map(DetectorDefinition::category).distinct().toList();

  /** A small window so that short inputs span several: windows start every 1024 - 64 bytes. */
  private static PluginDetectorDefinition.Builder definition() {
    return PluginDetectorDefinition.builder(CATEGORY + ".1", CATEGORY, Path.of("plugins/a.wasm"))
        .location("plugins/a.wasm")
        .maxWindow(1024)
        .maxLength(64);
  }

  /** A policy with no built-in detectors (they take seconds to compile), and these. */
  private static Policy.Builder policy(PluginDetectorDefinition definition, DetectorDefinition... patterns) {
    Policy.Builder b = Policy.builder().pluginDetector(definition);
    BUILTIN_CATEGORIES.forEach(b::disable);
    for (DetectorDefinition d : patterns) {
      b.detector(d);
    }
    return b;
  }

  private static Scanner scanner(Policy policy, PluginDetector plugin) {
    return Scanner.builder(policy).backend(Backend.JAVA).evidenceKey(KEY)
        .pluginDetectors(d -> plugin).build();
  }

  private static Scanner scanner(PluginDetector plugin) {
    return scanner(policy(definition().build()).build(), plugin);
  }

  private static byte[] padded(int at, String value, int total) {
    byte[] bytes = new byte[total];
    java.util.Arrays.fill(bytes, (byte) ' ');
    byte[] v = value.getBytes(UTF_8);
    System.arraycopy(v, 0, bytes, at, v.length);
    return bytes;
  }

  @Test
  void scannerWithoutPluginRuntimeFailsClearly() {
    Policy policy = policy(definition().build()).build();
    assertThatThrownBy(() -> Scanner.builder(policy).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("categories.internal_project_code: detector 'internal_project_code.1'"
            + " (wasm: plugins/a.wasm) needs a plugin runtime (expected:"
            + " Scanner.builder(...).pluginDetectors(...), as custos scan and the proxy provide)");
  }

  @Test
  void runtimeFailingToLoadClosesTheDetectorsItMade() {
    ProjectCodePlugin first = new ProjectCodePlugin();
    Policy policy = policy(definition().build())
        .pluginDetector(PluginDetectorDefinition.builder("other.1", "other", Path.of("b.wasm")).build())
        .build();
    assertThatThrownBy(() -> Scanner.builder(policy).backend(Backend.JAVA).pluginDetectors(d -> {
      if (d.id().equals("other.1")) {
        throw new PluginDetectorException(d.id(), "hash_mismatch", "sha256 differs");
      }
      return first;
    }).build())
        .isInstanceOf(PluginDetectorException.class)
        .hasMessage("detector 'other.1': hash_mismatch: sha256 differs");
    assertThat(first.closed).hasValue(1);
  }

  @Test
  void scannerClosesItsPlugins() {
    ProjectCodePlugin plugin = new ProjectCodePlugin();
    scanner(plugin).close();
    assertThat(plugin.closed).hasValue(1);
  }

  @Test
  void pluginFindingsCarryEvidenceAndJsonPath() {
    byte[] json = "{\"order\": {\"code\": \"PRJ-123456\", \"n\": 1}, \"x\": [\"PRJ-123456\"]}"
        .getBytes(UTF_8);
    DetectorDefinition pattern = DetectorDefinition.builder("twin.1", "twin", "PRJ-[0-9]{6}").build();
    try (Scanner plugins = scanner(new ProjectCodePlugin());
        Scanner patterns = Scanner.builder(policy(definition().build(), pattern).build())
            .backend(Backend.JAVA).evidenceKey(KEY)
            .pluginDetectors(d -> (b, o, l) -> List.of()).build()) {
      List<Finding> found = plugins.scan(json, ContentType.JSON).findings();
      assertThat(found).extracting(Finding::category, Finding::detector, Finding::start,
              Finding::end, Finding::jsonPath, Finding::confidence)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(CATEGORY, CATEGORY + ".1", 20L, 30L,
                  "$.order.code", Confidence.MEDIUM),
              org.assertj.core.groups.Tuple.tuple(CATEGORY, CATEGORY + ".1", 49L, 59L,
                  "$.x[0]", Confidence.MEDIUM));
      assertThat(found.get(0).evidence().preview()).isEqualTo("*******56");
      // The same evidence as a pattern detector's for the same value: one pipeline.
      List<Finding> twins = patterns.scan(json, ContentType.JSON).findings();
      assertThat(twins).extracting(Finding::evidence)
          .containsExactlyElementsOf(found.stream().map(Finding::evidence).toList());
    }
  }

  @Test
  void pluginFindingsInJsonLongerThanAWindowKeepTheirPathsUnderAnyChunking() {
    StringBuilder json = new StringBuilder("{\"a\": \"PRJ-100001\"");
    for (int i = 0; i < 300; i++) {
      json.append(", \"k").append(i).append("\": \"").append(i % 7 == 0 ? "PRJ-" + (200000 + i) : "x")
          .append('"');
    }
    byte[] input = json.append('}').toString().getBytes(UTF_8);
    try (Scanner scanner = scanner(new ProjectCodePlugin())) {
      List<Finding> oneShot = scanner.scan(input, ContentType.JSON).findings();
      assertThat(oneShot).extracting(Finding::start).hasSize(44);
      assertThat(oneShot).allMatch(f -> f.jsonPath() != null);
      assertThat(oneShot.get(0).jsonPath()).isEqualTo("$.a");
      for (List<Integer> chunks : List.of(List.of(1), List.of(17, 2), List.of(1000))) {
        assertThat(Chunked.scan(scanner, input, ContentType.JSON, chunks).findings())
            .as("chunks " + chunks).isEqualTo(oneShot);
      }
    }
  }

  @Test
  void pluginFindingInAFormGetsTheFieldPathAndOriginalOffsets() {
    byte[] form = "a=1&code=PRJ%2D123456&b=PRJ-65432".getBytes(UTF_8);
    try (Scanner scanner = scanner(new ProjectCodePlugin())) {
      List<Finding> found = scanner.scan(form, ContentType.FORM).findings();
      assertThat(found).hasSize(1);
      assertThat(found.get(0).jsonPath()).isEqualTo("$.code");
      assertThat(found.get(0).start()).isEqualTo(9);
      assertThat(found.get(0).end()).isEqualTo(21);
    }
  }

  @Test
  void valueSplitAcrossChunksAndAWindowEdgeIsFoundOnce() {
    ProjectCodePlugin plugin = new ProjectCodePlugin();
    try (Scanner scanner = scanner(plugin)) {
      // Windows start at 0, 960, 1920…: the value lies across the end of window 0's own part and
      // within window 0's overlap, so windows 0 and 1 both report it.
      byte[] input = padded(955, "PRJ-123456", 3000);
      ScanResult oneByte = Chunked.scan(scanner, input, ContentType.TEXT, List.of(1));
      assertThat(oneByte.findings()).extracting(Finding::start).containsExactly(955L);
      ScanResult oneShot = scanner.scan(input, ContentType.TEXT);
      assertThat(oneShot.findings()).isEqualTo(oneByte.findings());
      assertThat(Chunked.scan(scanner, input, ContentType.TEXT, List.of(7, 1000, 3)).findings())
          .isEqualTo(oneShot.findings());

      byte[] inOverlap = padded(965, "PRJ-654321", 3000);
      int reportedBefore = plugin.reported.get();
      assertThat(scanner.scan(inOverlap, ContentType.TEXT).findings()).extracting(Finding::start)
          .containsExactly(965L);
      assertThat(plugin.reported.get() - reportedBefore).as("reported by two windows").isEqualTo(2);
      assertThat(plugin.largestWindow).hasValue(1024);
    }
  }

  @Test
  void valueAtTheVeryEndIsFoundOnFinish() {
    try (Scanner scanner = scanner(new ProjectCodePlugin())) {
      for (int total : new int[] {10, 1024, 1034, 1984, 5000}) {
        byte[] input = padded(total - 10, "PRJ-123456", total);
        assertThat(Chunked.scan(scanner, input, ContentType.TEXT, List.of(1, 13)).findings())
            .as("length " + total).extracting(Finding::start).containsExactly(total - 10L);
      }
    }
  }

  @Test
  void matchesLongerThanMaxLengthAreDropped() {
    PluginDetector wholeWindow = (b, o, l) -> List.of(PluginMatch.of(0, Math.min(l, 65)),
        PluginMatch.of(0, Math.min(l, 64)));
    try (Scanner scanner = scanner(wholeWindow)) {
      assertThat(scanner.scan(new byte[100], ContentType.TEXT).findings())
          .extracting(f -> f.end() - f.start()).containsExactly(64L);
    }
  }

  @Test
  void redactedPluginFindingsKeepJsonValid() throws Exception {
    // The second match spans a string's end and the next key: not inside one token, so dropped.
    PluginDetector plugin = new PluginDetector() {
      private final ProjectCodePlugin codes = new ProjectCodePlugin();

      @Override
      public List<PluginMatch> detect(byte[] bytes, int offset, int length) {
        List<PluginMatch> out = new ArrayList<>(codes.detect(bytes, offset, length));
        String text = new String(bytes, offset, length, UTF_8);
        int i = text.indexOf("\", \"y");
        if (i >= 0) {
          out.add(PluginMatch.of(i - 2, i + 4));
        }
        return out;
      }
    };
    byte[] json = "{\"code\": \"PRJ-123456\", \"y\": \"ab PRJ-000777\"}".getBytes(UTF_8);
    try (Scanner scanner = scanner(plugin)) {
      for (List<Integer> chunks : List.of(List.<Integer>of(), List.of(1), List.of(5, 2))) {
        byte[] redacted = Chunked.redact(scanner, json, ContentType.JSON, RedactionStyle.MASK, chunks);
        JsonNode tree = new ObjectMapper().readTree(redacted);
        assertThat(tree.get("code").asText()).isEqualTo("***-******");
        assertThat(tree.get("y").asText()).isEqualTo("ab ***-******");
      }
    }
  }

  @Test
  void failureWithOnErrorAllowDropsOnlyThatWindowAndNotesIt() {
    ProjectCodePlugin codes = new ProjectCodePlugin();
    PluginDetector failsOnBoom = (b, o, l) -> {
      if (new String(b, o, l, UTF_8).contains("BOOM")) {
        throw new PluginDetectorException(CATEGORY + ".1", "trap", "unreachable executed");
      }
      return codes.detect(b, o, l);
    };
    byte[] input = padded(100, "PRJ-111111 BOOM", 5000);
    System.arraycopy("PRJ-222222".getBytes(UTF_8), 0, input, 3000, 10);
    try (Scanner scanner = scanner(failsOnBoom)) {
      ScanResult result = scanner.scan(input, ContentType.TEXT);
      assertThat(result.findings()).extracting(Finding::start).containsExactly(3000L);
      assertThat(result.notes()).containsExactly(ScanNote.PLUGIN_ERROR);
      assertThat(Chunked.scan(scanner, input, ContentType.TEXT, List.of(333)))
          .usingRecursiveComparison().isEqualTo(result);
    }
  }

  @Test
  void failureWithOnErrorBlockAlsoNotesTheBlock() {
    PluginDetector fails = (b, o, l) -> {
      throw new IllegalStateException("out of fuel near PRJ-123456");
    };
    Policy policy = policy(definition().onError(PluginDetectorDefinition.OnError.BLOCK).build()).build();
    try (Scanner scanner = scanner(policy, fails);
        StreamScanner stream = scanner.newStream(ContentType.TEXT)) {
      stream.feed(new byte[1024], 0, 1024);
      // Known as soon as the window ran, before the stream ends: the proxy can refuse at once.
      assertThat(stream.notes()).containsExactlyInAnyOrder(ScanNote.PLUGIN_ERROR, ScanNote.PLUGIN_ERROR_BLOCK);
      // The plugin's failure message named a value; nothing the stream hands out carries it.
      List<Finding> findings = stream.finish();
      assertThat(findings.toString() + stream.notes() + stream).doesNotContain("PRJ-123456");
    }
  }

  @Test
  void badResultsOfAPluginCountAsFailures() {
    List<Function<Integer, List<PluginMatch>>> bad = List.of(
        l -> List.of(PluginMatch.of(0, l + 1)),
        l -> List.of(PluginMatch.of(0, 1, 50, "not_allowed")),
        l -> null,
        l -> java.util.Arrays.asList((PluginMatch) null));
    for (Function<Integer, List<PluginMatch>> result : bad) {
      try (Scanner scanner = scanner((b, o, l) -> result.apply(l))) {
        ScanResult r = scanner.scan(new byte[10], ContentType.TEXT);
        assertThat(r.findings()).isEmpty();
        assertThat(r.notes()).containsExactly(ScanNote.PLUGIN_ERROR);
      }
    }
  }

  @Test
  void matchesMayNameAllowedCategoriesAndBelowTheFloorAreDropped() {
    PluginDetector plugin = (b, o, l) -> List.of(
        PluginMatch.of(0, 2, 90, "project_secret"),
        PluginMatch.of(4, 6, 10),
        PluginMatch.of(8, 10, 50, CATEGORY));
    Policy policy = policy(definition().categories(List.of("project_secret"))
        .minConfidence(Confidence.MEDIUM).build()).build();
    try (Scanner scanner = scanner(policy, plugin)) {
      assertThat(scanner.scan(new byte[10], ContentType.TEXT).findings())
          .extracting(Finding::category, Finding::start, Finding::confidence)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("project_secret", 0L, Confidence.HIGH),
              org.assertj.core.groups.Tuple.tuple(CATEGORY, 8L, Confidence.MEDIUM));
    }
  }

  @Test
  void overlapsWithPatternDetectorsResolveByConfidenceThenLength() {
    DetectorDefinition digits = DetectorDefinition.builder("digits.1", "digits", "[0-9]{6}").build();
    byte[] input = "id PRJ-123456 end".getBytes(UTF_8);
    // Same confidence (medium): the longer plugin match wins.
    try (Scanner scanner = scanner(policy(definition().build(), digits).build(), new ProjectCodePlugin())) {
      assertThat(scanner.scan(input, ContentType.TEXT).findings())
          .extracting(Finding::detector).containsExactly(CATEGORY + ".1");
    }
    // A low-confidence plugin match loses to the medium pattern match inside it.
    try (Scanner scanner = scanner(policy(definition().build(), digits).build(), new ProjectCodePlugin(10))) {
      assertThat(scanner.scan(input, ContentType.TEXT).findings())
          .extracting(Finding::detector, Finding::start).containsExactly(
              org.assertj.core.groups.Tuple.tuple("digits.1", 7L));
    }
    // Equal matches of one plugin in two categories: one finding, the first category by name.
    PluginDetector twice = (b, o, l) -> List.of(
        PluginMatch.of(0, 4, 50, "zeta"), PluginMatch.of(0, 4, 50, "alpha"), PluginMatch.of(0, 4, 50, "alpha"));
    Policy policy = policy(definition().categories(List.of("zeta", "alpha")).build()).build();
    try (Scanner scanner = scanner(policy, twice)) {
      assertThat(scanner.scan(new byte[10], ContentType.TEXT).findings())
          .extracting(Finding::category).containsExactly("alpha");
    }
  }
}
