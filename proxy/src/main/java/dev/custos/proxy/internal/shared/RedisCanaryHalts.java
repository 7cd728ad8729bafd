package dev.custos.proxy.internal.shared;

import dev.custos.proxy.internal.Canaries;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/**
 * Canary halts in Redis: {@code SET <prefix>canary:<digest> 1 PX <ttl>} when a replica halts a
 * canary, {@code DEL} when one resumes it, and {@code MGET} of the watched canaries' keys when a
 * replica polls. The digest covers the route, the cluster and the route's split, so a reload
 * that changes the split starts afresh. Without {@code shared_state} nothing is shared. While
 * Redis cannot answer, {@code fail_open} keeps each replica's own halts ({@code
 * custos_shared_state_unavailable_total{store="canary",outcome="fallback"}}) and {@code
 * fail_closed} halts every canary until Redis answers again ({@code outcome="refused"}); a halt
 * or resume that cannot be written counts {@code outcome="write_failed"}. Thread-safe.
 */
final class RedisCanaryHalts implements Canaries.HaltStore {
  private static final byte[] ONE = {'1'};
  private static final String STORE = "canary";

  private final SharedState shared;

  RedisCanaryHalts(SharedState shared) {
    this.shared = shared;
  }

  private static byte[] key(RedisBackend b, String key) {
    return Keys.bytes(b.config.keyPrefix() + "canary:" + Keys.digest(key));
  }

  @Override
  public void halt(String key, Duration ttl) {
    long ms = Math.max(1, ttl.toMillis());
    write((commands, redisKey) -> commands.set(redisKey, ONE, SetArgs.Builder.px(ms)), key);
  }

  @Override
  public void resume(String key) {
    write((commands, redisKey) -> commands.del(redisKey), key);
  }

  /** Sends a halt's write in the background; counts {@code write_failed} when it fails. */
  private <T> void write(
      BiFunction<RedisAsyncCommands<byte[], byte[]>, byte[], RedisFuture<T>> command,
      String key) {
    RedisBackend b = shared.backend();
    if (b == null) {
      return;
    }
    RedisBackend.Connection c = b.connected();
    if (c == null) {
      shared.unavailable(STORE, "write_failed");
      return;
    }
    RedisBackend.send(() -> command.apply(c.commands(), key(b, key)))
        .whenComplete((ok, error) -> {
          if (error != null) {
            shared.unavailable(STORE, "write_failed");
          }
        });
  }

  @Override
  public CompletionStage<Canaries.@Nullable Shared> halted(List<String> keys) {
    RedisBackend b = shared.backend();
    if (b == null || keys.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    RedisBackend.Connection c = b.connected();
    if (c == null) {
      return CompletableFuture.completedFuture(unavailable(b, RedisBackend.NOT_CONNECTED));
    }
    byte[][] redisKeys = new byte[keys.size()][];
    for (int i = 0; i < keys.size(); i++) {
      redisKeys[i] = key(b, keys.get(i));
    }
    return RedisBackend.send(() -> c.commands().mget(redisKeys))
        .handle((values, error) -> {
          if (error != null) {
            return unavailable(b, error);
          }
          Set<String> halted = new HashSet<>();
          for (int i = 0; i < values.size() && i < keys.size(); i++) {
            KeyValue<byte[], byte[]> v = values.get(i);
            if (v.hasValue()) {
              halted.add(keys.get(i));
            }
          }
          return new Canaries.Shared(Set.copyOf(halted), false);
        });
  }

  private Canaries.@Nullable Shared unavailable(RedisBackend b, Throwable error) {
    return shared.onFailure(b, STORE, error) != null ? new Canaries.Shared(Set.of(), true) : null;
  }
}
