package dev.custos.wasm.internal;

/** Signals a call into a closed sandbox; a reloading sandbox retries on the new one. */
final class SandboxClosedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  SandboxClosedException(String module) {
    super("sandbox for module " + module + " is closed");
  }
}
