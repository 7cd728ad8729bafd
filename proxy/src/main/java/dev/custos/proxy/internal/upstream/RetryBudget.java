package dev.custos.proxy.internal.upstream;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A cluster's retry budget: in any window of ten one-second buckets, retries may number at most
 * {@code percent}% of the requests in it plus {@code minPerSecond} per second of the window
 * (Finagle's and Envoy's retry budgets work alike). Without it, retries of a failing cluster
 * multiply its load by the number of attempts. Thread-safe (synchronized; O(1) per call, a fixed
 * 20 longs of memory).
 */
final class RetryBudget {
  private static final int BUCKETS = 10;
  private static final long BUCKET_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final int percent;
  private final int minPerSecond;
  private final LongSupplier nanoTime;
  private final long[] requests = new long[BUCKETS];
  private final long[] retries = new long[BUCKETS];
  private long currentBucket;

  RetryBudget(int percent, int minPerSecond, LongSupplier nanoTime) {
    this.percent = percent;
    this.minPerSecond = minPerSecond;
    this.nanoTime = nanoTime;
    this.currentBucket = nanoTime.getAsLong() / BUCKET_NANOS;
  }

  /** Counts a request that may be retried. */
  synchronized void onRequest() {
    requests[advance()]++;
  }

  /** Takes one retry from the budget; returns false, taking nothing, when it is spent. */
  synchronized boolean tryRetry() {
    int now = advance();
    long req = 0;
    long ret = 0;
    for (int i = 0; i < BUCKETS; i++) {
      req += requests[i];
      ret += retries[i];
    }
    long allowed = (long) minPerSecond * BUCKETS + req * percent / 100;
    if (ret + 1 > allowed) {
      return false;
    }
    retries[now]++;
    return true;
  }

  /** Clears buckets that left the window and returns the index of the current one. */
  private int advance() {
    long bucket = nanoTime.getAsLong() / BUCKET_NANOS;
    long gone = Math.min(bucket - currentBucket, BUCKETS);
    for (long b = 1; b <= gone; b++) {
      int i = (int) Math.floorMod(currentBucket + b, (long) BUCKETS);
      requests[i] = 0;
      retries[i] = 0;
    }
    if (bucket > currentBucket) {
      currentBucket = bucket;
    }
    return (int) Math.floorMod(currentBucket, (long) BUCKETS);
  }
}
