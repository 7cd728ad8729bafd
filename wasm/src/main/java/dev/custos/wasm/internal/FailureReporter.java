package dev.custos.wasm.internal;

import dev.custos.wasm.WasmCallException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts failed calls and logs them at WARN at most once per interval per failure kind, with the
 * number of warnings suppressed since the last one. Thread-safe.
 */
final class FailureReporter {
  private static final Logger logger = LoggerFactory.getLogger(FailureReporter.class);
  private static final long NEVER = Long.MIN_VALUE;

  private final String module;
  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private final Map<WasmCallException.Kind, Counter> errors =
      new EnumMap<>(WasmCallException.Kind.class);
  private final Map<WasmCallException.Kind, AtomicLong> nextLog =
      new EnumMap<>(WasmCallException.Kind.class);
  private final Map<WasmCallException.Kind, AtomicLong> suppressed =
      new EnumMap<>(WasmCallException.Kind.class);
  private final Counter replaced;

  FailureReporter(String module, MeterRegistry registry, Duration interval, LongSupplier nanoClock) {
    this.module = module;
    this.intervalNanos = interval.toNanos();
    this.nanoClock = nanoClock;
    for (var kind : WasmCallException.Kind.values()) {
      errors.put(
          kind,
          Counter.builder("custos.wasm.errors")
              .description("Failed calls into WebAssembly modules")
              .tag("module", module)
              .tag("kind", kind.name().toLowerCase(Locale.ROOT))
              .register(registry));
      nextLog.put(kind, new AtomicLong(NEVER));
      suppressed.put(kind, new AtomicLong());
    }
    this.replaced =
        Counter.builder("custos.wasm.instances.replaced")
            .description("WebAssembly instances discarded after a failed call")
            .tag("module", module)
            .register(registry);
  }

  /** Counts a failure and logs it unless one of its kind was logged within the interval. */
  boolean failed(WasmCallException failure) {
    var kind = failure.kind();
    errors.get(kind).increment();
    long now = nanoClock.getAsLong();
    AtomicLong next = nextLog.get(kind);
    long due = next.get();
    if ((due == NEVER || now - due >= 0) && next.compareAndSet(due, now + intervalNanos)) {
      long skipped = suppressed.get(kind).getAndSet(0);
      logger.warn(
          "wasm call failed ({}): {}{}",
          kind,
          failure.getMessage(),
          skipped == 0 ? "" : " (" + skipped + " similar failures suppressed)");
      return true;
    }
    suppressed.get(kind).incrementAndGet();
    return false;
  }

  /** Returns how many failures of this kind were not logged since the last warning. */
  long suppressed(WasmCallException.Kind kind) {
    return suppressed.get(kind).get();
  }

  void replaced() {
    replaced.increment();
  }
}
