package dev.custos.proxy.internal.limits;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.RateLimitStore;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;

/**
 * Bucket4j local buckets in a bounded Caffeine cache keyed by (limit, key, rate). A bucket
 * expires once it has been idle for as long as it takes to fill up, so dropping it never lets
 * more requests through than keeping it would. Thread-safe; memory is bounded by {@code
 * maxBuckets}.
 */
public final class InMemoryRateLimitStore implements RateLimitStore {
  private record Key(String limit, String key, ProxyConfig.Rate rate) {}

  private final Cache<Key, Bucket> buckets;
  private final TimeMeter time;

  /**
   * Creates a store.
   *
   * @param nanoTime the clock buckets and their expiry read, in nanoseconds
   */
  public InMemoryRateLimitStore(long maxBuckets, LongSupplier nanoTime) {
    if (maxBuckets < 1) {
      throw new IllegalArgumentException("maxBuckets: " + maxBuckets + " (expected: >= 1)");
    }
    requireNonNull(nanoTime, "nanoTime");
    this.time = new TimeMeter() {
      @Override
      public long currentTimeNanos() {
        return nanoTime.getAsLong();
      }

      @Override
      public boolean isWallClockBased() {
        return false;
      }
    };
    this.buckets = Caffeine.newBuilder()
        .maximumSize(maxBuckets)
        .ticker(nanoTime::getAsLong)
        .expireAfter(Expiry.accessing((Key k, Bucket b) -> k.rate().refillTime()))
        .build();
  }

  @Override
  public CompletionStage<Duration> tryConsume(String limit, String key, ProxyConfig.Rate rate) {
    Key k = new Key(requireNonNull(limit, "limit"), requireNonNull(key, "key"),
        requireNonNull(rate, "rate"));
    Bucket bucket = buckets.get(k, InMemoryRateLimitStore.this::newBucket);
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
    return CompletableFuture.completedFuture(probe.isConsumed() ? Duration.ZERO
        : Duration.ofNanos(Math.max(1, probe.getNanosToWaitForRefill())));
  }

  private Bucket newBucket(Key k) {
    ProxyConfig.Rate r = k.rate();
    return Bucket.builder()
        .addLimit(limit -> limit.capacity(r.burst()).refillGreedy(r.requests(), r.per()))
        .withCustomTimePrecision(time)
        .build();
  }

  @Override
  public void close() {
    buckets.invalidateAll();
  }

  @Override
  public String toString() {
    return "InMemoryRateLimitStore{buckets=" + buckets.estimatedSize() + "}";
  }
}
