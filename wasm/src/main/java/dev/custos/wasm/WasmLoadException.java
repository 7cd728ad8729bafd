package dev.custos.wasm;

import org.jspecify.annotations.Nullable;

/**
 * Signals that a WebAssembly module could not be loaded: unreadable file, digest pin mismatch,
 * malformed or invalid module.
 *
 * <p>Messages name the file or module and never contain module bytes.
 */
public final class WasmLoadException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message and an optional cause. */
  public WasmLoadException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }

  /** Creates an exception with a message. */
  public WasmLoadException(String message) {
    super(message);
  }
}
