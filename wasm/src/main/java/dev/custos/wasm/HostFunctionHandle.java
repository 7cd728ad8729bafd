package dev.custos.wasm;

import org.jspecify.annotations.Nullable;

/**
 * Implements a granted host function with access to the calling {@link SandboxInstance} (its
 * memory and its per-instance state).
 *
 * <p>Runs on the thread that called into the module, under that call's deadline. Throw {@link
 * WasmCallException} with {@link WasmCallException.Kind#ABI} when the module misuses the ABI.
 */
@FunctionalInterface
public interface HostFunctionHandle {
  /**
   * Runs the host function and returns its results ({@code null} or empty when it returns
   * nothing).
   */
  long @Nullable [] apply(SandboxInstance instance, long... args);
}
