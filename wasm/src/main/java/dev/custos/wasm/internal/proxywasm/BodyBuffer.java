package dev.custos.wasm.internal.proxywasm;

import java.util.Arrays;

/** Holds the buffered body of one direction of a stream. Not thread-safe. */
final class BodyBuffer {
  private static final byte[] EMPTY = new byte[0];
  private byte[] data = EMPTY;
  private int size;

  int size() {
    return size;
  }

  void append(byte[] chunk) {
    if (size == 0) {
      // Exactly sized, so take() after a single chunk (the usual CONTINUE) hands it over uncopied.
      data = chunk.length == 0 ? EMPTY : chunk.clone();
      size = chunk.length;
      return;
    }
    ensure(size + chunk.length);
    System.arraycopy(chunk, 0, data, size, chunk.length);
    size += chunk.length;
  }

  /** Returns up to {@code max} bytes from {@code start} (clamped to the buffer). */
  byte[] slice(long start, long max) {
    int from = (int) Math.min(start, size);
    int to = (int) Math.min(size, from + max);
    return Arrays.copyOfRange(data, from, to);
  }

  /**
   * Replaces the range [start, start + length) (clamped to the buffer) with the bytes: start 0 and
   * length 0 prepends, start at or past the end appends, start 0 and length ≥ size replaces all.
   */
  void replace(long start, long length, byte[] bytes) {
    int from = (int) Math.min(start, size);
    int to = (int) Math.min(size, from + length);
    int newSize = size - (to - from) + bytes.length;
    byte[] next = new byte[Math.max(newSize, 16)];
    System.arraycopy(data, 0, next, 0, from);
    System.arraycopy(bytes, 0, next, from, bytes.length);
    System.arraycopy(data, to, next, from + bytes.length, size - to);
    data = next;
    size = newSize;
  }

  byte[] take() {
    byte[] out = size == data.length ? data : Arrays.copyOf(data, size);
    data = EMPTY;
    size = 0;
    return out;
  }

  private void ensure(int capacity) {
    if (capacity > data.length) {
      data = Arrays.copyOf(data, Math.max(capacity, Math.max(16, data.length * 2)));
    }
  }
}
