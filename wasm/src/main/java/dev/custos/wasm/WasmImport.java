package dev.custos.wasm;

import static java.util.Objects.requireNonNull;

/**
 * Names one import of a WebAssembly module: the import's module and field name.
 *
 * <p>Immutable and thread-safe.
 *
 * @param module the import module, e.g. {@code wasi_snapshot_preview1}
 * @param name the field name within that module, e.g. {@code fd_write}
 */
public record WasmImport(String module, String name) {
  /** Creates an import name, rejecting nulls. */
  public WasmImport {
    requireNonNull(module, "module");
    requireNonNull(name, "name");
  }

  @Override
  public String toString() {
    return module + "." + name;
  }
}
