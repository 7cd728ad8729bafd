package dev.custos.wasm.proxywasm;

import static java.util.Objects.requireNonNull;

import dev.custos.wasm.FailureMode;
import dev.custos.wasm.HostGrants;
import dev.custos.wasm.Sandbox;
import dev.custos.wasm.SandboxBuilder;
import dev.custos.wasm.SandboxLimits;
import dev.custos.wasm.WasmModule;
import dev.custos.wasm.internal.proxywasm.ProxyWasmGrants;
import dev.custos.wasm.internal.proxywasm.VmSlot;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** Builds a {@link ProxyWasmSandbox}. Not thread-safe; the built sandbox is. */
public final class ProxyWasmSandboxBuilder {
  private final ProxyWasmPlugin plugin;
  private final @Nullable WasmModule module;
  private final @Nullable Path file;
  private final @Nullable String sha256;
  private SandboxLimits limits =
      SandboxLimits.builder().startTimeout(ProxyWasmSandbox.DEFAULT_START_TIMEOUT).build();
  private MeterRegistry meterRegistry = Metrics.globalRegistry;
  private FailureMode failureMode = FailureMode.FAIL_CLOSED;
  private Duration pollInterval = Duration.ofSeconds(2);
  private boolean checkStart = true;

  ProxyWasmSandboxBuilder(
      ProxyWasmPlugin plugin, @Nullable WasmModule module, @Nullable Path file, @Nullable String sha256) {
    this.plugin = plugin;
    this.module = module;
    this.file = file;
    this.sha256 = sha256;
  }

  /**
   * Sets the limits every VM runs under: memory pages, deadline per call, deadline of the call
   * that starts a VM ({@link SandboxLimits#startTimeout()}), VM count. Default: the sandbox
   * defaults with a start deadline of 10 s.
   */
  public ProxyWasmSandboxBuilder limits(SandboxLimits limits) {
    this.limits = requireNonNull(limits, "limits");
    return this;
  }

  /** Sets where the sandbox counts failures, replacements and reloads. */
  public ProxyWasmSandboxBuilder meterRegistry(MeterRegistry meterRegistry) {
    this.meterRegistry = requireNonNull(meterRegistry, "meterRegistry");
    return this;
  }

  /** Sets the failure mode reported by {@link Sandbox#failureMode()}. */
  public ProxyWasmSandboxBuilder failureMode(FailureMode failureMode) {
    this.failureMode = requireNonNull(failureMode, "failureMode");
    return this;
  }

  /** Sets how often a watched file is checked for changes (default 2 s). */
  public ProxyWasmSandboxBuilder pollInterval(Duration pollInterval) {
    this.pollInterval = requireNonNull(pollInterval, "pollInterval");
    return this;
  }

  /**
   * Sets whether {@link #build()} starts one VM on the calling thread, and discards it, to report
   * an unsupported ABI or a failing start right away (default true).
   */
  public ProxyWasmSandboxBuilder checkStart(boolean checkStart) {
    this.checkStart = checkStart;
    return this;
  }

  /**
   * Returns the sandbox.
   *
   * @throws dev.custos.wasm.WasmLoadException when the file cannot be loaded or does not match
   *     the pin
   * @throws dev.custos.wasm.WasmLinkException when the module imports something this host does
   *     not grant (anything outside {@code env}, {@code wasi_snapshot_preview1}, {@code
   *     wasi_unstable}; memories, tables, globals)
   * @throws dev.custos.wasm.WasmCallException when the check start fails
   */
  public ProxyWasmSandbox build() {
    WasmModule loaded = module != null ? module : WasmModule.load(requireNonNull(file), sha256);
    HostGrants grants = ProxyWasmGrants.of(ProxyWasmSandbox.parsed(loaded));
    if (checkStart) {
      try (Sandbox check = configure(Sandbox.builder(loaded), grants).build()) {
        new ProxyWasmSandbox(plugin, check).withVm(ProxyWasmHost.none(), vm -> null);
      }
    }
    SandboxBuilder builder =
        module != null
            ? Sandbox.builder(module)
            : Sandbox.watching(requireNonNull(file), sha256).pollInterval(pollInterval);
    return new ProxyWasmSandbox(plugin, configure(builder, grants).build());
  }

  private SandboxBuilder configure(SandboxBuilder builder, HostGrants grants) {
    return builder
        .limits(limits)
        .grants(grants)
        .meterRegistry(meterRegistry)
        .failureMode(failureMode)
        .instanceState(VmSlot::new);
  }
}
