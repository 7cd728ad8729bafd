package dev.custos.wasm.internal;

import static java.util.Objects.requireNonNull;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.UnlinkableException;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import dev.custos.wasm.FailureMode;
import dev.custos.wasm.Sandbox;
import dev.custos.wasm.SandboxInstance;
import dev.custos.wasm.SandboxLimits;
import dev.custos.wasm.WasmCallException;
import dev.custos.wasm.WasmCallException.Kind;
import dev.custos.wasm.WasmModule;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/** Implements {@link Sandbox} for one module: one instance per calling thread. */
public final class DefaultSandbox implements Sandbox {
  /** The most elements a table may have: about 12 MiB of references per table. */
  static final long MAX_TABLE_ELEMENTS = 1 << 20;

  private final LoadedModule module;
  private final SandboxConfig config;
  private final FailureReporter reporter;
  private final ConcurrentHashMap<Thread, PooledInstance> instances = new ConcurrentHashMap<>();
  private final AtomicInteger live = new AtomicInteger();
  private volatile boolean closed;

  private DefaultSandbox(LoadedModule module, SandboxConfig config) {
    this.module = module;
    this.config = config;
    this.reporter =
        new FailureReporter(
            module.name(), config.meterRegistry(), config.logInterval(), System::nanoTime);
  }

  /**
   * Returns a sandbox for {@code module}, checking its imports against the grants.
   *
   * @throws dev.custos.wasm.WasmLinkException when an import is not granted
   */
  public static DefaultSandbox create(WasmModule module, SandboxConfig config) {
    requireNonNull(module, "module");
    if (!(module instanceof LoadedModule loaded)) {
      throw new IllegalArgumentException(
          "module: " + module.getClass().getName() + " (expected: from WasmModule.load or of)");
    }
    var sandbox = new DefaultSandbox(loaded, config);
    try {
      Linker.check(loaded, config.grants());
    } catch (WasmCallException e) {
      sandbox.reporter.failed(e);
      throw e;
    }
    return sandbox;
  }

  @Override
  public WasmModule module() {
    return module;
  }

  @Override
  public SandboxLimits limits() {
    return config.limits();
  }

  @Override
  public FailureMode failureMode() {
    return config.failureMode();
  }

