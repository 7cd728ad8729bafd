package dev.custos.proxy.internal.budget;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.custos.proxy.BudgetKey;
import dev.custos.proxy.BudgetStore;
import dev.custos.proxy.BudgetUsage;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A {@link BudgetStore} in this process's memory. Each key's window is a ring of buckets of
 * {@code window / 60} each, so an event counts for at least the window and at most one bucket
 * longer (a 1 h window forgets in whole minutes). Distinct values are counted exactly, by hash, up
 * to the store's limit.
 *
 * <p>Memory is bounded: the cache holds at most {@code maxTrackedValues} value hashes over all keys
 * (a key without values counts as one) and drops the least recently used keys beyond that, and an idle key
 * expires one window after its last use. Thread-safe: a key's window is updated under its own lock.
 */
public final class InMemoryBudgetStore implements BudgetStore {
  private final long maxTrackedValues;
  private final Cache<BudgetKey, Window> windows;

  /**
   * Creates a store holding at most {@code maxTrackedValues} value hashes.
   *
   * @throws IllegalArgumentException if {@code maxTrackedValues} is not positive
   */
  public InMemoryBudgetStore(long maxTrackedValues) {
    if (maxTrackedValues <= 0) {
      throw new IllegalArgumentException(
          "maxTrackedValues: " + maxTrackedValues + " (expected: > 0)");
    }
    this.maxTrackedValues = maxTrackedValues;
    this.windows =
        Caffeine.newBuilder()
            .maximumWeight(maxTrackedValues)
            .<BudgetKey, Window>weigher((k, w) -> w.weight())
            .expireAfter(new IdleForOneWindow())
            .build();
  }

  @Override
  public BudgetUsage projected(BudgetKey key, int findings, Set<String> valueHashes, Instant now) {
    check(key, findings, valueHashes, now);
    Window w = windows.getIfPresent(key);
    if (w == null) {
      return new BudgetUsage(findings, Math.min(valueHashes.size(), maxTrackedValues));
    }
    synchronized (w) {
      return w.projected(now, findings, valueHashes);
    }
  }

  @Override
  public void add(BudgetKey key, int findings, Set<String> valueHashes, Instant now) {
    check(key, findings, valueHashes, now);
    // compute() re-weighs the entry, so the memory bound sees the new hashes.
    windows
        .asMap()
        .compute(
            key,
            (k, w) -> {
              Window window = w != null ? w : new Window(k, maxTrackedValues);
              synchronized (window) {
                window.add(now, findings, valueHashes);
              }
              return window;
            });
  }

  @Override
  public void close() {
    windows.invalidateAll();
  }

  /** Returns the number of keys held, for tests and metrics. */
  public long keyCount() {
    windows.cleanUp();
    return windows.estimatedSize();
  }

  private static void check(BudgetKey key, int findings, Set<String> valueHashes, Instant now) {
    java.util.Objects.requireNonNull(key, "key");
    java.util.Objects.requireNonNull(valueHashes, "valueHashes");
    java.util.Objects.requireNonNull(now, "now");
    if (findings < 0) {
      throw new IllegalArgumentException("findings: " + findings + " (expected: >= 0)");
    }
  }

  /** Expires a key one window after it was last written or read. */
  private static final class IdleForOneWindow implements Expiry<BudgetKey, Window> {
    @Override
    public long expireAfterCreate(BudgetKey key, Window value, long currentTime) {
      return nanos(key);
    }

    @Override
    public long expireAfterUpdate(BudgetKey key, Window value, long currentTime, long duration) {
      return nanos(key);
    }

    @Override
    public long expireAfterRead(BudgetKey key, Window value, long currentTime, long duration) {
      return nanos(key);
    }

    private static long nanos(BudgetKey key) {
      return saturatedNanos(key.window().toNanos() + key.window().toNanos() / Window.BUCKETS);
    }

    private static long saturatedNanos(long nanos) {
      return nanos < 0 ? Long.MAX_VALUE : nanos;
    }
  }

  /** One key's ring of buckets. Guarded by its own monitor. */
  static final class Window {
    /** Buckets per window. */
    static final int BUCKETS = 60;
    /** The ring holds one bucket more, so an event counts for at least a whole window. */
    private static final int SLOTS = BUCKETS + 1;

    private final long bucketMillis;
    private final long maxTrackedValues;
    private final long[] bucketIndex = new long[SLOTS];
    private final long[] bucketFindings = new long[SLOTS];
    @SuppressWarnings("unchecked")
    private final @Nullable Set<String>[] bucketValues = new Set[SLOTS];
    /** For every value in the window, the number of buckets holding it. */
    private final Map<String, Integer> valueBuckets = new HashMap<>();
    private long findings;
    /** The newest bucket index seen; the window is (latest - SLOTS, latest]. */
    private long latest = Long.MIN_VALUE;
    private volatile int weight = 1;

    Window(BudgetKey key, long maxTrackedValues) {
      this.bucketMillis = Math.max(1, key.window().toMillis() / BUCKETS);
      this.maxTrackedValues = maxTrackedValues;
      java.util.Arrays.fill(bucketIndex, Long.MIN_VALUE);
    }

    int weight() {
      return weight;
    }

    BudgetUsage projected(Instant now, int newFindings, Set<String> newValues) {
      advance(index(now));
      long distinct = valueBuckets.size();
      for (String v : newValues) {
        if (distinct >= maxTrackedValues) {
          break;
        }
        if (!valueBuckets.containsKey(v)) {
          distinct++;
        }
      }
      return new BudgetUsage(findings + newFindings, distinct);
    }

    void add(Instant now, int newFindings, Set<String> newValues) {
      long index = index(now);
      advance(index);
      if (index <= latest - SLOTS) {
        return; // older than the window: already forgotten
      }
      int slot = (int) Math.floorMod(index, (long) SLOTS);
      if (bucketIndex[slot] != index) {
        clear(slot);
        bucketIndex[slot] = index;
      }
      bucketFindings[slot] += newFindings;
      findings += newFindings;
      Set<String> values = bucketValues[slot];
      for (String v : newValues) {
        if (valueBuckets.size() >= maxTrackedValues && !valueBuckets.containsKey(v)) {
          break;
        }
        if (values == null) {
          values = new HashSet<>();
          bucketValues[slot] = values;
        }
        if (values.add(v)) {
          valueBuckets.merge(v, 1, Integer::sum);
        }
      }
      weight = weightOf(valueBuckets.size());
    }

    private static int weightOf(int values) {
      return Math.max(1, values);
    }

    private long index(Instant now) {
      return Math.floorDiv(now.toEpochMilli(), bucketMillis);
    }

    /** Moves the window forward to end at bucket {@code index}, forgetting older buckets. */
    private void advance(long index) {
      if (index <= latest) {
        return;
      }
      latest = index;
      for (int slot = 0; slot < SLOTS; slot++) {
        if (bucketIndex[slot] != Long.MIN_VALUE && bucketIndex[slot] <= index - SLOTS) {
          clear(slot);
        }
      }
      weight = weightOf(valueBuckets.size());
    }

    private void clear(int slot) {
      findings -= bucketFindings[slot];
      bucketFindings[slot] = 0;
      bucketIndex[slot] = Long.MIN_VALUE;
      Set<String> values = bucketValues[slot];
      if (values != null) {
        for (String v : values) {
          valueBuckets.computeIfPresent(v, (k, n) -> n == 1 ? null : n - 1);
        }
        bucketValues[slot] = null;
      }
    }
  }
}
