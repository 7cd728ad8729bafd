package dev.custos.wasm;

import static java.util.Objects.requireNonNull;

import dev.custos.wasm.internal.DefaultSandbox;
import dev.custos.wasm.internal.ReloadingSandbox;
import dev.custos.wasm.internal.SandboxConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/** Builds a {@link Sandbox}. Not thread-safe; the built sandbox is. */
public final class SandboxBuilder {
  private final @Nullable WasmModule module;
  private final @Nullable Path file;
  private final @Nullable String sha256;
  private SandboxLimits limits = SandboxLimits.ofDefault();
  private HostGrants grants = HostGrants.none();
  private MeterRegistry meterRegistry = Metrics.globalRegistry;
  private FailureMode failureMode = FailureMode.FAIL_CLOSED;
  private Supplier<? extends @Nullable Object> instanceState = () -> null;
  private Duration logInterval = Duration.ofSeconds(10);
  private Duration pollInterval = Duration.ofSeconds(2);
  private boolean interpreterOnly;

  SandboxBuilder(WasmModule module) {
    this.module = requireNonNull(module, "module");
    this.file = null;
    this.sha256 = null;
  }

  SandboxBuilder(Path file, @Nullable String sha256) {
    this.module = null;
    this.file = requireNonNull(file, "file");
    this.sha256 = sha256;
  }

  /** Sets the limits every instance runs under (default {@link SandboxLimits#ofDefault()}). */
  public SandboxBuilder limits(SandboxLimits limits) {
    this.limits = requireNonNull(limits, "limits");
    return this;
  }

  /** Sets the host functions the module may import (default {@link HostGrants#none()}). */
  public SandboxBuilder grants(HostGrants grants) {
    this.grants = requireNonNull(grants, "grants");
    return this;
  }

  /** Sets where failures, replacements and reloads are counted (default: the global registry). */
  public SandboxBuilder meterRegistry(MeterRegistry meterRegistry) {
    this.meterRegistry = requireNonNull(meterRegistry, "meterRegistry");
    return this;
  }

  /** Sets the failure mode reported to callers (default {@link FailureMode#FAIL_CLOSED}). */
  public SandboxBuilder failureMode(FailureMode failureMode) {
    this.failureMode = requireNonNull(failureMode, "failureMode");
    return this;
  }

  /**
   * Sets the factory of the per-instance state object, called once per instance before the
   * module's start function runs; reach it with {@link SandboxInstance#state()}.
   */
  public SandboxBuilder instanceState(Supplier<? extends @Nullable Object> factory) {
    this.instanceState = requireNonNull(factory, "factory");
    return this;
  }

  /** Sets the least time between two warnings for the same module and failure kind. */
  public SandboxBuilder logInterval(Duration logInterval) {
    requireNonNull(logInterval, "logInterval");
    if (logInterval.isNegative()) {
      throw new IllegalArgumentException("logInterval: " + logInterval + " (expected: >= 0)");
    }
    this.logInterval = logInterval;
    return this;
  }

  /** Sets how often a watched file is checked for changes (default 2 s). */
  public SandboxBuilder pollInterval(Duration pollInterval) {
    requireNonNull(pollInterval, "pollInterval");
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("pollInterval: " + pollInterval + " (expected: > 0)");
    }
    this.pollInterval = pollInterval;
    return this;
  }

  /** Makes a watched module run on the interpreter instead of compiled bytecode. */
  public SandboxBuilder interpreterOnly(boolean interpreterOnly) {
    this.interpreterOnly = interpreterOnly;
    return this;
  }

  /**
   * Returns the sandbox.
   *
   * @throws WasmLinkException when the module imports something not granted
   * @throws WasmLoadException when a watched file cannot be loaded initially
   */
  public Sandbox build() {
    var config =
        new SandboxConfig(
            limits, grants, meterRegistry, failureMode, instanceState, logInterval);
    if (module != null) {
      return DefaultSandbox.create(interpreterOnly ? module.interpreted() : module, config);
    }
    return ReloadingSandbox.create(requireNonNull(file), sha256, interpreterOnly, pollInterval, config);
  }
}
