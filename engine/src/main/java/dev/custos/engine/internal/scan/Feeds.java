package dev.custos.engine.internal.scan;

import java.util.Objects;

/** The checks every {@link dev.custos.engine.StreamScanner#feed} of a wrapping stream makes. */
final class Feeds {
  private Feeds() {}

  /**
   * Checks a feed's arguments and that the stream still takes bytes.
   *
   * @throws IllegalStateException if the stream is closed or finished
   */
  static void check(byte[] bytes, int offset, int length, boolean closed, boolean finished) {
    Objects.requireNonNull(bytes, "bytes");
    Objects.checkFromIndexSize(offset, length, bytes.length);
    if (closed) {
      throw new IllegalStateException("stream closed");
    }
    if (finished) {
      throw new IllegalStateException("stream finished (expected: no feed after finish())");
    }
  }
}
