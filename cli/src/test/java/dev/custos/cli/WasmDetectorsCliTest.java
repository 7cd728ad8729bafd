package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code custos scan} and {@code custos policy test} run the example WebAssembly detectors. */
class WasmDetectorsCliTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Path POLICY = Path.of("../examples/policies/wasm-detectors.yaml");
  private static final Path SAMPLES = Path.of("../examples/wasm/samples");

  @TempDir Path dir;

  private static Map<String, Integer> categories(String jsonl) throws IOException {
    Map<String, Integer> counts = new TreeMap<>();
    for (String line : jsonl.lines().toList()) {
      counts.merge(MAPPER.readTree(line).get("category").asText(), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void scanFindsValuesOfBothExampleModules() throws IOException {
    Cli.Result r = Cli.run("scan", "--policy", POLICY.toString(), "--format", "jsonl",
        SAMPLES.resolve("handover.txt").toString());
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    assertThat(categories(r.out()))
        .containsEntry("internal_project_code", 2)
        .containsEntry("employee_id", 2);
    assertThat(r.out()).doesNotContain("PRJ-004512", "EMP12342");
  }

  @Test
  void scanRedactsWithAWasmDetector() throws IOException {
    Cli.Result r = Cli.run("scan", "--policy", POLICY.toString(), "--redact", "mask",
        SAMPLES.resolve("tickets.json").toString());
    assertThat(r.err()).doesNotContain("failed");
    assertThat(r.out()).doesNotContain("PRJ-104233", "PRJ-104234", "EMP50713");
    assertThat(MAPPER.readTree(r.out()).get("tickets")).hasSize(2);
  }

  @Test
  void policyTestPassesOnTheExampleSamples() {
    Cli.Result r = Cli.run("policy", "test", POLICY.toString(), "--samples", SAMPLES.toString());
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(0);
    assertThat(r.out()).contains("2 passed, 0 failed");
  }

  @Test
  void moduleThatDoesNotMatchItsPinIsRefused() throws IOException {
    Path wasm = Files.createDirectories(dir.resolve("wasm"));
    Files.copy(Path.of("../examples/wasm/project-code.wasm"), wasm.resolve("project-code.wasm"));
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(policy, "version: 1\n"
        + "categories:\n"
        + "  internal_project_code:\n"
        + "    description: codes\n"
        + "    detectors:\n"
        + "      - wasm: wasm/project-code.wasm\n"
        + "        sha256: " + "ab".repeat(32) + "\n", StandardCharsets.UTF_8);
    Path sample = Files.writeString(dir.resolve("a.txt"), "PRJ-123456\n");
    Cli.Result r = Cli.run("scan", "--policy", policy.toString(), sample.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("hash_mismatch", "internal_project_code.1")
        .doesNotContain("internal error");
  }
}
