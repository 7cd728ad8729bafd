package dev.custos.wasm.proxywasm;

import static java.util.Objects.requireNonNull;

/**
 * Signals that a proxy-wasm filter could not be started or failed in a callback.
 *
 * <p>The message names the plugin and the phase, never payload bytes.
 */
public final class ProxyWasmException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Says what went wrong. */
  public enum Kind {
    /** The module exports no supported {@code proxy_abi_version_*} (0.2.0 or 0.2.1). */
    UNSUPPORTED_ABI,
    /** {@code proxy_on_vm_start} or {@code proxy_on_configure} returned false. */
    START_FAILED,
    /** The guest trapped (or exited) during a call; the VM is unusable afterwards. */
    TRAP,
    /** The VM failed earlier and refuses further calls. */
    VM_FAILED
  }

  private final Kind kind;

  /** Creates an exception of the given kind. */
  public ProxyWasmException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = requireNonNull(kind, "kind");
  }

  /** Creates an exception of the given kind without a cause. */
  public ProxyWasmException(Kind kind, String message) {
    super(message);
    this.kind = requireNonNull(kind, "kind");
  }

  /** Returns what went wrong. */
  public Kind kind() {
    return kind;
  }
}
