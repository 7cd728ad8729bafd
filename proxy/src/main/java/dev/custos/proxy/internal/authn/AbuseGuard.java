package dev.custos.proxy.internal.authn;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.custos.proxy.AuthnConfig;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * Counts failed authentications per source (a client IP or a claimed identity, both already
 * reduced to a key that holds no credential) over a sliding window, and throttles a source that
 * reaches the limit. Memory: at most {@value #MAX_SOURCES} sources, each with at most
 * {@code maxFailures} timestamps; the least recently seen are dropped first. Thread-safe; it
 * outlives configuration reloads, which may change the limits.
 */
final class AbuseGuard {
  static final int MAX_SOURCES = 100_000;

  private final Ticker ticker;
  private final Cache<String, Source> sources;

  AbuseGuard(Ticker ticker) {
    this.ticker = ticker;
    this.sources = Caffeine.newBuilder()
        .ticker(ticker)
        .maximumSize(MAX_SOURCES)
        .expireAfterAccess(Duration.ofHours(25)) // longer than the longest window plus block
        .build();
  }

  /** Returns how long the source stays throttled, or zero. */
  Duration blockedFor(String source) {
    Source s = sources.getIfPresent(source);
    if (s == null) {
      return Duration.ZERO;
    }
    long now = ticker.read();
    synchronized (s) {
      long left = s.blocked ? s.blockedUntil - now : 0;
      return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }
  }

  /** Records a failure; returns true when it throttles the source from now on. */
  boolean failure(String source, AuthnConfig.Abuse limits) {
    Source s = sources.get(source, k -> new Source());
    long now = ticker.read();
    synchronized (s) {
      if (s.blocked && s.blockedUntil - now > 0) {
        return false;
      }
      long windowStart = now - limits.window().toNanos();
      while (!s.failures.isEmpty() && s.failures.peekFirst() - windowStart <= 0) {
        s.failures.pollFirst();
      }
      while (s.failures.size() >= limits.maxFailures()) {
        s.failures.pollFirst(); // the limits shrank on reload
      }
      s.failures.addLast(now);
      if (s.failures.size() >= limits.maxFailures()) {
        s.failures.clear();
        s.blocked = true;
        s.blockedUntil = now + limits.blockFor().toNanos();
        return true;
      }
      return false;
    }
  }

  private static final class Source {
    final ArrayDeque<Long> failures = new ArrayDeque<>();
    boolean blocked;
    long blockedUntil;
  }
}
