package dev.custos.proxy;

import dev.custos.proxy.internal.limits.InMemoryRateLimitStore;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Where the token buckets of rate limits live. A bucket is named by a limit and a key (a route,
 * a keyed identity hash or an API key's identity; never a raw value) and has the rate it was
 * created with; a bucket asked for with another rate (after a reload) starts afresh.
 *
 * <p>Implementations are thread-safe and never block the caller: a store that talks to a server
 * (such as a Redis one built on a Bucket4j proxy manager, shared by replicas) completes the stage
 * later. The in-memory store serves one proxy.
 */
public interface RateLimitStore extends AutoCloseable {
  /**
   * Returns a store kept in this process's memory, holding at most {@code maxBuckets} buckets
   * (the least recently used are dropped beyond that; a bucket idle long enough to be full again
   * is dropped too, which changes nothing).
   *
   * @throws IllegalArgumentException if {@code maxBuckets} is not positive
   */
  static RateLimitStore inMemory(long maxBuckets) {
    return new InMemoryRateLimitStore(maxBuckets, System::nanoTime);
  }

  /** Returns an in-memory store holding at most a million buckets. */
  static RateLimitStore inMemory() {
    return inMemory(1_000_000);
  }

  /**
   * Takes one token from the bucket of {@code limit} and {@code key}, creating it full at {@code
   * rate} when absent.
   *
   * @return a stage completed with {@link Duration#ZERO} when a token was taken, else with how
   *     long until one is available
   */
  CompletionStage<Duration> tryConsume(String limit, String key, ProxyConfig.Rate rate);

  /** Releases connections or memory; the store is unusable afterwards. */
  @Override
  void close();
}
