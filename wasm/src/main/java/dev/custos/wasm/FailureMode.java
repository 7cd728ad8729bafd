package dev.custos.wasm;

/**
 * Tells callers what a failed WebAssembly call means for the message being inspected.
 *
 * <p>The sandbox only reports failures; the caller applies the mode. Immutable and thread-safe.
 */
public enum FailureMode {
  /** Treats a failed call as "no finding" and lets the message continue. */
  FAIL_OPEN,
  /** Treats a failed call as a block. */
  FAIL_CLOSED
}
