package dev.custos.engine.internal.match;

/** Receives the positions where a pattern has a match ending. */
@FunctionalInterface
public interface EndSink {
  /**
   * Called for a pattern that has a match ending just before {@code end}.
   *
   * @param pattern the index of the pattern in the list the matcher was compiled from
   * @param end the stream offset just past the last byte of the match
   */
  void onEnd(int pattern, long end);
}
