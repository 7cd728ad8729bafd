package dev.custos.proxy.internal.shared;

import static java.util.Objects.requireNonNull;

import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.RateLimitStore;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Rate-limit buckets in Redis through Bucket4j's Lettuce proxy manager (compare-and-swap on the
 * bucket's state, asynchronous), one key per (limit, key, rate): {@code
 * <prefix>rate:<digest>}; a bucket expires once it would be full again. While Redis cannot
 * answer, the in-memory buckets decide (fail_open) or the stage fails (fail_closed).
 */
final class RedisRateLimitStore implements RateLimitStore {
  private final SharedState shared;
  private final RateLimitStore local;

  RedisRateLimitStore(SharedState shared, RateLimitStore local) {
    this.shared = shared;
    this.local = local;
  }

  @Override
  public CompletionStage<Duration> tryConsume(String limit, String key, ProxyConfig.Rate rate) {
    requireNonNull(limit, "limit");
    requireNonNull(key, "key");
    requireNonNull(rate, "rate");
    RedisBackend b = shared.backend();
    if (b == null) {
      return local.tryConsume(limit, key, rate);
    }
    RedisBackend.Connection c = b.connected();
    if (c == null) {
      return unavailable(b, limit, key, rate, RedisBackend.NOT_CONNECTED);
    }
    byte[] redisKey = Keys.bytes(b.config.keyPrefix() + "rate:" + Keys.digest(limit, key,
        Long.toString(rate.requests()), Long.toString(rate.per().toNanos()),
        Long.toString(rate.burst())));
    BucketConfiguration configuration = BucketConfiguration.builder()
        .addLimit(l -> l.capacity(rate.burst()).refillGreedy(rate.requests(), rate.per()))
        .build();
    CompletableFuture<ConsumptionProbe> probe;
    try {
      probe = c.buckets().builder()
          .build(redisKey, () -> CompletableFuture.completedFuture(configuration))
          .tryConsumeAndReturnRemaining(1);
    } catch (RuntimeException e) {
      probe = CompletableFuture.failedFuture(e);
    }
    return probe.handle((p, error) -> error != null
            ? unavailable(b, limit, key, rate, error)
            : CompletableFuture.completedFuture(p.isConsumed() ? Duration.ZERO
                : Duration.ofNanos(Math.max(1, p.getNanosToWaitForRefill()))))
        .thenCompose(f -> f);
  }

  private CompletionStage<Duration> unavailable(RedisBackend b, String limit, String key,
      ProxyConfig.Rate rate, Throwable error) {
    SharedStateUnavailableException refused = shared.onFailure(b, "rate_limit", error);
    return refused != null ? CompletableFuture.failedFuture(refused)
        : local.tryConsume(limit, key, rate);
  }

  @Override
  public void close() {
    local.close();
  }

  @Override
  public String toString() {
    return "RedisRateLimitStore{" + shared + ", fallback " + local + "}";
  }
}
