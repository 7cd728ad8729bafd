package dev.custos.engine;

import static dev.custos.engine.PolicyErrors.error;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code wasm} detector entries of a policy: keys, defaults, positions of problems. */
class PluginDetectorPolicyTest {
  private static final String SHA = "3B1F" + "0".repeat(60);

  /** A policy whose wasm detector entry starts at line 5, its further keys from line 6. */
  private static String wasmDetector(String... lines) {
    StringBuilder sb = new StringBuilder(
        "version: 1\ncategories:\n  internal_project_code:\n    detectors:\n"
            + "      - wasm: plugins/project-code.wasm\n");
    for (String line : lines) {
      sb.append("        ").append(line).append('\n');
    }
    return sb.toString();
  }

  @Test
  void wasmDetectorIsParsedWithItsKeys() {
    Policy policy = Policy.parse(wasmDetector(
        "sha256: " + SHA,
        "timeout_ms: 5",
        "on_error: block",
        "id: internal_project_code.wasm",
        "confidence: high",
        "min_confidence: medium",
        "max_length: 64",
        "max_window: 4096",
        "normalize: alphanumeric",
        "categories: [project_secret]"), "p.yaml");

    assertThat(policy.pluginDetectors()).hasSize(1);
    PluginDetectorDefinition d = policy.pluginDetectors().get(0);
    assertThat(d.id()).isEqualTo("internal_project_code.wasm");
    assertThat(d.category()).isEqualTo("internal_project_code");
    assertThat(d.location()).isEqualTo("plugins/project-code.wasm");
    assertThat(d.module()).isEqualTo(Path.of("plugins/project-code.wasm"));
    assertThat(d.sha256()).isEqualTo(SHA.toLowerCase(java.util.Locale.ROOT));
    assertThat(d.timeoutMillis()).isEqualTo(5);
    assertThat(d.onError()).isEqualTo(PluginDetectorDefinition.OnError.BLOCK);
    assertThat(d.confidence()).isEqualTo(Confidence.HIGH);
    assertThat(d.minConfidence()).isEqualTo(Confidence.MEDIUM);
    assertThat(d.maxLength()).isEqualTo(64);
    assertThat(d.maxWindow()).isEqualTo(4096);
    assertThat(d.normalization()).isEqualTo(DetectorDefinition.Normalization.ALPHANUMERIC);
    assertThat(d.categories()).containsExactly("project_secret");
    // A plugin detector is not a pattern detector.
    assertThat(policy.detectors()).noneMatch(p -> p.category().equals("internal_project_code"));
  }

  @Test
  void wasmDetectorHasDefaults() {
    PluginDetectorDefinition d = Policy.parse(wasmDetector(), "p.yaml").pluginDetectors().get(0);
    assertThat(d.id()).isEqualTo("internal_project_code.1");
    assertThat(d.sha256()).isNull();
    assertThat(d.timeoutMillis()).isEqualTo(10);
    assertThat(d.onError()).isEqualTo(PluginDetectorDefinition.OnError.ALLOW);
    assertThat(d.confidence()).isEqualTo(Confidence.MEDIUM);
    assertThat(d.minConfidence()).isEqualTo(Confidence.LOW);
    assertThat(d.maxLength()).isEqualTo(1024);
    assertThat(d.maxWindow()).isEqualTo(65536);
    assertThat(d.normalization()).isEqualTo(DetectorDefinition.Normalization.EXACT);
    assertThat(d.categories()).isEmpty();
  }

  @Test
  void wasmAndPatternDetectorsMixInOneCategory() {
    Policy policy = Policy.parse(String.join("\n",
        "version: 1",
        "categories:",
        "  internal_project_code:",
        "    detectors:",
        "      - regex: 'PRJ-[0-9]{6}'",
        "      - wasm: a.wasm",
        ""), "p.yaml");
    assertThat(policy.detectors()).extracting(DetectorDefinition::id).contains("internal_project_code.1");
    assertThat(policy.pluginDetectors()).extracting(PluginDetectorDefinition::id)
        .containsExactly("internal_project_code.2");
  }

  @Test
  void relativeModuleIsResolvedAgainstThePolicyFilesFolder(@TempDir Path dir) throws IOException {
    Path folder = Files.createDirectories(dir.resolve("policies"));
    Path file = Files.writeString(folder.resolve("p.yaml"), wasmDetector());
    PluginDetectorDefinition d = Policy.parse(file).pluginDetectors().get(0);
    assertThat(d.module()).isEqualTo(folder.resolve("plugins/project-code.wasm"));
    assertThat(d.location()).isEqualTo("plugins/project-code.wasm");

    Path absolute = dir.resolve("elsewhere/a.wasm").toAbsolutePath();
    Files.writeString(file, wasmDetector().replace("plugins/project-code.wasm", absolute.toString()));
    assertThat(Policy.parse(file).pluginDetectors().get(0).module()).isEqualTo(absolute);
  }

  @Test
  void timeoutOutOfRangeIsReportedAtItsValue() {
    PolicyException e = error(wasmDetector("timeout_ms: 0"));
    assertThat(e.getMessage())
        .isEqualTo("p.yaml:6:21: categories.internal_project_code.detectors[0].timeout_ms: 0"
            + " (expected: at least 1)");
    assertThat(error(wasmDetector("timeout_ms: 10001")).getMessage())
        .endsWith("timeout_ms: 10001 (expected: at most 10000)");
  }

