package dev.custos.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading modules: digest pins, names, imports and exports. */
class WasmModuleTest {
  @TempDir Path dir;

  private Path write(String resource, String fileName) throws IOException {
    Path file = dir.resolve(fileName);
    Files.write(file, Wat.wasm(resource));
    return file;
  }

  @Test
  void loadAcceptsTheMatchingPinInEitherCase() throws IOException {
    Path file = write("modules/counter.wat", "counter.wasm");
    String digest = WasmModule.load(file, null).sha256();
    assertThat(digest).matches("[0-9a-f]{64}");

    WasmModule module = WasmModule.load(file, digest.toUpperCase(Locale.ROOT));

    assertThat(module.name()).isEqualTo("counter");
    assertThat(module.sha256()).isEqualTo(digest);
    assertThat(module.compiled()).isTrue();
    assertThat(module.hasExport("next")).isTrue();
    assertThat(module.hasExport("missing")).isFalse();
    assertThat(module.imports()).isEmpty();
  }

  @Test
  void pinMismatchNamesFileExpectedAndActualDigest() throws IOException {
    Path file = write("modules/counter.wat", "counter.wasm");
    String actual = WasmModule.load(file, null).sha256();
    String pin = HexFormat.of().formatHex(new byte[32]);

    assertThatThrownBy(() -> WasmModule.load(file, pin))
        .isInstanceOf(WasmLoadException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("expected: " + pin)
        .hasMessageContaining("actual: " + actual);
  }

  @Test
  void missingFileFailsToLoad() {
    Path file = dir.resolve("absent.wasm");
    assertThatThrownBy(() -> WasmModule.load(file, null))
        .isInstanceOf(WasmLoadException.class)
        .hasMessageContaining("absent.wasm");
  }

  @Test
  void malformedBytesFailToLoad() {
    assertThatThrownBy(() -> WasmModule.of("junk", new byte[] {0, 'a', 's', 'm', 9, 9, 9}))
        .isInstanceOf(WasmLoadException.class)
        .hasMessageStartingWith("junk: not a valid WebAssembly module");
  }

  @Test
  void importsAreListedInDeclarationOrder() {
    WasmModule module = Wat.module("modules/detector.wat", true);
    assertThat(module.imports()).containsExactly(new WasmImport("env", "emit"));
    assertThat(module.interpreted().compiled()).isFalse();
    assertThat(module.interpreted().sha256()).isEqualTo(module.sha256());
  }
}
