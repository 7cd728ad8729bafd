package dev.custos.wasm;

import com.dylibso.chicory.wabt.Wat2Wasm;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Compiles WebAssembly text from test resources. */
final class Wat {
  private Wat() {}

  /** Returns the binary of {@code resource} (e.g. {@code hostile/unreachable.wat}). */
  static byte[] wasm(String resource) {
    try (InputStream in = Wat.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException("resource: " + resource + " (expected: on classpath)");
      }
      return Wat2Wasm.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns the module in {@code resource}, compiled or interpreted. */
  static WasmModule module(String resource, boolean compiled) {
    String name = resource.substring(resource.lastIndexOf('/') + 1).replace(".wat", "");
    WasmModule module = WasmModule.of(name, wasm(resource));
    return compiled ? module : module.interpreted();
  }
}
