package dev.custos.wasm.internal.proxywasm;

import org.jspecify.annotations.Nullable;

/**
 * Holds the proxy-wasm VM of one sandbox instance: the sandbox's per-instance state, so that the
 * granted host functions find the VM of the instance that calls them. Confined to the instance's
 * thread.
 */
public final class VmSlot {
  private @Nullable ProxyWasmVmImpl vm;

  /** Returns the VM, or null before it was prepared. */
  public @Nullable ProxyWasmVmImpl vm() {
    return vm;
  }

  /** Sets the VM of this instance. */
  public void vm(ProxyWasmVmImpl vm) {
    this.vm = vm;
  }
}
