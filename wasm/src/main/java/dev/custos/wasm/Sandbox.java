package dev.custos.wasm;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Runs calls into one WebAssembly module under limits, one instance per calling thread.
 *
 * <p>Each thread gets its own instance, made on first use. A call runs on the caller's thread
 * and is interrupted when it passes {@link SandboxLimits#callTimeout()}; the interrupt can only
 * land while that call is in progress and is cleared before the call returns, so it is safe on
 * event-loop threads (though a call may take up to its deadline). A trap, timeout, memory-limit
 * hit or ABI misuse fails that call only with a {@link WasmCallException}: it is counted as
 * {@code custos_wasm_errors_total{module,kind}}, logged at most once per interval per module and
 * kind, and the thread's instance is discarded so the next call gets a fresh one. What a failure
 * means for the message is the caller's choice, given by {@link #failureMode()}. Any other
 * exception thrown by host functions or by a {@link #withInstance} body is a bug in host code: it
 * propagates unchanged, and the instance is discarded all the same.
 *
 * <p>Instances are made without running a {@code _start} export (the module's start section
 * does run); ABI layers call {@code _start} or {@code _initialize} themselves.
 *
 * <p>Thread-safe.
 */
public interface Sandbox extends AutoCloseable {
  /** Returns a builder of a sandbox running {@code module}. */
  static SandboxBuilder builder(WasmModule module) {
    return new SandboxBuilder(module);
  }

  /**
   * Returns a builder of a sandbox running the module in {@code file}, reloaded when the file's
   * content changes; a change is taken only when it loads, links and matches {@code sha256}
   * (when given), otherwise the old module keeps serving.
   */
  static SandboxBuilder watching(Path file, @Nullable String sha256) {
    return new SandboxBuilder(file, sha256);
  }

  /** Returns the module currently served. */
  WasmModule module();

  /** Returns the limits every instance runs under. */
  SandboxLimits limits();

  /** Returns what the caller should do when a call fails. */
  FailureMode failureMode();

  /**
   * Calls an exported function on this thread's instance, within the deadline.
   *
   * @throws WasmCallException when the call fails; the sandbox stays usable
   * @throws IllegalStateException when the sandbox is closed or the thread is already calling
   */
  default long[] call(String export, long... args) {
    requireNonNull(export, "export");
    requireNonNull(args, "args");
    return withInstance(instance -> instance.call(export, args));
  }

  /**
   * Runs {@code body} with this thread's instance, under one deadline for the whole body; the
   * failure handling of {@link #call} applies to anything the body does with the instance.
   *
   * @throws WasmCallException when the body's use of the instance fails
   * @throws IllegalStateException when the sandbox is closed or the thread is already calling
   */
  <T> T withInstance(Function<? super SandboxInstance, ? extends T> body);

  /** Drops all instances and stops watching; calls in progress finish on their instances. */
  @Override
  void close();
}
