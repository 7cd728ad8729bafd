package dev.custos.proxy.internal.shared;

import static java.util.Objects.requireNonNull;

import io.lettuce.core.SetArgs;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Replay nonces in Redis: {@code SET <prefix>nonce:<digest> 1 NX PX <ttl>}, so that the first
 * replica to see a nonce wins and every other refuses it until it expires. Falls back to (or, when
 * failing closed, refuses instead of) the in-memory nonces while Redis cannot answer; the
 * in-memory nonces remember every nonce this process accepted, so a fallback still refuses a
 * replay to the same replica.
 */
final class RedisNonces implements Nonces {
  private static final byte[] ONE = {'1'};

  private final SharedState shared;
  private final Nonces local;

  RedisNonces(SharedState shared, Nonces local) {
    this.shared = shared;
    this.local = local;
  }

  @Override
  public CompletionStage<Boolean> remember(String key, Duration ttl) {
    requireNonNull(key, "key");
    requireNonNull(ttl, "ttl");
    RedisBackend b = shared.backend();
    if (b == null) {
      return local.remember(key, ttl);
    }
    RedisBackend.Connection c = b.connected();
    if (c == null) {
      return unavailable(b, key, ttl, RedisBackend.NOT_CONNECTED);
    }
    byte[] redisKey = Keys.bytes(b.config.keyPrefix() + "nonce:" + Keys.digest(key));
    long ms = Math.max(1, ttl.toMillis());
    return RedisBackend.send(() -> c.commands().set(redisKey, ONE,
            SetArgs.Builder.nx().px(ms)))
        .handle((ok, error) -> {
          if (error != null) {
            return unavailable(b, key, ttl, error);
          }
          boolean fresh = "OK".equals(ok);
          if (fresh) {
            // Remembered here too, so that a fallback later still refuses it on this replica.
            local.remember(key, ttl);
          }
          return CompletableFuture.completedFuture(fresh);
        })
        .thenCompose(f -> f);
  }

  private CompletionStage<Boolean> unavailable(RedisBackend b, String key, Duration ttl,
      Throwable error) {
    SharedStateUnavailableException refused = shared.onFailure(b, "nonce", error);
    return refused != null ? CompletableFuture.failedFuture(refused) : local.remember(key, ttl);
  }

  @Override
  public void close() {
    local.close();
  }
}
