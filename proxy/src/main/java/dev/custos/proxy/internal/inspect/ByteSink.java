package dev.custos.proxy.internal.inspect;

import java.util.Arrays;

/** A growable byte array that hands its bytes out and starts over. Not thread-safe. */
final class ByteSink {
  private byte[] buf = new byte[0];
  private int size;

  void write(int b) {
    if (size == buf.length) {
      buf = Arrays.copyOf(buf, Math.max(256, buf.length * 2));
    }
    buf[size++] = (byte) b;
  }

  void write(byte[] b, int off, int len) {
    if (size + len > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(size + len, Math.max(256, buf.length * 2)));
    }
    System.arraycopy(b, off, buf, size, len);
    size += len;
  }

  int size() {
    return size;
  }

  /** Returns the bytes written since the last call and empties the sink. */
  byte[] take() {
    byte[] out = Arrays.copyOf(buf, size);
    size = 0;
    return out;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }
}
