package dev.custos.proxy.internal.inspect;

import com.linecorp.armeria.common.ByteBufAccessMode;
import com.linecorp.armeria.common.HttpData;
import io.netty.buffer.ByteBuf;

/**
 * Reads body chunks for scanning without an array per chunk. Armeria hands a pooled chunk over
 * in a Netty buffer, whose {@link HttpData#array()} copies it into a new array each time (about 7
 * KB per response of the load test's page); a scan reads the bytes once and keeps none of them,
 * so they are copied into an array kept per thread instead. Thread-safe: one array per thread,
 * at most {@value #MAX_SCRATCH} bytes; a larger chunk gets an array of its own.
 */
final class Chunks {
  static final int MAX_SCRATCH = 64 * 1024;
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[8192]);

  private Chunks() {}

  /**
   * Returns an array whose first {@code data.length()} bytes are the chunk's, valid until this
   * thread's next call: the chunk's own array when it is not pooled (as {@link HttpData#array()}
   * returns it), else this thread's scratch array. The caller must not keep it.
   */
  static byte[] readable(HttpData data) {
    if (!data.isPooled()) {
      return data.array();
    }
    int n = data.length();
    byte[] scratch = SCRATCH.get();
    if (scratch.length < n) {
      if (n > MAX_SCRATCH) {
        return data.array();
      }
      scratch = new byte[Math.max(n, Math.min(MAX_SCRATCH, scratch.length * 2))];
      SCRATCH.set(scratch);
    }
    ByteBuf buf = data.byteBuf(ByteBufAccessMode.DUPLICATE);
    buf.getBytes(buf.readerIndex(), scratch, 0, n);
    return scratch;
  }
}
