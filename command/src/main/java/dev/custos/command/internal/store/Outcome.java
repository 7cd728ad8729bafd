package dev.custos.command.internal.store;

import org.jspecify.annotations.Nullable;

/**
 * What became of one batch of a group written by {@link Store#ingest(java.util.List)}: stored,
 * a duplicate, or failed. Immutable.
 *
 * @param stored the number of events stored, -1 for a duplicate, 0 when it failed
 * @param failure why the batch was not stored (it was retried alone first), or null
 */
public record Outcome(int stored, @Nullable Exception failure) {
  /** Returns the outcome of a batch stored with {@code events} events, or -1 for a duplicate. */
  public static Outcome stored(int events) {
    return new Outcome(events, null);
  }

  /** Returns the outcome of a batch that could not be stored. */
  public static Outcome failed(Exception failure) {
    return new Outcome(0, java.util.Objects.requireNonNull(failure, "failure"));
  }

  /** Returns whether the batch id was already stored (or came twice in one group). */
  public boolean duplicate() {
    return failure == null && stored < 0;
  }
}
