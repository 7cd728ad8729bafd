package dev.custos.wasm.internal;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import dev.custos.wasm.HostGrants;
import dev.custos.wasm.WasmImport;
import dev.custos.wasm.WasmLinkException;
import java.util.ArrayList;
import java.util.Locale;

/** Resolves a module's imports against granted host functions, refusing everything else. */
final class Linker {
  private Linker() {}

  /** Checks that every import is a granted function with the granted signature. */
  static void check(LoadedModule module, HostGrants grants) {
    var section = module.parsed().importSection();
    for (int i = 0; i < section.importCount(); i++) {
      var imp = section.getImport(i);
      var id = new WasmImport(imp.module(), imp.name());
      if (imp.importType() != ExternalType.FUNCTION) {
        throw new WasmLinkException(
            module.name(),
            id,
            "is a "
                + imp.importType().name().toLowerCase(Locale.ROOT)
                + " import (expected: only granted functions)");
      }
      var grant = grants.grant(id);
      if (grant == null) {
        throw new WasmLinkException(module.name(), id, "is not granted");
      }
      FunctionType wanted = module.parsed().typeSection().getType(((FunctionImport) imp).typeIndex());
      if (!wanted.equals(grant.type())) {
        throw new WasmLinkException(
            module.name(),
            id,
            "is imported as " + wanted + " (expected: " + grant.type() + ")");
      }
    }
  }

  /** Returns the granted functions bound to {@code pooled}, one per function import. */
  static ImportValues bind(LoadedModule module, HostGrants grants, PooledInstance pooled) {
    var section = module.parsed().importSection();
    var functions = new ArrayList<ImportFunction>();
    for (int i = 0; i < section.importCount(); i++) {
      var imp = section.getImport(i);
      var grant = grants.grant(new WasmImport(imp.module(), imp.name()));
      if (grant == null || imp.importType() != ExternalType.FUNCTION) {
        continue; // check() refused the module already.
      }
      var handle = grant.handle();
      functions.add(
          new HostFunction(
              grant.module(),
              grant.name(),
              grant.type(),
              (instance, args) -> {
                pooled.attach(instance);
                return handle.apply(pooled, args);
              }));
    }
    return ImportValues.builder().withFunctions(functions).build();
  }
}
