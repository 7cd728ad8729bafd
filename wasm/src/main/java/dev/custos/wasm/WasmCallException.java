package dev.custos.wasm;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * Signals that one call into a sandboxed WebAssembly module failed; other calls are unaffected.
 *
 * <p>The message names the module and the failure, never memory contents. The caller decides
 * what the failure means with {@link Sandbox#failureMode()}.
 */
public class WasmCallException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Classifies why a call failed. */
  public enum Kind {
    /** The module trapped: {@code unreachable}, out-of-bounds access, stack exhaustion… */
    TRAP,
    /** The call ran past its deadline and was interrupted. */
    TIMEOUT,
    /** The module needs more memory than the sandbox allows. */
    MEMORY_LIMIT,
    /** The module imports something that was not granted, or with another signature. */
    LINK,
    /** The module could not be instantiated (start function trapped, instance limit…). */
    INSTANTIATION,
    /** Host code detected misuse of the host ABI, e.g. an out-of-range pointer. */
    ABI
  }

  private final Kind kind;
  private final String module;

  /** Creates an exception of the given kind for the named module. */
  public WasmCallException(Kind kind, String module, String message) {
    this(kind, module, message, null);
  }

  /** Creates an exception of the given kind for the named module, with a cause. */
  public WasmCallException(Kind kind, String module, String message, @Nullable Throwable cause) {
    super(requireNonNull(module, "module") + ": " + requireNonNull(message, "message"), cause);
    this.kind = requireNonNull(kind, "kind");
    this.module = module;
  }

  /** Returns why the call failed. */
  public Kind kind() {
    return kind;
  }

  /** Returns the name of the module whose call failed. */
  public String module() {
    return module;
  }
}
