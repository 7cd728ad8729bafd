package dev.custos.proxy.internal.l4;

import java.util.Arrays;

/** A growable byte buffer for the frame being assembled. Not thread-safe. */
final class FrameBuffer {
  private byte[] bytes = new byte[256];
  private int size;

  int size() {
    return size;
  }

  void append(byte[] b, int offset, int length) {
    if (size + length > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(size + length, bytes.length * 2));
    }
    System.arraycopy(b, offset, bytes, size, length);
    size += length;
  }

  void append(byte b) {
    if (size == bytes.length) {
      bytes = Arrays.copyOf(bytes, bytes.length * 2);
    }
    bytes[size++] = b;
  }

  /** Returns a copy of the contents. */
  byte[] copy() {
    return Arrays.copyOf(bytes, size);
  }

  /** Hands the contents to {@code sink} as passed-through bytes, if any. */
  void passTo(FrameSink sink) {
    if (size > 0) {
      sink.passthrough(bytes, 0, size);
    }
  }

  /** Empties the buffer; a buffer grown past 64 KiB gives its memory back. */
  void clear() {
    size = 0;
    if (bytes.length > 65536) {
      bytes = new byte[256];
    }
  }
}