  @Test
  void badKeysOfAWasmDetectorAreReportedWithPositions() {
    PolicyException e = error(wasmDetector(
        "sha256: abc",
        "on_error: retry",
        "max_window: 512"));
    assertThat(e.line()).isEqualTo(6);
    assertThat(e.column()).isEqualTo(17);
    assertThat(e.getMessage().split("\n")).containsExactly(
        "p.yaml:6:17: categories.internal_project_code.detectors[0].sha256: 'abc'"
            + " (expected: matching ^[0-9a-fA-F]{64}$)",
        "p.yaml:7:19: categories.internal_project_code.detectors[0].on_error: 'retry'"
            + " (expected one of: allow, block)",
        "p.yaml:8:21: categories.internal_project_code.detectors[0].max_window: 512"
            + " (expected: at least 1024)");
  }

  @Test
  void patternKeysInAWasmDetectorAreUnknown() {
    PolicyException e = error(wasmDetector("regex: 'PRJ-[0-9]{6}'"));
    assertThat(e.line()).isEqualTo(6);
    assertThat(e.column()).isEqualTo(9);
    assertThat(e.getMessage()).contains("unknown key 'regex' in wasm detector (expected one of: id,"
        + " wasm, sha256, timeout_ms, on_error");
  }

  @Test
  void detectorWithNeitherRegexNorWasmStillNeedsRegex() {
    PolicyException e = error(String.join("\n",
        "version: 1", "categories:", "  c:", "    detectors:", "      - keywords: [a]", ""));
    assertThat(e.getMessage()).contains("categories.c.detectors[0]").contains("regex");
  }

  @Test
  void windowSmallerThanTwiceTheLongestMatchIsReported() {
    PolicyException e = error(wasmDetector("max_length: 4096", "max_window: 4096"));
    assertThat(e.getMessage()).isEqualTo("p.yaml:7:21: categories.internal_project_code.detectors[0]"
        + ".max_window: 4096 (expected: at least twice max_length, 8192)");
  }

  @Test
  void detectorIdsAreUniqueAcrossBothKinds() {
    PolicyException e = error(String.join("\n",
        "version: 1",
        "categories:",
        "  c:",
        "    detectors:",
        "      - id: c.x",
        "        regex: 'c[0-9]{4}'",
        "      - id: c.x",
        "        wasm: a.wasm",
        ""));
    assertThat(e.getMessage()).isEqualTo("p.yaml:7:13: detector id 'c.x' used twice (expected:"
        + " unique ids; first at line 5, column 13)");
  }

  @Test
  void rulesMayCoverTheFurtherCategoriesOfAPlugin() {
    String yaml = wasmDetector("categories: [project_secret]")
        + "rules:\n  - name: r\n    categories: [project_secret, internal_project_code]\n"
        + "    action: block\n";
    assertThat(Policy.parse(yaml, "p.yaml").rules()).hasSize(1);
    assertThat(error(yaml.replace("        categories: [project_secret]\n", "")).getMessage())
        .contains("'project_secret' (expected: a built-in category");
  }

  @Test
  void builderChecksRangesAndWindowGeometry() {
    PluginDetectorDefinition.Builder b =
        PluginDetectorDefinition.builder("c.1", "c", Path.of("a.wasm"));
    assertThatThrownBy(() -> b.timeoutMillis(0)).hasMessage("timeout_ms: 0 (expected: 1 to 10000)");
    assertThatThrownBy(() -> b.sha256("xyz")).hasMessage("sha256: 3 characters (expected: 64 hex digits)");
    assertThatThrownBy(() -> b.maxLength(0)).hasMessage("max_length: 0 (expected: 1 to 65536)");
    assertThatThrownBy(() -> b.maxWindow(1023)).hasMessage("max_window: 1023 (expected: 1024 to 1048576)");
    assertThatThrownBy(() -> b.maxLength(4096).maxWindow(4096).build())
        .hasMessage("max_window: 4096 (expected: at least twice max_length, 8192)");
  }

  @Test
  void policyRefusesADuplicateIdOfAPluginDetector() {
    PluginDetectorDefinition d = PluginDetectorDefinition.builder("c.1", "c", Path.of("a.wasm")).build();
    assertThatThrownBy(() -> Policy.builder().pluginDetector(d).pluginDetector(d).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("detector id: c.1 (expected: a unique id)");
    assertThat(Policy.builder().pluginDetector(d).build().toString()).contains("1 plugin detectors");
  }

  @Test
  void confidenceScoresMapToConfidences() {
    PluginDetectorDefinition d = PluginDetectorDefinition.builder("c.1", "c", Path.of("a.wasm"))
        .confidence(Confidence.LOW).build();
    assertThat(List.of(0, 39, 40, 79, 80, 100).stream()
        .map(s -> d.confidenceOf(PluginMatch.of(0, 1, s))).toList())
        .containsExactly(Confidence.LOW, Confidence.LOW, Confidence.MEDIUM, Confidence.MEDIUM,
            Confidence.HIGH, Confidence.HIGH);
    assertThat(d.confidenceOf(PluginMatch.of(0, 1))).isEqualTo(Confidence.LOW);
    assertThatThrownBy(() -> PluginMatch.of(0, 1, 101))
        .hasMessage("score: 101 (expected: 0 to 100, or -1)");
    assertThatThrownBy(() -> PluginMatch.of(3, 3)).hasMessage("offsets: [3, 3) (expected: 0 <= start < end)");
  }
}
