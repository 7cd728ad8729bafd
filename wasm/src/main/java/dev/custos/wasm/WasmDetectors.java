package dev.custos.wasm;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.PluginDetector;
import dev.custos.engine.PluginDetectorDefinition;
import dev.custos.engine.PluginDetectorException;
import dev.custos.engine.PluginDetectorFactory;
import dev.custos.wasm.internal.detector.WasmDetector;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Runs a policy's WebAssembly detectors: the {@link PluginDetectorFactory} that {@code custos
 * scan} and the proxy give their scanners ({@code Scanner.builder(policy).pluginDetectors(
 * WasmDetectors.ofDefault())}).
 *
 * <p>Each definition gets its own {@link Sandbox}: the module file is read once, checked against
 * its pinned SHA-256, compiled, and run with no imports granted, one instance per calling thread,
 * each call bounded by the definition's {@code timeout_ms} and by {@link #maxMemoryPages()}. The
 * module must follow the Custos detector ABI v1 ({@code docs/wasm-detector-abi.md}); what it
 * returns is checked, and a trap, timeout, memory-limit hit or malformed result fails the call
 * with a {@link PluginDetectorException} whose kind is {@code trap}, {@code timeout}, {@code
 * memory_limit}, {@code instantiation} or {@code abi}; the scanner then applies the definition's
 * {@code on_error}. Failures are counted as {@code custos_wasm_errors_total{module,kind}}.
 *
 * <p>Immutable and thread-safe; the detectors it makes are thread-safe too.
 */
public final class WasmDetectors implements PluginDetectorFactory {
  private static final WasmDetectors DEFAULT = builder().build();

  private final MeterRegistry meterRegistry;
  private final int maxMemoryPages;
  private final int maxInstances;

  WasmDetectors(MeterRegistry meterRegistry, int maxMemoryPages, int maxInstances) {
    this.meterRegistry = meterRegistry;
    this.maxMemoryPages = maxMemoryPages;
    this.maxInstances = maxInstances;
  }

  /** Returns a factory with the defaults: the global meter registry, 16 MiB, 64 instances. */
  public static WasmDetectors ofDefault() {
    return DEFAULT;
  }

  /** Returns a builder starting from the defaults. */
  public static WasmDetectorsBuilder builder() {
    return new WasmDetectorsBuilder();
  }

  /** Returns the most linear-memory pages (64 KiB each) one instance of a detector may have. */
  public int maxMemoryPages() {
    return maxMemoryPages;
  }

  /** Returns the most instances (one per calling thread) one detector keeps. */
  public int maxInstances() {
    return maxInstances;
  }

  /**
   * Loads the module of {@code definition}, checks its pin and its ABI, and returns its detector.
   *
   * @throws PluginDetectorException of kind {@code load} (unreadable or invalid file), {@code
   *     hash_mismatch}, {@code link} (the module imports something), {@code abi} (missing or
   *     mistyped exports, categories the definition does not allow) or another call failure kind
   */
  @Override
  public PluginDetector create(PluginDetectorDefinition definition) {
    requireNonNull(definition, "definition");
    SandboxLimits limits = SandboxLimits.builder()
        .maxMemoryPages(maxMemoryPages)
        .maxInstances(maxInstances)
        .callTimeout(java.time.Duration.ofMillis(definition.timeoutMillis()))
        .build();
    return WasmDetector.load(definition, limits, meterRegistry);
  }

  @Override
  public String toString() {
    return "WasmDetectors{maxMemoryPages=" + maxMemoryPages + ", maxInstances=" + maxInstances
        + '}';
  }
}
