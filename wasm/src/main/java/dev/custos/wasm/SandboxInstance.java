package dev.custos.wasm;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import org.jspecify.annotations.Nullable;

/**
 * Gives host code one live module instance: its exports, its memory and its per-instance state.
 *
 * <p>Obtained inside {@link Sandbox#withInstance} or passed to a {@link HostFunctionHandle}. Not
 * thread-safe: it belongs to the thread that is calling and is valid only until that call
 * returns. Memory helpers check bounds and throw {@link WasmCallException.Kind#ABI} on
 * out-of-range addresses; messages never contain memory contents.
 */
public interface SandboxInstance {
  /** Returns the module this is an instance of. */
  WasmModule module();

  /** Calls an exported function within the current call's deadline. */
  long[] call(String export, long... args);

  /** Returns whether the module exports a function with this name. */
  boolean hasExport(String export);

  /** Returns the instance's linear memory; throws {@code ABI} when the module has none. */
  Memory memory();

  /** Returns a copy of {@code length} bytes at {@code address}, checking bounds. */
  byte[] read(long address, long length);

  /** Copies {@code bytes} into memory at {@code address}, checking bounds. */
  void write(long address, byte[] bytes);

  /** Copies {@code length} bytes of {@code bytes} from {@code offset} to {@code address}. */
  void write(long address, byte[] bytes, int offset, int length);

  /**
   * Checks that {@code [address, address + length)} lies inside memory; throws {@code ABI}
   * otherwise.
   */
  void checkRange(long address, long length);

  /** Returns the state object the sandbox's instance-state factory made for this instance. */
  @Nullable Object state();

  /** Returns the state object as {@code type}; throws when there is none or it has another type. */
  <T> T state(Class<T> type);

  /** Returns the underlying Chicory instance, for host code that needs the raw API. */
  Instance instance();
}
