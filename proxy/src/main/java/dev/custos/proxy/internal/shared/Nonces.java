package dev.custos.proxy.internal.shared;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The replay nonces a proxy remembers: a nonce is refused when it was seen within its window.
 * Keys are keyed hashes (route and nonce), never a raw nonce. Implementations are thread-safe and
 * never block: a shared store completes the stage later.
 */
public interface Nonces extends AutoCloseable {
  /**
   * Returns nonces kept in this process's memory, at most {@code max} (the oldest dropped beyond
   * that), expiring by {@code ticker}.
   */
  static Nonces inMemory(long max, Ticker ticker) {
    return new Local(max, ticker);
  }

  /**
   * Remembers {@code key} for {@code ttl} unless it is remembered already.
   *
   * @return a stage completed with true when the key was new, false when it was seen before
   */
  CompletionStage<Boolean> remember(String key, Duration ttl);

  /** Forgets everything; the store is unusable afterwards. */
  @Override
  void close();

  /** Nonces in a bounded Caffeine cache, each expiring its own ttl after it was remembered. */
  final class Local implements Nonces {
    private final Cache<String, Long> nonces;

    private Local(long max, Ticker ticker) {
      this.nonces = Caffeine.newBuilder()
          .maximumSize(max)
          .ticker(requireNonNull(ticker, "ticker"))
          .expireAfter(Expiry.creating((String k, Long nanos) -> Duration.ofNanos(nanos)))
          .build();
    }

    @Override
    public CompletionStage<Boolean> remember(String key, Duration ttl) {
      return CompletableFuture.completedFuture(
          nonces.asMap().putIfAbsent(key, ttl.toNanos()) == null);
    }

    @Override
    public void close() {
      nonces.invalidateAll();
    }
  }
}
