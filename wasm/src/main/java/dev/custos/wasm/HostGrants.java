package dev.custos.wasm;

import static java.util.Objects.requireNonNull;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Lists the host functions a sandboxed module may import; everything else is refused at link
 * time.
 *
 * <p>{@link #none()} grants nothing: no WASI, no filesystem, sockets, environment, clock or
 * random. Immutable and thread-safe.
 */
public final class HostGrants {
  private static final HostGrants NONE = new HostGrants(Map.of());

  /**
   * Describes one granted function.
   *
   * @param module the import module name
   * @param name the import field name
   * @param type the function's signature; a module importing it with another one fails to link
   * @param handle the implementation
   */
  public record Grant(String module, String name, FunctionType type, HostFunctionHandle handle) {
    /** Creates a grant, rejecting nulls. */
    public Grant {
      requireNonNull(module, "module");
      requireNonNull(name, "name");
      requireNonNull(type, "type");
      requireNonNull(handle, "handle");
    }

    /** Returns the import this grant satisfies. */
    public WasmImport id() {
      return new WasmImport(module, name);
    }
  }

  private final Map<WasmImport, Grant> grants;

  HostGrants(Map<WasmImport, Grant> grants) {
    this.grants = Map.copyOf(grants);
  }

  /** Returns grants that allow no imports at all. */
  public static HostGrants none() {
    return NONE;
  }

  /** Returns grants for the given Chicory host functions (they receive the Chicory instance). */
  public static HostGrants of(HostFunction... functions) {
    return of(List.of(functions));
  }

  /** Returns grants for the given Chicory host functions (they receive the Chicory instance). */
  public static HostGrants of(Collection<? extends HostFunction> functions) {
    HostGrantsBuilder builder = builder();
    functions.forEach(builder::function);
    return builder.build();
  }

  /** Returns a builder with nothing granted yet. */
  public static HostGrantsBuilder builder() {
    return new HostGrantsBuilder();
  }

  /** Returns the imports these grants satisfy. */
  public Set<WasmImport> imports() {
    return grants.keySet();
  }

  /** Returns the grant for the given import, or {@code null} when it is not granted. */
  public @Nullable Grant grant(WasmImport id) {
    return grants.get(requireNonNull(id, "id"));
  }

  @Override
  public String toString() {
    return "HostGrants" + grants.keySet();
  }
}
