package dev.custos.wasm.internal.proxywasm;

import com.dylibso.chicory.wasm.WasmModule;
import dev.custos.wasm.HostGrants;

/** Gives the public package the sandbox grants of the proxy-wasm host functions. */
public final class ProxyWasmGrants {
  private ProxyWasmGrants() {}

  /** Returns the grants for {@code module}; see {@link HostFunctions#grants}. */
  public static HostGrants of(WasmModule module) {
    return HostFunctions.grants(module);
  }
}
