package dev.custos.wasm;

import static java.util.Objects.requireNonNull;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds {@link HostGrants}. Not thread-safe; the built grants are. */
public final class HostGrantsBuilder {
  private final Map<WasmImport, HostGrants.Grant> grants = new LinkedHashMap<>();

  HostGrantsBuilder() {}

  /** Grants a Chicory host function; its handle receives the Chicory instance. */
  public HostGrantsBuilder function(HostFunction function) {
    requireNonNull(function, "function");
    var chicoryHandle = function.handle();
    return add(
        new HostGrants.Grant(
            function.module(),
            function.name(),
            function.functionType(),
            (instance, args) -> chicoryHandle.apply(instance.instance(), args)));
  }

  /** Grants a host function that receives the calling {@link SandboxInstance}. */
  public HostGrantsBuilder function(
      String module, String name, FunctionType type, HostFunctionHandle handle) {
    return add(new HostGrants.Grant(module, name, type, handle));
  }

  private HostGrantsBuilder add(HostGrants.Grant grant) {
    if (grants.putIfAbsent(grant.id(), grant) != null) {
      throw new IllegalArgumentException(
          "function: " + grant.id() + " (expected: each import granted once)");
    }
    return this;
  }

  /** Returns the grants. */
  public HostGrants build() {
    return new HostGrants(grants);
  }
}
