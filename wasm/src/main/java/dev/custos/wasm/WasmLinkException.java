package dev.custos.wasm;

import static java.util.Objects.requireNonNull;

/**
 * Signals that a module imports something the sandbox did not grant (or grants it with another
 * signature), so it cannot be instantiated.
 */
public final class WasmLinkException extends WasmCallException {
  private static final long serialVersionUID = 1L;

  private final WasmImport unresolved;

  /** Creates a link failure for {@code module} naming the import that could not be resolved. */
  public WasmLinkException(String module, WasmImport unresolved, String reason) {
    super(Kind.LINK, module, "import " + requireNonNull(unresolved, "unresolved") + " " + reason);
    this.unresolved = unresolved;
  }

  /** Returns the import that could not be resolved. */
  public WasmImport unresolved() {
    return unresolved;
  }
}
