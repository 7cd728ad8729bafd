package dev.custos.engine.internal.match;

/**
 * A set of byte patterns compiled together, shared by all threads. Each backend (pure Java,
 * Hyperscan) implements it; both must report identical end events for identical input.
 */
public interface MultiPatternMatcher extends AutoCloseable {
  /** Returns the backend's name, {@code java} or {@code hyperscan}. */
  String name();

  /** Opens a new stream. */
  MatchStream newStream();

  /** Releases native resources, if any. */
  @Override
  void close();
}
