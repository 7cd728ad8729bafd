package dev.custos.engine.internal.scan;

import dev.custos.engine.RedactedOutput;
import java.util.Arrays;

/**
 * The original bytes of a decoded stream that a redacting stream may still write or rewrite:
 * {@code [start, fed)}, where the stream moves {@code start} forward as its output catches up.
 * Memory is thus bounded by the scanner's window, not by the stream. Not thread-safe.
 */
final class OriginalWindow {
  private static final int INITIAL = 8192;

  private byte[] bytes = new byte[INITIAL];
  private long start;
  private int length;

  /** Appends the next original bytes of the stream. */
  void append(byte[] source, int offset, int count) {
    if (length + count > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + count));
    }
    System.arraycopy(source, offset, bytes, length, count);
    length += count;
  }

  /**
   * Drops the bytes before stream offset {@code offset}; none before it is asked for later. The
   * array is compacted only once at least half of it (and 4 KiB) is dead, so the copying stays
   * amortised.
   */
  void dropBefore(long offset) {
    long drop = offset - start;
    if (drop >= 4096 && drop >= length / 2) {
      int d = (int) drop;
      System.arraycopy(bytes, d, bytes, 0, length - d);
      length -= d;
      start += d;
      if (bytes.length > 65536 && length < bytes.length / 4) {
        bytes = Arrays.copyOf(bytes, Math.max(INITIAL, bytes.length / 2));
      }
    }
  }

  /** Writes stream bytes {@code [from, to)}. */
  void write(RedactedOutput output, long from, long to) {
    if (to > from) {
      output.write(bytes, index(from), (int) (to - from));
    }
  }

  /** Copies {@code count} stream bytes from {@code from} into {@code target} at {@code targetOffset}. */
  void copy(long from, byte[] target, int targetOffset, int count) {
    System.arraycopy(bytes, index(from), target, targetOffset, count);
  }

  /** Returns the backing array, valid until the next {@link #append} or {@link #dropBefore}. */
  byte[] array() {
    return bytes;
  }

  /** Returns where stream offset {@code offset} is in {@link #array()}. */
  int index(long offset) {
    return (int) (offset - start);
  }

  /** Returns how many original bytes are held. */
  int retainedBytes() {
    return length;
  }
}
