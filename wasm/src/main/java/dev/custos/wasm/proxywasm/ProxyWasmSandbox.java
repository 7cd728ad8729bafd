package dev.custos.wasm.proxywasm;

import static java.util.Objects.requireNonNull;

import dev.custos.wasm.Sandbox;
import dev.custos.wasm.SandboxInstance;
import dev.custos.wasm.WasmCallException;
import dev.custos.wasm.WasmModule;
import dev.custos.wasm.internal.LoadedModule;
import dev.custos.wasm.internal.proxywasm.ProxyWasmVmImpl;
import dev.custos.wasm.internal.proxywasm.VmSlot;
import java.util.function.Function;

/**
 * Runs one proxy-wasm plugin inside a {@link Sandbox}: the host functions are the sandbox's
 * grants, each sandbox instance (one per calling thread) carries its own {@link ProxyWasmVm} as
 * its per-instance state, and every use of a VM runs under the sandbox's deadline and memory
 * limit.
 *
 * <p>A VM is started on a thread's first {@link #withVm} (initialize, {@code proxy_on_vm_start},
 * {@code proxy_on_configure}). When a call fails — trap, timeout, memory limit, failed start —
 * {@link #withVm} throws {@link WasmCallException} (counted by the sandbox as {@code
 * custos_wasm_errors_total{module,kind}}), the sandbox discards the instance, and the thread's
 * next {@link #withVm} starts a new VM. Streams of the discarded VM are dead: compare the VM
 * {@link #withVm} passes with the one that made the stream. A reload of a watched module swaps
 * in new VMs the same way.
 *
 * <p>Thread-safe; each VM is confined to its thread.
 */
public final class ProxyWasmSandbox implements AutoCloseable {
  /** The default deadline of the call that starts a VM: Go and Rust runtimes start slowly. */
  public static final java.time.Duration DEFAULT_START_TIMEOUT = java.time.Duration.ofSeconds(10);

  private final ProxyWasmPlugin plugin;
  private final Sandbox sandbox;

  ProxyWasmSandbox(ProxyWasmPlugin plugin, Sandbox sandbox) {
    this.plugin = plugin;
    this.sandbox = sandbox;
  }

  /**
   * Returns a builder of a sandbox running {@code plugin} from {@code file}, reloaded when the
   * file changes (see {@link Sandbox#watching}).
   */
  public static ProxyWasmSandboxBuilder watching(
      ProxyWasmPlugin plugin, java.nio.file.Path file, @org.jspecify.annotations.Nullable
          String sha256) {
    return new ProxyWasmSandboxBuilder(
        requireNonNull(plugin, "plugin"), null, requireNonNull(file, "file"), sha256);
  }

  /** Returns a builder of a sandbox running {@code plugin} from a loaded module. */
  public static ProxyWasmSandboxBuilder builder(ProxyWasmPlugin plugin, WasmModule module) {
    return new ProxyWasmSandboxBuilder(
        requireNonNull(plugin, "plugin"), requireNonNull(module, "module"), null, null);
  }

  /** Returns the plugin. */
  public ProxyWasmPlugin plugin() {
    return plugin;
  }

  /** Returns the sandbox the VMs run in. */
  public Sandbox sandbox() {
    return sandbox;
  }

  /** Returns the module currently served. */
  public WasmModule module() {
    return sandbox.module();
  }

  /**
   * Runs {@code body} with this thread's VM, starting one first if the thread has none, all under
   * one deadline: {@link dev.custos.wasm.SandboxLimits#startTimeout()} when the thread's VM is
   * started by this call, else the call timeout. Call it once with a no-op body to start a VM
   * under the start deadline alone.
   *
   * @param rootHost answers the root context of a VM started by this call
   * @throws WasmCallException when starting the VM or the body's use of it fails; the VM is
   *     discarded
   * @throws IllegalStateException when the sandbox is closed or the thread is already in a call
   */
  public <T> T withVm(ProxyWasmHost rootHost, Function<? super ProxyWasmVm, ? extends T> body) {
    requireNonNull(rootHost, "rootHost");
    requireNonNull(body, "body");
    return sandbox.withInstance(
        instance -> {
          try {
            return body.apply(vm(instance, rootHost));
          } catch (ProxyWasmException e) {
            throw failure(instance.module(), e);
          }
        });
  }

  private ProxyWasmVmImpl vm(SandboxInstance instance, ProxyWasmHost rootHost) {
    VmSlot slot = instance.state(VmSlot.class);
    ProxyWasmVmImpl vm = slot.vm();
    if (vm != null && vm.started()) {
      return vm;
    }
    if (vm != null) {
      // A VM whose start failed: this instance is about to be discarded anyway.
      throw new ProxyWasmException(
          ProxyWasmException.Kind.VM_FAILED,
          "proxy-wasm plugin " + plugin.config().name() + ": VM failed to start");
    }
    vm = plugin.prepare(rootHost, parsed(instance.module()));
    slot.vm(vm);
    vm.begin(instance.instance());
    return vm;
  }

  static com.dylibso.chicory.wasm.WasmModule parsed(WasmModule module) {
    if (module instanceof LoadedModule loaded) {
      return loaded.parsed();
    }
    throw new IllegalArgumentException(
        "module: " + module.getClass().getName() + " (expected: from WasmModule.load or of)");
  }

  private static WasmCallException failure(WasmModule module, ProxyWasmException e) {
    WasmCallException.Kind kind =
        switch (e.kind()) {
          case TRAP, VM_FAILED -> WasmCallException.Kind.TRAP;
          case START_FAILED, UNSUPPORTED_ABI -> WasmCallException.Kind.INSTANTIATION;
        };
    return new WasmCallException(kind, module.name(), e.getMessage(), e);
  }

  /** Drops every VM and stops watching the module file. */
  @Override
  public void close() {
    sandbox.close();
  }

  @Override
  public String toString() {
    return "ProxyWasmSandbox{plugin=" + plugin.config().name() + ", " + sandbox + '}';
  }
}
