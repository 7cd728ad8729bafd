package dev.custos.wasm.proxywasm;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * Stores the key/value data that the VMs of one VM id share ({@code proxy_get_shared_data},
 * {@code proxy_set_shared_data}) with compare-and-swap versions, as Envoy does across workers.
 *
 * <p>Thread-safe: VMs on different threads share one instance. Memory grows with the keys and
 * values the filters store; nothing expires.
 */
public final class ProxyWasmSharedData {
  /** Holds a value and its CAS version (never 0). */
  public record Value(byte[] bytes, int cas) {}

  private final ConcurrentHashMap<String, Value> values = new ConcurrentHashMap<>();

  private ProxyWasmSharedData() {}

  /** Returns a new, empty store. */
  public static ProxyWasmSharedData create() {
    return new ProxyWasmSharedData();
  }

  /** Returns the value stored under the key, or {@code null}. */
  public @Nullable Value get(String key) {
    return values.get(requireNonNull(key, "key"));
  }

  /**
   * Stores the value if {@code expectedCas} is 0 or the current version, and returns whether it
   * did. Each store gives the key a new version.
   */
  public boolean compareAndSet(String key, byte[] value, int expectedCas) {
    requireNonNull(key, "key");
    byte[] copy = requireNonNull(value, "value").clone();
    AtomicBoolean stored = new AtomicBoolean();
    values.compute(
        key,
        (k, old) -> {
          if (expectedCas != 0 && (old == null || old.cas() != expectedCas)) {
            return old;
          }
          int next = old == null ? 1 : old.cas() + 1;
          stored.set(true);
          return new Value(copy, next == 0 ? 1 : next);
        });
    return stored.get();
  }
}