  @Override
  public <T> T withInstance(Function<? super SandboxInstance, ? extends T> body) {
    requireNonNull(body, "body");
    if (closed) {
      throw new SandboxClosedException(module.name());
    }
    Thread thread = Thread.currentThread();
    PooledInstance pooled = instances.get(thread);
    if (pooled != null && pooled.active()) {
      throw new IllegalStateException(
          "module " + module.name() + " called again from within a call on the same thread");
    }
    // A thread's first call makes its instance (and an ABI layer starts its VM there): it gets
    // the start deadline, every later call the call deadline.
    java.time.Duration timeout =
        pooled == null ? config.limits().startTimeout() : config.limits().callTimeout();
    var guard = Deadlines.arm(timeout);
    PooledInstance used = pooled;
    @Nullable T result = null;
    Throwable thrown = null;
    try {
      if (used == null) {
        used = instantiate(thread);
        adopt(thread, used);
      }
      used.enter();
      try {
        result = body.apply(used);
      } finally {
        used.exit();
      }
    } catch (Throwable t) {
      thrown = t;
    }
    boolean timedOut = guard.finish();
    if (thrown == null) {
      return result;
    }
    if (used != null) {
      discard(thread, used);
    }
    if (!timedOut && !isModuleFailure(thrown)) {
      // A bug in host code (or the caller's body), not a module failure: rethrow it unchanged.
      if (thrown instanceof RuntimeException bug) {
        throw bug;
      }
      if (thrown instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(thrown);
    }
    WasmCallException failure = classify(thrown, timedOut, timeout);
    reporter.failed(failure);
    throw failure;
  }

  private PooledInstance instantiate(Thread thread) {
    reserve();
    boolean built = false;
    try {
      var pooled = new PooledInstance(module, thread, config.instanceState().get());
      var builder =
          Instance.builder(module.parsed())
              .withMachineFactory(module.machineFactory())
              .withImportValues(Linker.bind(module, config.grants(), pooled))
              .withStart(false)
              .withUnsafeExecutionListener(Deadlines.INTERPRETER_BRANCHES);
      var declared = module.declaredMemory();
      if (declared.isPresent()) {
        int maxPages = config.limits().maxMemoryPages();
        MemoryLimits limits = declared.get();
        if (limits.initialPages() > maxPages) {
          throw new WasmCallException(
              Kind.MEMORY_LIMIT,
              module.name(),
              "module declares "
                  + limits.initialPages()
                  + " initial memory pages (expected: <= "
                  + maxPages
                  + ")");
        }
        builder.withMemoryLimits(
            new MemoryLimits(limits.initialPages(), Math.min(limits.maximumPages(), maxPages)));
      }
      builder.withTableFactory(this::boundedTable);
      pooled.enter();
      try {
        pooled.attach(builder.build());
      } catch (UnlinkableException e) {
        throw new WasmCallException(Kind.LINK, module.name(), describe(e), e);
      } catch (UninstantiableException e) {
        throw new WasmCallException(Kind.INSTANTIATION, module.name(), describe(e), e);
      } finally {
        pooled.exit();
      }
      built = true;
      return pooled;
    } finally {
      if (!built) {
        live.decrementAndGet();
      }
    }
  }

  /** Caps every table at {@link #MAX_TABLE_ELEMENTS} so {@code table.grow} fails past it. */
  private TableInstance boundedTable(Table table, int initialValue) {
    TableLimits limits = table.limits();
    if (limits.min() > MAX_TABLE_ELEMENTS) {
      throw new WasmCallException(
          Kind.MEMORY_LIMIT,
          module.name(),
          "module declares a table of "
              + limits.min()
              + " elements (expected: <= "
              + MAX_TABLE_ELEMENTS
              + ")");
    }
    var capped =
        new TableLimits(limits.min(), Math.min(limits.max(), MAX_TABLE_ELEMENTS), limits.shared());
    return new TableInstance(new Table(table.elementType(), capped, table.initialize()), initialValue);
  }

  private void reserve() {
    int max = config.limits().maxInstances();
    while (true) {
      int current = live.get();
      if (current >= max) {
        purgeDeadThreads();
        current = live.get();
        if (current >= max) {
          throw new WasmCallException(
              Kind.INSTANTIATION,
              module.name(),
              "instance limit reached: " + max + " threads hold instances");
        }
      }
      if (live.compareAndSet(current, current + 1)) {
        return;
      }
    }
  }

  private void purgeDeadThreads() {
    instances.forEach(
        (thread, instance) -> {
          if (!thread.isAlive() && instances.remove(thread, instance)) {
            live.decrementAndGet();
          }
        });
  }

  private void adopt(Thread thread, PooledInstance instance) {
    instances.put(thread, instance);
    if (closed && instances.remove(thread, instance)) {
      live.decrementAndGet();
    }
  }

  private void discard(Thread thread, PooledInstance instance) {
    if (instances.remove(thread, instance)) {
      live.decrementAndGet();
    }
    reporter.replaced();
  }

  private static boolean isModuleFailure(Throwable thrown) {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof WasmCallException) {
        return true;
      }
    }
    return thrown instanceof ChicoryException || thrown instanceof StackOverflowError;
  }

  private WasmCallException classify(
      Throwable thrown, boolean timedOut, java.time.Duration timeout) {
    if (timedOut) {
      return new WasmCallException(
          Kind.TIMEOUT,
          module.name(),
          "call exceeded its deadline of " + timeout.toMillis() + " ms",
          thrown);
    }
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof WasmCallException failure) {
        return failure;
      }
    }
    if (thrown instanceof ChicoryInterruptedException) {
      // Interrupted by someone else: the thread keeps its interrupt status.
      return new WasmCallException(Kind.TIMEOUT, module.name(), "call interrupted", thrown);
    }
    if (thrown instanceof StackOverflowError) {
      return new WasmCallException(Kind.TRAP, module.name(), "call stack exhausted", thrown);
    }
    return new WasmCallException(Kind.TRAP, module.name(), describe(thrown), thrown);
  }

  private static String describe(Throwable t) {
    String message = t.getMessage();
    return message == null ? t.getClass().getSimpleName() : message;
  }

  /** Returns how many instances this sandbox holds; for tests. */
  int liveInstances() {
    return live.get();
  }

  @Override
  public void close() {
    closed = true;
    instances.forEach(
        (thread, instance) -> {
          if (instances.remove(thread, instance)) {
            live.decrementAndGet();
          }
        });
  }

  @Override
  public String toString() {
    return "Sandbox{module=" + module.name() + ", limits=" + config.limits() + '}';
  }
}
