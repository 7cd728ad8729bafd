package dev.custos.engine.internal.scan;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Byte searches that read eight bytes at a time (SIMD within a register): the runs of plain
 * bytes in JSON strings and text, where the common case has nothing to do per byte.
 */
final class Swar {
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long QUOTES = 0x2222222222222222L;
  private static final long BACKSLASHES = 0x5C5C5C5C5C5C5C5CL;
  private static final long SPACES = 0x2020202020202020L;

  private Swar() {}

  /**
   * Returns the index of the first byte in {@code b[from, to)} that a JSON string does not hold
   * as it is: a quote, a backslash, a control byte or a non-ASCII byte; {@code to} when none is.
   */
  static int stringSpecial(byte[] b, int from, int to) {
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long x = (long) LONGS.get(b, i);
      long q = x ^ QUOTES;
      long s = x ^ BACKSLASHES;
      // Per byte, the high bit says: zero after the xor (a quote or a backslash), below 0x20, or
      // non-ASCII. A borrow can only mark bytes above a marked one, so the lowest mark is exact.
      long m = (((q - ONES) & ~q) | ((s - ONES) & ~s) | ((x - SPACES) & ~x) | x) & HIGHS;
      if (m != 0) {
        return i + (Long.numberOfTrailingZeros(m) >>> 3);
      }
    }
    for (; i < to; i++) {
      int c = b[i] & 0xff;
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) {
        return i;
      }
    }
    return to;
  }

  /** Copies the 16 bytes {@code src[from, from + 16)} to {@code dst[to, to + 16)}. */
  static void copy16(byte[] src, int from, byte[] dst, int to) {
    LONGS.set(dst, to, (long) LONGS.get(src, from));
    LONGS.set(dst, to + 8, (long) LONGS.get(src, from + 8));
  }

  /**
   * Returns the index of the first backslash in {@code b[from, to)}; {@code to} when none is. Reads
   * 32 bytes a step while it can (most JSON holds no escape at all), then 8, then one.
   */
  static int backslash(byte[] b, int from, int to) {
    int i = from;
    for (; i + 32 <= to; i += 32) {
      long s0 = (long) LONGS.get(b, i) ^ BACKSLASHES;
      long s1 = (long) LONGS.get(b, i + 8) ^ BACKSLASHES;
      long s2 = (long) LONGS.get(b, i + 16) ^ BACKSLASHES;
      long s3 = (long) LONGS.get(b, i + 24) ^ BACKSLASHES;
      // A high bit set: one of the 32 bytes is a backslash; the 8-byte loop below finds which.
      long any = ((s0 - ONES) & ~s0) | ((s1 - ONES) & ~s1) | ((s2 - ONES) & ~s2) | ((s3 - ONES) & ~s3);
      if ((any & HIGHS) != 0) {
        break;
      }
    }
    for (; i + 8 <= to; i += 8) {
      long s = (long) LONGS.get(b, i) ^ BACKSLASHES;
      long m = (s - ONES) & ~s & HIGHS;
      if (m != 0) {
        return i + (Long.numberOfTrailingZeros(m) >>> 3);
      }
    }
    for (; i < to; i++) {
      if (b[i] == '\\') {
        return i;
      }
    }
    return to;
  }
}
