package dev.custos.wasm.proxywasm;

import static java.util.Objects.requireNonNull;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.WasmModule;
import dev.custos.wasm.internal.proxywasm.PluginMetrics;
import dev.custos.wasm.internal.proxywasm.ProxyWasmVmImpl;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.function.Function;

/**
 * Describes one proxy-wasm filter and creates its VMs, one per Chicory instance.
 *
 * <p>Immutable and thread-safe: share one plugin between threads. Metrics a filter defines are
 * shared by all its VMs (tagged {@code plugin=<name>}); the {@link ProxyWasmSharedData} (data and
 * queues, under the configuration's VM id) is shared by all its VMs and every plugin given the
 * same store.
 *
 * <pre>{@code
 * ProxyWasmPlugin plugin = ProxyWasmPlugin.builder(config).meterRegistry(registry).build();
 * ProxyWasmVm vm = plugin.newVm(ProxyWasmHost.none(), module,
 *     imports -> Instance.builder(module).withImportValues(imports).build());
 * }</pre>
 */
public final class ProxyWasmPlugin {
  private final ProxyWasmFilterConfig config;
  private final PluginMetrics metrics;
  private final ProxyWasmSharedData sharedData;
  private final Clock clock;

  ProxyWasmPlugin(
      ProxyWasmFilterConfig config,
      MeterRegistry registry,
      ProxyWasmSharedData sharedData,
      Clock clock) {
    this.config = config;
    this.metrics = new PluginMetrics(registry, config.name());
    this.sharedData = sharedData;
    this.clock = clock;
  }

  /** Returns a builder for a plugin with the given configuration. */
  public static ProxyWasmPluginBuilder builder(ProxyWasmFilterConfig config) {
    return new ProxyWasmPluginBuilder(requireNonNull(config, "config"));
  }

  /** Returns the filter configuration. */
  public ProxyWasmFilterConfig config() {
    return config;
  }

  /**
   * Creates and starts a VM: checks the module's ABI version, builds the host functions it imports
   * ({@code env} and a minimal {@code wasi_snapshot_preview1}; unknown ones become stubs that
   * return Unimplemented), lets {@code instantiate} create the Chicory instance of {@code module}
   * with them, runs {@code _initialize} (or {@code _start}), {@code
   * proxy_on_vm_start}, creates the root context and calls {@code proxy_on_configure}.
   *
   * <p>The returned VM is confined to the calling thread.
   *
   * @param rootHost answers properties and HTTP calls made from the root context
   * @param module the parsed filter; only read here
   * @param instantiate creates the instance of {@code module} with the given imports (the
   *     sandbox's job: limits, compiler, interruption)
   * @throws ProxyWasmException if the ABI is unsupported, the guest traps, or start fails
   */
  public ProxyWasmVm newVm(
      ProxyWasmHost rootHost, WasmModule module, Function<ImportValues, Instance> instantiate) {
    requireNonNull(rootHost, "rootHost");
    requireNonNull(module, "module");
    requireNonNull(instantiate, "instantiate");
    return ProxyWasmVmImpl.start(config, metrics, sharedData, clock, rootHost, module, instantiate);
  }

  /** Prepares a VM (ABI checked, host functions built) for {@link ProxyWasmSandbox}. */
  ProxyWasmVmImpl prepare(ProxyWasmHost rootHost, WasmModule module) {
    return ProxyWasmVmImpl.prepare(config, metrics, sharedData, clock, rootHost, module);
  }
}
