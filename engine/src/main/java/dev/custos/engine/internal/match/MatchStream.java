package dev.custos.engine.internal.match;

/**
 * The state of one stream being matched. Confined to one thread at a time. Reports, for every
 * pattern {@code P} and every stream offset {@code e}, an end event {@code (P, e)} exactly when
 * some {@code s < e} makes the bytes {@code [s, e)} a match of {@code P} — all matches, overlapping
 * ones included, not only leftmost ones — whatever the chunking of the stream. A backend may
 * report more end events than that (the caller confirms each), and may leave out an end whose last
 * byte and the byte after it are both word bytes ({@code [A-Za-z0-9_]}), since no match may end
 * there, or an end all of whose matches start with a word byte preceded by a word byte, since no
 * match may start there (Hyperscan states this as {@code \b}; the pure-Java backend's searching
 * automata, as the scanner builds them, start only on word boundaries).
 */
public interface MatchStream extends AutoCloseable {
  /**
   * Scans the next bytes of the stream. Events for this chunk are reported before this method
   * returns; their order is unspecified.
   */
  void scan(byte[] bytes, int offset, int length, EndSink sink);

  /**
   * Ends the stream: reports any end events still held back (a backend may hold an end back until
   * the next byte shows whether it can end a match on a word boundary).
   */
  default void finish(EndSink sink) {}

  /** Releases native resources, if any. */
  @Override
  void close();
}
