package dev.custos.wasm;

import dev.custos.wasm.internal.LoadedModule;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Holds one parsed, validated and compiled WebAssembly module, ready to be instantiated by a
 * {@link Sandbox}.
 *
 * <p>Compiled once to JVM bytecode with Chicory's runtime compiler; when compilation fails the
 * module runs on Chicory's interpreter (the reason is logged once). Immutable and thread-safe;
 * share one per module file. Not meant to be implemented outside this module.
 */
public interface WasmModule {
  /**
   * Loads a module from a file, checking its SHA-256 digest against {@code sha256} when given.
   *
   * @param sha256 the expected digest of the file bytes, hex (case-insensitive), or {@code null}
   * @throws WasmLoadException when the file cannot be read, does not match the pin, or is not a
   *     valid module
   */
  static WasmModule load(Path file, @Nullable String sha256) {
    return LoadedModule.load(file, sha256, false);
  }

  /** Loads a module from bytes; {@code name} labels logs, metrics and errors. */
  static WasmModule of(String name, byte[] bytes) {
    return LoadedModule.of(name, bytes, false);
  }

  /** Returns the module's name: the file name without {@code .wasm}, or the given name. */
  String name();

  /** Returns the SHA-256 digest of the module bytes, lower-case hex. */
  String sha256();

  /** Returns every import of the module, in declaration order. */
  List<WasmImport> imports();

  /** Returns whether the module exports a function with this name. */
  boolean hasExport(String name);

  /** Returns whether the module runs as compiled bytecode ({@code false}: interpreter). */
  boolean compiled();

  /** Returns this module set to run on the interpreter (this module when it already does). */
  WasmModule interpreted();
}
