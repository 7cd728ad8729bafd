package dev.custos.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wabt.Wat2Wasm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The checked-in example detectors are what their sources build to, and the example policy pins
 * them. With {@code -Dcustos.examples.write=true} (examples/wasm/build.sh) it rebuilds the WAT
 * example instead of comparing.
 */
class WasmDetectorExamplesTest {
  static final Path EXAMPLES = Path.of("../examples/wasm");
  static final Path WAT = EXAMPLES.resolve("project-code.wat");
  static final Path WAT_WASM = EXAMPLES.resolve("project-code.wasm");
  static final Path AS_WASM = EXAMPLES.resolve("assemblyscript/build/employee-id.wasm");
  static final Path POLICY = Path.of("../examples/policies/wasm-detectors.yaml");

  static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  @Test
  void watExampleIsWhatItsSourceCompilesTo() throws IOException {
    byte[] built = Wat2Wasm.parse(Files.readString(WAT, StandardCharsets.UTF_8));
    if (Boolean.getBoolean("custos.examples.write")) {
      Files.write(WAT_WASM, built);
    }
    assertThat(Files.readAllBytes(WAT_WASM)).isEqualTo(built);
  }

  @Test
  void examplePolicyPinsBothExampleModules() throws Exception {
    String policy = Files.readString(POLICY, StandardCharsets.UTF_8);
    assertThat(pinOf(policy, "project-code.wasm")).isEqualTo(sha256(WAT_WASM));
    assertThat(pinOf(policy, "employee-id.wasm")).isEqualTo(sha256(AS_WASM));
  }

  @Test
  void assemblyScriptExampleImportsNothing() {
    assertThat(WasmModule.load(AS_WASM, null).imports()).isEmpty();
    assertThat(WasmModule.load(WAT_WASM, null).imports()).isEmpty();
  }

  private static String pinOf(String policy, String file) {
    Matcher m = Pattern.compile("wasm: \\S*" + Pattern.quote(file) + "\\s+sha256: ([0-9a-f]{64})")
        .matcher(policy);
    assertThat(m.find()).as("a pinned entry for %s", file).isTrue();
    return m.group(1);
  }
}
