package dev.custos.proxy.internal.shared;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.custos.proxy.BudgetKey;
import dev.custos.proxy.BudgetStore;
import dev.custos.proxy.BudgetUsage;
import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Per-identity budgets in Redis, shared by replicas. Each budget is two keys with one hash tag,
 * {@code <prefix>budget:{<digest>}:f} (a hash of findings per time bucket) and {@code ...:v} (a
 * sorted set of value hashes scored by the newest bucket that saw them), each window cut into
 * {@value #BUCKETS} buckets as in the in-memory store; two Lua scripts add and read a budget
 * atomically, trim what left the window and set the keys to expire one window after their last
 * use. The digest covers the rule, the identity (already a keyed hash) and the window; the set
 * holds evidence hashes only.
 *
 * <p>Nothing waits on Redis inside {@link #projected}: {@link #load} fetches a budget before a
 * message is inspected into a local view, {@link #projected} answers from the view (plus what this
 * process added since), and {@link #add} updates the view and writes to Redis behind. All
 * commands go over one connection, in the order they are issued, so a fetch sees every add issued
 * before it; a fetch that answers after a later add gets that add re-applied. Without a view (a
 * WebSocket message or a layer-4 record, which do not load first) the in-memory store answers and
 * a fetch starts for next time.
 *
 * <p>The in-memory store always gets every add too, so it holds this replica's own counts when
 * Redis fails and {@code fail_open} falls back to it. Memory: at most {@value #MAX_VIEWS} views of
 * at most {@value #MAX_MEMBERS} hashes each. Thread-safe.
 */
final class RedisBudgetStore implements BudgetStore {
  /** Buckets per window, as in the in-memory store. */
  static final int BUCKETS = 60;
  /** The window holds one bucket more, so an event counts for at least a whole window. */
  static final int SLOTS = BUCKETS + 1;
  /** The most value hashes a fetch brings back; beyond it only their number. */
  static final int MAX_MEMBERS = 10_000;
  /** The most value hashes Redis keeps per budget (the oldest dropped beyond it). */
  static final long MAX_VALUES = 1_000_000;
  static final long MAX_VIEWS = 100_000;
  /** How old a view may get before a message without a load of its own refreshes it. */
  static final Duration REFRESH = Duration.ofMillis(250);
  /** The most local adds kept per budget for re-applying to a fetch that overtook them. */
  static final int MAX_RECENT = 64;

  // KEYS: findings hash, values zset. ARGV: bucket, slots, findings, max values, ttl ms, hashes.
  private static final String ADD = """
      local idx = tonumber(ARGV[1])
      local oldest = idx - tonumber(ARGV[2])
      local n = tonumber(ARGV[3])
      if n > 0 then redis.call('HINCRBY', KEYS[1], ARGV[1], n) end
      for i = 6, #ARGV do
        local s = redis.call('ZSCORE', KEYS[2], ARGV[i])
        if (not s) or tonumber(s) < idx then redis.call('ZADD', KEYS[2], idx, ARGV[i]) end
      end
      redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', oldest)
      local buckets = redis.call('HKEYS', KEYS[1])
      for _, b in ipairs(buckets) do
        if tonumber(b) <= oldest then redis.call('HDEL', KEYS[1], b) end
      end
      local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
      if over > 0 then redis.call('ZPOPMIN', KEYS[2], over) end
      redis.call('PEXPIRE', KEYS[1], ARGV[5])
      redis.call('PEXPIRE', KEYS[2], ARGV[5])
      return 1
      """;

  // KEYS: findings hash, values zset. ARGV: bucket, slots, max members.
  // Returns {findings in the window, distinct values in the window, the values or {}}.
  private static final String FETCH = """
      local oldest = tonumber(ARGV[1]) - tonumber(ARGV[2])
      local total = 0
      local h = redis.call('HGETALL', KEYS[1])
      for i = 1, #h, 2 do
        if tonumber(h[i]) > oldest then total = total + tonumber(h[i + 1]) end
      end
      local distinct = redis.call('ZCOUNT', KEYS[2], '(' .. oldest, '+inf')
      local members = {}
      if distinct <= tonumber(ARGV[3]) then
        members = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. oldest, '+inf')
      end
      return {total, distinct, members}
      """;

  private final SharedState shared;
  private final BudgetStore local;
  private final Cache<BudgetKey, Entry> entries = Caffeine.newBuilder()
      .maximumSize(MAX_VIEWS)
      .expireAfterAccess(Duration.ofMinutes(5))
      .build();
  /** Orders adds and fetches as they are sent on the connection; guarded by {@code this}. */
  private long sequence;
  private final AtomicLong pendingWrites = new AtomicLong();

  RedisBudgetStore(SharedState shared, BudgetStore local) {
    this.shared = shared;
    this.local = local;
  }

  @Override
  public CompletionStage<Void> load(Collection<BudgetKey> keys, Instant now) {
    requireNonNull(keys, "keys");
    requireNonNull(now, "now");
    RedisBackend b = shared.backend();
    if (b == null || keys.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    RedisBackend.Connection c = b.connected();
    if (c == null) {
      return failed(b, keys, RedisBackend.NOT_CONNECTED);
    }
    List<CompletableFuture<?>> fetches = new ArrayList<>(keys.size());
    for (BudgetKey key : keys) {
      fetches.add(fetch(b, c, key, now));
    }
    return CompletableFuture.allOf(fetches.toArray(CompletableFuture[]::new))
        .handle((v, error) -> error == null ? CompletableFuture.<Void>completedFuture(null)
            : failed(b, keys, error))
        .thenCompose(f -> f);
  }

  private CompletableFuture<Void> failed(RedisBackend b, Collection<BudgetKey> keys,
      Throwable error) {
    for (BudgetKey key : keys) {
      Entry e = entries.getIfPresent(key);
      if (e != null) {
        synchronized (e) {
          e.view = null;
        }
      }
    }
    SharedStateUnavailableException refused = shared.onFailure(b, "budget", error);
    return refused != null ? CompletableFuture.failedFuture(refused)
        : CompletableFuture.completedFuture(null);
  }

  /** Fetches one budget into its view. */
  private CompletableFuture<?> fetch(RedisBackend b, RedisBackend.Connection c, BudgetKey key,
      Instant now) {
    long bucketMillis = bucketMillis(key);
    byte[][] redisKeys = redisKeys(b, key);
    byte[][] args = {
        ascii(Math.floorDiv(now.toEpochMilli(), bucketMillis)), ascii(SLOTS), ascii(MAX_MEMBERS)};
    Entry entry = entries.get(key, k -> new Entry());
    long sent;
    CompletableFuture<List<Object>> reply;
    synchronized (this) {
      sent = sequence;
      reply = RedisBackend.send(() -> c.commands().<List<Object>>eval(FETCH,
          ScriptOutputType.MULTI, redisKeys, args));
    }
    return reply.thenAccept(r -> {
      long findings = ((Number) r.get(0)).longValue();
      long distinct = ((Number) r.get(1)).longValue();
      List<?> raw = (List<?>) r.get(2);
      Set<String> members = null;
      if (distinct <= MAX_MEMBERS) {
        members = new HashSet<>(raw.size() * 2);
        for (Object m : raw) {
          members.add(new String((byte[]) m, StandardCharsets.UTF_8));
        }
      }
      View view = new View(findings, distinct, members, System.nanoTime());
      synchronized (entry) {
        if (sent < entry.fetched) {
          return; // an older answer than the view's
        }
        entry.fetched = sent;
        // Adds sent after this fetch are not in its answer.
        while (!entry.recent.isEmpty() && entry.recent.peekFirst().sequence <= sent) {
          entry.recent.pollFirst();
        }
        for (Recent a : entry.recent) {
          view.add(a.findings, a.hashes);
        }
        entry.view = view;
      }
    });
  }

  @Override
  public BudgetUsage projected(BudgetKey key, int findings, Set<String> valueHashes,
      Instant now) {
    requireNonNull(key, "key");
    requireNonNull(valueHashes, "valueHashes");
    requireNonNull(now, "now");
    RedisBackend b = shared.backend();
    if (b == null || findings < 0) {
      return local.projected(key, findings, valueHashes, now);
    }
    Entry e = entries.getIfPresent(key);
    BudgetUsage usage = null;
    boolean stale = true;
    if (e != null) {
      synchronized (e) {
        View v = e.view;
        if (v != null) {
          usage = v.projected(findings, valueHashes);
          stale = System.nanoTime() - v.fetchedAt > REFRESH.toNanos();
        }
      }
    }
    if (stale) {
      refresh(b, key, now);
    }
    return usage != null ? usage : local.projected(key, findings, valueHashes, now);
  }

  /** Starts a fetch of one budget for later messages, unless one runs. */
  private void refresh(RedisBackend b, BudgetKey key, Instant now) {
    Entry e = entries.get(key, k -> new Entry());
    synchronized (e) {
      if (e.refreshing) {
        return;
      }
      e.refreshing = true;
    }
    RedisBackend.Connection c = b.connected();
    CompletableFuture<?> f = c == null ? CompletableFuture.failedFuture(
        RedisBackend.NOT_CONNECTED) : fetch(b, c, key, now);
    f.whenComplete((v, error) -> {
      synchronized (e) {
        e.refreshing = false;
        e.fetchedAt(System.nanoTime());
      }
      if (error != null) {
        shared.unavailable("budget", "fallback");
      }
    });
  }

  @Override
  public void add(BudgetKey key, int findings, Set<String> valueHashes, Instant now) {
    local.add(key, findings, valueHashes, now);
    RedisBackend b = shared.backend();
    if (b == null || (findings == 0 && valueHashes.isEmpty())) {
      return;
    }
    Set<String> hashes = Set.copyOf(valueHashes);
    Entry entry = entries.get(key, k -> new Entry());
    RedisBackend.Connection c = b.connected();
    if (c == null) {
      shared.unavailable("budget", "write_failed");
      return;
    }
    long bucketMillis = bucketMillis(key);
    long ttl = key.window().toMillis() + 2 * bucketMillis;
    byte[][] args = new byte[5 + hashes.size()][];
    args[0] = ascii(Math.floorDiv(now.toEpochMilli(), bucketMillis));
    args[1] = ascii(SLOTS);
    args[2] = ascii(findings);
    args[3] = ascii(MAX_VALUES);
    args[4] = ascii(ttl);
    int i = 5;
    for (String h : hashes) {
      args[i++] = h.getBytes(StandardCharsets.UTF_8);
    }
    CompletableFuture<Object> written;
    synchronized (entry) {
      synchronized (this) {
        long seq = ++sequence;
        entry.recent.addLast(new Recent(seq, findings, hashes));
        if (entry.recent.size() > MAX_RECENT) {
          entry.recent.pollFirst();
        }
        if (entry.view != null) {
          entry.view.add(findings, hashes);
        }
        pendingWrites.incrementAndGet();
        written = RedisBackend.send(() -> c.commands().<Object>eval(ADD,
            ScriptOutputType.INTEGER, redisKeys(b, key), args));
      }
    }
    written.whenComplete((r, error) -> {
      pendingWrites.decrementAndGet();
      if (error != null) {
        shared.unavailable("budget", "write_failed");
      }
    });
  }

  /** Returns the adds sent to Redis and not yet answered. */
  long pendingWrites() {
    return pendingWrites.get();
  }

  /** Drops every view, after the server changed. */
  void forgetViews() {
    entries.invalidateAll();
  }

  @Override
  public void close() {
    entries.invalidateAll();
    local.close();
  }

  private static byte[][] redisKeys(RedisBackend b, BudgetKey key) {
    String base = b.config.keyPrefix() + "budget:{" + Keys.digest(key.rule(), key.identity(),
        Long.toString(key.window().toMillis())) + "}";
    return new byte[][] {Keys.bytes(base + ":f"), Keys.bytes(base + ":v")};
  }

  private static long bucketMillis(BudgetKey key) {
    return Math.max(1, key.window().toMillis() / BUCKETS);
  }

  private static byte[] ascii(long n) {
    return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
  }

  /** One budget's view and the adds a fetch may not have seen; guarded by its own monitor. */
  private static final class Entry {
    @Nullable View view;
    long fetched = Long.MIN_VALUE;
    boolean refreshing;
    final ArrayDeque<Recent> recent = new ArrayDeque<>();

    void fetchedAt(long nanos) {
      // A failed refresh leaves the view as it was; the next message past REFRESH tries again.
      if (view != null && view.fetchedAt < nanos - REFRESH.toNanos()) {
        view.fetchedAt = nanos;
      }
    }
  }

  private record Recent(long sequence, int findings, Set<String> hashes) {}

  /** A budget as fetched, plus this process's adds since. */
  private static final class View {
    long findings;
    long distinct;
    /** The window's value hashes, or null when there were more than {@link #MAX_MEMBERS}. */
    @Nullable Set<String> members;
    long fetchedAt;

    View(long findings, long distinct, @Nullable Set<String> members, long fetchedAt) {
      this.findings = findings;
      this.distinct = distinct;
      this.members = members;
      this.fetchedAt = fetchedAt;
    }

    BudgetUsage projected(int newFindings, Set<String> newValues) {
      long d = distinct;
      for (String v : newValues) {
        if (members == null || !members.contains(v)) {
          d++;
        }
      }
      return new BudgetUsage(findings + newFindings, d);
    }

    void add(int newFindings, Set<String> newValues) {
      findings += newFindings;
      for (String v : newValues) {
        if (members == null) {
          distinct++;
        } else if (members.add(v)) {
          distinct++;
          if (members.size() > MAX_MEMBERS) {
            members = null;
          }
        }
      }
    }
  }
}
