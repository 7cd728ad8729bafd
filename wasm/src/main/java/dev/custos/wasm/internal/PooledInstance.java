package dev.custos.wasm.internal;

import static java.util.Objects.requireNonNull;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import dev.custos.wasm.SandboxInstance;
import dev.custos.wasm.SandboxLimits;
import dev.custos.wasm.WasmCallException;
import dev.custos.wasm.WasmModule;
import org.jspecify.annotations.Nullable;

/** Implements {@link SandboxInstance}: one Chicory instance owned by one thread. */
final class PooledInstance implements SandboxInstance {
  private static final long[] NO_RESULTS = new long[0];

  private final LoadedModule module;
  private final Thread owner;
  private final @Nullable Object state;
  private @Nullable Instance instance;
  private boolean active;

  PooledInstance(LoadedModule module, Thread owner, @Nullable Object state) {
    this.module = module;
    this.owner = owner;
    this.state = state;
  }

  /** Records the Chicory instance; host functions may see it before the builder returns. */
  void attach(Instance instance) {
    if (this.instance == null) {
      this.instance = instance;
    }
  }

  boolean active() {
    return active;
  }

  void enter() {
    active = true;
  }

  void exit() {
    active = false;
  }

  private void checkUsable() {
    if (Thread.currentThread() != owner || !active) {
      throw new IllegalStateException(
          "instance of module "
              + module.name()
              + " used outside its call (expected: within withInstance on its own thread)");
    }
  }

  private WasmCallException abi(String message) {
    return new WasmCallException(WasmCallException.Kind.ABI, module.name(), message);
  }

  @Override
  public WasmModule module() {
    return module;
  }

  @Override
  public long[] call(String export, long... args) {
    requireNonNull(export, "export");
    requireNonNull(args, "args");
    checkUsable();
    if (!module.hasExport(export)) {
      throw abi("no exported function named " + export);
    }
    long[] results = instance().export(export).apply(args);
    return results == null ? NO_RESULTS : results;
  }

  @Override
  public boolean hasExport(String export) {
    return module.hasExport(export);
  }

  @Override
  public Memory memory() {
    Memory memory = instance().memory();
    if (memory == null) {
      throw abi("module has no memory");
    }
    return memory;
  }

  @Override
  public void checkRange(long address, long length) {
    long size = (long) memory().pages() * SandboxLimits.PAGE_SIZE;
    if (address < 0 || length < 0 || address > size || length > size - address) {
      throw abi(
          "address range of "
              + length
              + " bytes at "
              + address
              + " is outside memory of "
              + size
              + " bytes");
    }
  }

  @Override
  public byte[] read(long address, long length) {
    checkUsable();
    checkRange(address, length);
    return memory().readBytes((int) address, (int) length);
  }

  @Override
  public void write(long address, byte[] bytes) {
    write(address, bytes, 0, bytes.length);
  }

  @Override
  public void write(long address, byte[] bytes, int offset, int length) {
    requireNonNull(bytes, "bytes");
    checkUsable();
    if (offset < 0 || length < 0 || offset > bytes.length - length) {
      throw new IndexOutOfBoundsException(
          "offset: " + offset + ", length: " + length + " (expected: within " + bytes.length + ")");
    }
    checkRange(address, length);
    memory().write((int) address, bytes, offset, length);
  }

  @Override
  public @Nullable Object state() {
    return state;
  }

  @Override
  public <T> T state(Class<T> type) {
    requireNonNull(type, "type");
    if (!type.isInstance(state)) {
      throw new IllegalStateException(
          "state: "
              + (state == null ? "none" : state.getClass().getName())
              + " (expected: "
              + type.getName()
              + ")");
    }
    return type.cast(state);
  }

  @Override
  public Instance instance() {
    Instance current = instance;
    if (current == null) {
      throw new IllegalStateException("instance of module " + module.name() + " is not ready");
    }
    return current;
  }
}
