package dev.custos.proxy;

import dev.custos.proxy.internal.budget.InMemoryBudgetStore;
import java.time.Instant;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Per-identity counters of findings over sliding windows, which per-identity rules ({@code
 * per_identity: {distinct_at_least: 10, window: 1h}}) compare with their thresholds.
 *
 * <p>A message is judged before it is delivered, and only what was delivered counts: the proxy
 * asks {@link #projected} whether this message would cross a threshold, and calls {@link #add} once
 * the message went through (in shadow mode, always). Values are known only by their keyed hashes
 * (the evidence hash), never raw.
 *
 * <p>Implementations are thread-safe. Time is passed in, so a store never reads a clock itself.
 * The in-memory store serves one proxy; replicas share a Redis-backed one. {@link #projected} and
 * {@link #add} never block: a store that talks to a server answers {@code projected} from what
 * {@link #load} fetched before the message was inspected (plus what this process added since),
 * and writes {@code add}s behind.
 */
public interface BudgetStore extends AutoCloseable {
  /**
   * Returns a store kept in this process's memory, holding at most {@code maxTrackedValues} value
   * hashes over all keys (the least recently used keys are dropped beyond that).
   *
   * @throws IllegalArgumentException if {@code maxTrackedValues} is not positive
   */
  static BudgetStore inMemory(long maxTrackedValues) {
    return new InMemoryBudgetStore(maxTrackedValues);
  }

  /** Returns an in-memory store tracking at most a million value hashes. */
  static BudgetStore inMemory() {
    return inMemory(1_000_000);
  }

  /**
   * Returns the usage over the window ending at {@code now} if a message with {@code findings}
   * findings of these {@code valueHashes} were added; changes nothing.
   */
  BudgetUsage projected(BudgetKey key, int findings, Set<String> valueHashes, Instant now);

  /** Adds a delivered message's findings and value hashes at {@code now}. */
  void add(BudgetKey key, int findings, Set<String> valueHashes, Instant now);

  /**
   * Fetches the usage of {@code keys} from where replicas share it, so that {@link #projected}
   * answers with what every replica added; called before a message is inspected. The in-memory
   * store has nothing to fetch and returns a completed stage.
   *
   * @return a stage completed once the usage is fetched (or, when the shared store is
   *     unavailable and configured to fail open, once this process's own counts will be used); it
   *     completes exceptionally when the store is unavailable and configured to fail closed
   */
  default CompletionStage<Void> load(Collection<BudgetKey> keys, Instant now) {
    return CompletableFuture.completedFuture(null);
  }

  /** Returns the usage over the window ending at {@code now}. */
  default BudgetUsage usage(BudgetKey key, Instant now) {
    return projected(key, 0, Set.of(), now);
  }

  /** Releases connections or memory; the store is unusable afterwards. */
  @Override
  void close();
}
