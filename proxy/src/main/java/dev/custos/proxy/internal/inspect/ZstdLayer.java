package dev.custos.proxy.internal.inspect;

import io.airlift.compress.zstd.ZstdIncrementalFrameDecompressor;
import java.util.Arrays;

/**
 * Decodes a {@code zstd} content coding (RFC 8878) as its bytes arrive, with aircompressor's
 * pure-Java incremental frame decoder. Compressed bytes are buffered only until the decoder has
 * what its next step needs (at most one block, 128 KiB, plus its header), and decoded bytes go on
 * in pieces of {@value #OUT_CHUNK} bytes, so the limits of {@link BodyDecoder} are checked before
 * more is produced. A frame's window is at most 8 MiB (larger windows are refused as malformed, as
 * RFC 8878 lets an HTTP decoder do); concatenated frames decode one after the other. Not
 * thread-safe.
 */
final class ZstdLayer extends BodyDecoder.Layer {
  private static final int OUT_CHUNK = 16 * 1024;
  /** Where a {@code byte[]}'s first element lies, as the decoder's addresses count it. */
  private static final long BASE = arrayBase();

  private final ZstdIncrementalFrameDecompressor zstd = new ZstdIncrementalFrameDecompressor();
  private final byte[] out = new byte[OUT_CHUNK];
  private byte[] buf = new byte[4096];
  private int start;
  private int end;
  private boolean seenInput;

  ZstdLayer(long maxDecoded, int maxRatio) {
    super(maxDecoded, maxRatio);
  }

  private static long arrayBase() {
    try {
      // sun.misc.Unsafe.ARRAY_BYTE_BASE_OFFSET, read without compiling against sun.misc.
      return Class.forName("sun.misc.Unsafe").getField("ARRAY_BYTE_BASE_OFFSET").getInt(null);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @Override
  void write(byte[] in, int offset, int length, BodyDecoder.Sink next)
      throws UninspectableException {
    if (length == 0) {
      return;
    }
    seenInput = true;
    append(in, offset, length);
    try {
      while (end - start >= zstd.getInputRequired()) {
        zstd.partialDecompress(buf, BASE + start, BASE + end, out, 0, out.length);
        int consumed = zstd.getInputConsumed();
        int produced = zstd.getOutputBufferUsed();
        start += consumed;
        if (produced > 0) {
          emit(out, 0, produced, next);
        }
        if (consumed == 0 && produced == 0) {
          break; // It needs more input than there is.
        }
      }
    } catch (RuntimeException e) {
      throw new UninspectableException(UninspectableException.MALFORMED_ENCODING);
    }
  }

  @Override
  void end(BodyDecoder.Sink next) throws UninspectableException {
    // A frame cut short, or bytes after the last frame that start no frame, are malformed.
    if (seenInput && (end > start || !zstd.isAtStoppingPoint())) {
      throw new UninspectableException(UninspectableException.MALFORMED_ENCODING);
    }
  }

  @Override
  void close() {
    buf = new byte[0];
    start = 0;
    end = 0;
  }

  private void append(byte[] in, int offset, int length) {
    if (start > 0) {
      System.arraycopy(buf, start, buf, 0, end - start);
      end -= start;
      start = 0;
    }
    if (end + length > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(end + length, buf.length * 2));
    }
    System.arraycopy(in, offset, buf, end, length);
    end += length;
  }
}
