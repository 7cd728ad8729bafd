package dev.custos.proxy.internal.inspect;

import com.linecorp.armeria.common.HttpData;
import java.util.Arrays;

/**
 * A growable byte array that hands its bytes out and starts over. {@link #take} gives the array
 * itself away, without a copy, and the next write starts a new one as large as the last reached
 * (up to {@value #MAX_HINT} bytes), so a stream of similar chunks does not grow each one anew. Not
 * thread-safe.
 */
final class ByteSink {
  private static final byte[] EMPTY = new byte[0];
  private static final int MIN_CAPACITY = 256;
  static final int MAX_HINT = 64 * 1024;

  private byte[] buf = EMPTY;
  private int size;
  private int hint = MIN_CAPACITY;

  void write(int b) {
    if (size == buf.length) {
      grow(size + 1);
    }
    buf[size++] = (byte) b;
  }

  void write(byte[] b, int off, int len) {
    if (size + len > buf.length) {
      grow(size + len);
    }
    System.arraycopy(b, off, buf, size, len);
    size += len;
  }

  private void grow(int needed) {
    int capacity = Math.max(needed, buf.length == 0 ? hint : buf.length * 2);
    buf = Arrays.copyOf(buf, capacity);
    hint = Math.min(MAX_HINT, Math.max(hint, capacity));
  }

  /**
   * Makes room for {@code n} more bytes, growing the array (once, to exactly what it holds plus
   * {@code n}) only when it lacks room: a caller that knows about how much comes next spares the
   * array's growing step by step, and an empty sink's first array is not sized by the hint.
   */
  void reserve(int n) {
    if (n > buf.length - size) {
      buf = Arrays.copyOf(buf, size + n);
    }
  }

  int size() {
    return size;
  }

  /** Returns the bytes written since the last call, handing over the array, and empties the sink. */
  HttpData take() {
    HttpData out = size == 0 ? HttpData.empty() : HttpData.wrap(buf, 0, size);
    buf = EMPTY;
    size = 0;
    return out;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }
}
