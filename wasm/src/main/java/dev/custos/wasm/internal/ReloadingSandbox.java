package dev.custos.wasm.internal;

import static java.util.Objects.requireNonNull;

import dev.custos.wasm.FailureMode;
import dev.custos.wasm.Sandbox;
import dev.custos.wasm.SandboxInstance;
import dev.custos.wasm.SandboxLimits;
import dev.custos.wasm.WasmCallException;
import dev.custos.wasm.WasmLoadException;
import dev.custos.wasm.WasmModule;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Implements a {@link Sandbox} whose module is reloaded when its file's content changes.
 *
 * <p>A daemon thread polls the file's digest. A changed file is taken when it loads, links, and
 * (when a pin is set) its digest equals the pin; the new module's sandbox is swapped in
 * atomically and the old one closed, so later calls use new instances. Otherwise the old module
 * keeps serving. Reloads are counted as {@code custos_wasm_reloads_total{module,result}}.
 */
public final class ReloadingSandbox implements Sandbox {
  private static final Logger logger = LoggerFactory.getLogger(ReloadingSandbox.class);

  private final Path file;
  private final @Nullable String pin;
  private final boolean interpreterOnly;
  private final SandboxConfig config;
  private final String name;
  private final AtomicReference<DefaultSandbox> current;
  private final ScheduledExecutorService watcher;
  private volatile String lastSeenDigest;
  private volatile boolean closed;

  private ReloadingSandbox(
      Path file,
      @Nullable String pin,
      boolean interpreterOnly,
      SandboxConfig config,
      DefaultSandbox initial) {
    this.file = file;
    this.pin = pin == null ? null : pin.toLowerCase(Locale.ROOT);
    this.interpreterOnly = interpreterOnly;
    this.config = config;
    this.name = initial.module().name();
    this.current = new AtomicReference<>(initial);
    this.lastSeenDigest = initial.module().sha256();
    this.watcher =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              var thread = new Thread(runnable, "custos-wasm-reload-" + name);
              thread.setDaemon(true);
              return thread;
            });
  }

  /**
   * Loads the module in {@code file} and starts watching it.
   *
   * @throws WasmLoadException when the file cannot be loaded now
   * @throws dev.custos.wasm.WasmLinkException when the module imports something not granted
   */
  public static ReloadingSandbox create(
      Path file,
      @Nullable String pin,
      boolean interpreterOnly,
      Duration pollInterval,
      SandboxConfig config) {
    requireNonNull(file, "file");
    var initial = DefaultSandbox.create(LoadedModule.load(file, pin, interpreterOnly), config);
    var sandbox = new ReloadingSandbox(file, pin, interpreterOnly, config, initial);
    long nanos = pollInterval.toNanos();
    sandbox.watcher.scheduleWithFixedDelay(sandbox::poll, nanos, nanos, TimeUnit.NANOSECONDS);
    return sandbox;
  }

  private void poll() {
    try {
      reloadIfChanged();
    } catch (RuntimeException e) {
      logger.warn("wasm module {}: reload check of {} failed", name, file, e);
    }
  }

  private void reloadIfChanged() {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      String marker = "unreadable";
      if (!marker.equals(lastSeenDigest)) {
        lastSeenDigest = marker;
        count("unreadable");
        logger.warn("wasm module {}: cannot read {}; keeping the loaded module: {}", name, file, e.toString());
      }
      return;
    }
    String digest = LoadedModule.sha256(bytes);
    if (digest.equals(lastSeenDigest)) {
      return;
    }
    lastSeenDigest = digest;
    if (digest.equals(current.get().module().sha256())) {
      return; // back to the content being served
    }
    if (pin != null && !pin.equals(digest)) {
      count("pin_mismatch");
      logger.warn(
          "wasm module {}: {} changed but does not match the pin (expected: {}, actual: {});"
              + " keeping the loaded module",
          name,
          file,
          pin,
          digest);
      return;
    }
    DefaultSandbox next;
    try {
      next = DefaultSandbox.create(LoadedModule.of(name, bytes, interpreterOnly), config);
    } catch (WasmLoadException e) {
      count("invalid");
      logger.warn("wasm module {}: reload rejected, keeping the loaded module: {}", name, e.getMessage());
      return;
    } catch (WasmCallException e) {
      count("link_failed");
      logger.warn("wasm module {}: reload rejected, keeping the loaded module: {}", name, e.getMessage());
      return;
    }
    synchronized (current) {
      if (closed) {
        next.close();
        return;
      }
      current.getAndSet(next).close();
    }
    count("success");
    logger.info("wasm module {}: reloaded {} (sha256 {})", name, file, digest);
  }

  private void count(String result) {
    Counter.builder("custos.wasm.reloads")
        .description("Reloads of WebAssembly modules by result")
        .tag("module", name)
        .tag("result", result)
        .register(config.meterRegistry())
        .increment();
  }

  @Override
  public WasmModule module() {
    return current.get().module();
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
    while (true) {
      DefaultSandbox sandbox = current.get();
      try {
        return sandbox.withInstance(body);
      } catch (SandboxClosedException e) {
        if (closed || current.get() == sandbox) {
          throw e;
        }
        // Swapped between reading current and calling: retry on the new module.
      }
    }
  }

  @Override
  public void close() {
    watcher.shutdownNow();
    synchronized (current) {
      closed = true;
      current.get().close();
    }
  }

  @Override
  public String toString() {
    return "ReloadingSandbox{file=" + file + ", module=" + current.get().module() + '}';
  }
}
