package dev.custos.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.dylibso.chicory.wabt.Wat2Wasm;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A watched module file is swapped in when it changes, unless it breaks the pin or fails to load. */
class SandboxReloadTest {
  @TempDir Path dir;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private static byte[] version(int n) {
    return Wat2Wasm.parse(
        "(module (func (export \"version\") (result i32) i32.const " + n + "))");
  }

  private void replace(Path file, byte[] bytes) throws IOException {
    Path tmp = Files.createTempFile(dir, "next", ".tmp");
    Files.write(tmp, bytes);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private double reloads(String result) {
    var counter =
        registry.find("custos.wasm.reloads").tag("module", "plugin").tag("result", result).counter();
    return counter == null ? 0 : counter.count();
  }

  private Sandbox watch(Path file, String pin) {
    return Sandbox.watching(file, pin)
        .pollInterval(Duration.ofMillis(20))
        .meterRegistry(registry)
        .build();
  }

  @Test
  void changedFileIsSwappedInAndCallsUseTheNewModule() throws IOException {
    Path file = dir.resolve("plugin.wasm");
    Files.write(file, version(1));
    try (var sandbox = watch(file, null)) {
      assertThat(sandbox.call("version")).containsExactly(1L);
      String before = sandbox.module().sha256();

      replace(file, version(2));

      await().atMost(Duration.ofSeconds(10)).until(() -> sandbox.call("version")[0] == 2L);
      assertThat(sandbox.module().sha256()).isNotEqualTo(before);
      assertThat(sandbox.module().name()).isEqualTo("plugin");
      assertThat(reloads("success")).isEqualTo(1);
    }
  }

  @Test
  void changeThatBreaksThePinIsRejectedAndTheOldModuleKeepsServing() throws IOException {
    Path file = dir.resolve("plugin.wasm");
    Files.write(file, version(1));
    String pin = WasmModule.load(file, null).sha256();
    try (var sandbox = watch(file, pin)) {
      replace(file, version(2));

      await().atMost(Duration.ofSeconds(10)).until(() -> reloads("pin_mismatch") == 1);
      assertThat(sandbox.call("version")).containsExactly(1L);
      assertThat(sandbox.module().sha256()).isEqualTo(pin);
      assertThat(reloads("success")).isZero();
    }
  }

  @Test
  void changeThatDoesNotLoadIsRejected() throws IOException {
    Path file = dir.resolve("plugin.wasm");
    Files.write(file, version(1));
    try (var sandbox = watch(file, null)) {
      replace(file, new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0, 42});

      await().atMost(Duration.ofSeconds(10)).until(() -> reloads("invalid") == 1);
      assertThat(sandbox.call("version")).containsExactly(1L);

      replace(file, version(3));
      await().atMost(Duration.ofSeconds(10)).until(() -> sandbox.call("version")[0] == 3L);
    }
  }

  @Test
  void changeThatImportsSomethingUngrantedIsRejected() throws IOException {
    Path file = dir.resolve("plugin.wasm");
    Files.write(file, version(1));
    try (var sandbox = watch(file, null)) {
      replace(file, Wat.wasm("hostile/wasi-fd-write.wat"));

      await().atMost(Duration.ofSeconds(10)).until(() -> reloads("link_failed") == 1);
      assertThat(sandbox.call("version")).containsExactly(1L);
    }
  }

  @Test
  void initialPinMismatchFailsTheBuild() throws IOException {
    Path file = dir.resolve("plugin.wasm");
    Files.write(file, version(1));
    assertThatThrownBy(() -> watch(file, "00".repeat(32))).isInstanceOf(WasmLoadException.class);
  }

  @Test
  void closedWatchingSandboxRefusesCalls() throws IOException {
    Path file = dir.resolve("plugin.wasm");
    Files.write(file, version(1));
    var sandbox = watch(file, null);
    sandbox.close();
    assertThatThrownBy(() -> sandbox.call("version")).isInstanceOf(IllegalStateException.class);
  }
}
