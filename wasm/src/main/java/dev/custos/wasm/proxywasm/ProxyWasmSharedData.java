package dev.custos.wasm.proxywasm;

import static java.util.Objects.requireNonNull;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Holds what proxy-wasm VMs share across threads, as Envoy does across workers: key/value data
 * with compare-and-swap versions ({@code proxy_get_shared_data}, {@code proxy_set_shared_data}),
 * one store per VM id, and shared queues ({@code proxy_register_shared_queue}, {@code
 * proxy_resolve_shared_queue}, {@code proxy_enqueue_shared_queue}, {@code
 * proxy_dequeue_shared_queue}), named by VM id and queue name.
 *
 * <p>Share one instance between every plugin of a host: VMs of the same VM id then see the same
 * data, and a queue registered under one VM id can be resolved from any VM. Thread-safe. Memory
 * grows with the keys and values the filters store (nothing expires); a queue holds at most
 * {@link #MAX_QUEUE_ITEMS} items.
 */
public final class ProxyWasmSharedData {
  /** The most items one queue holds; an enqueue beyond it is refused. */
  public static final int MAX_QUEUE_ITEMS = 10_000;

  /** Holds a value and its CAS version (never 0). */
  public record Value(byte[] bytes, int cas) {}

  /** Says how an enqueue went. */
  public enum EnqueueResult {
    /** The item was added and the queue's owner told. */
    OK,
    /** No queue has the token. */
    NOT_FOUND,
    /** The queue holds {@link #MAX_QUEUE_ITEMS} items already. */
    FULL
  }

  private record Key(String vmId, String name) {}

  private static final class Queue {
    final ArrayDeque<byte[]> items = new ArrayDeque<>();
    volatile IntConsumer onReady;

    Queue(IntConsumer onReady) {
      this.onReady = onReady;
    }
  }

  private final ConcurrentHashMap<Key, Value> values = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Key, Integer> queueTokens = new ConcurrentHashMap<>();
  private final Map<Integer, Queue> queues = new ConcurrentHashMap<>();
  private final AtomicInteger nextToken = new AtomicInteger(1);

  private ProxyWasmSharedData() {}

  /** Returns a new, empty store. */
  public static ProxyWasmSharedData create() {
    return new ProxyWasmSharedData();
  }

  /** Returns the value stored under the key for the VM id, or {@code null}. */
  public @Nullable Value get(String vmId, String key) {
    return values.get(new Key(requireNonNull(vmId, "vmId"), requireNonNull(key, "key")));
  }

  /**
   * Stores the value for the VM id if {@code expectedCas} is 0 or the current version, and
   * returns whether it did. Each store gives the key a new version.
   */
  public boolean compareAndSet(String vmId, String key, byte[] value, int expectedCas) {
    Key k = new Key(requireNonNull(vmId, "vmId"), requireNonNull(key, "key"));
    byte[] copy = requireNonNull(value, "value").clone();
    AtomicBoolean stored = new AtomicBoolean();
    values.compute(
        k,
        (unused, old) -> {
          if (expectedCas != 0 && (old == null || old.cas() != expectedCas)) {
            return old;
          }
          int next = old == null ? 1 : old.cas() + 1;
          stored.set(true);
          return new Value(copy, next == 0 ? 1 : next);
        });
    return stored.get();
  }

  /**
   * Registers the queue named {@code name} of the VM id and returns its token (never 0). A queue
   * registered again keeps its token and items, and from then on tells the new {@code onReady}
   * (Envoy: the last VM to register is told).
   *
   * @param onReady called with the token, on the enqueuing thread, after each enqueue; it must
   *     hand the notice to the thread of the VM that registered
   */
  public int registerQueue(String vmId, String name, IntConsumer onReady) {
    requireNonNull(onReady, "onReady");
    Key key = new Key(requireNonNull(vmId, "vmId"), requireNonNull(name, "name"));
    int token =
        queueTokens.computeIfAbsent(
            key,
            k -> {
              int t = nextToken.getAndIncrement();
              queues.put(t, new Queue(onReady));
              return t;
            });
    queues.get(token).onReady = onReady;
    return token;
  }

  /** Returns the token of the queue named {@code name} of the VM id, or 0 when none. */
  public int resolveQueue(String vmId, String name) {
    Integer token = queueTokens.get(new Key(requireNonNull(vmId, "vmId"), requireNonNull(name, "name")));
    return token == null ? 0 : token;
  }

  /** Adds a copy of {@code item} to the queue and tells its owner. */
  public EnqueueResult enqueue(int token, byte[] item) {
    requireNonNull(item, "item");
    Queue q = queues.get(token);
    if (q == null) {
      return EnqueueResult.NOT_FOUND;
    }
    synchronized (q) {
      if (q.items.size() >= MAX_QUEUE_ITEMS) {
        return EnqueueResult.FULL;
      }
      q.items.addLast(item.clone());
    }
    q.onReady.accept(token);
    return EnqueueResult.OK;
  }

  /** Returns whether a queue has the token. */
  public boolean hasQueue(int token) {
    return queues.containsKey(token);
  }

  /** Removes and returns the queue's oldest item, or {@code null} when it is empty or unknown. */
  public byte @Nullable [] dequeue(int token) {
    Queue q = queues.get(token);
    if (q == null) {
      return null;
    }
    synchronized (q) {
      return q.items.pollFirst();
    }
  }
}
