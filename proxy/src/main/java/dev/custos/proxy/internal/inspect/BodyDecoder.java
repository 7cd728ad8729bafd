package dev.custos.proxy.internal.inspect;

import com.linecorp.armeria.common.ContentTooLargeException;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.encoding.StreamDecoder;
import com.linecorp.armeria.common.encoding.StreamDecoderFactory;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.compression.Brotli;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Decodes a compressed body ({@code gzip}, {@code deflate}, {@code br}) for inspection with
 * Armeria's stream decoders, with limits: at most {@code maxDecoded} bytes in all, and past the
 * first MiB at most {@code maxRatio} decoded bytes per compressed byte. Compressed input is given
 * to the decoder in slices of {@code slice} bytes, so one call never inflates more than one
 * slice's worth. Not thread-safe.
 */
final class BodyDecoder implements AutoCloseable {
  private static final long RATIO_GRACE = 1L << 20;
  private static final byte[] NO_BYTES = new byte[0];

  private final StreamDecoder decoder;
  private final long maxDecoded;
  private final int maxRatio;
  private final int slice;
  private long compressed;
  private long decoded;
  private boolean closed;

  private BodyDecoder(StreamDecoder decoder, long maxDecoded, int maxRatio, int slice) {
    this.decoder = decoder;
    this.maxDecoded = maxDecoded;
    this.maxRatio = maxRatio;
    this.slice = slice;
  }

  /**
   * Returns a decoder for a {@code Content-Encoding} value, or {@code null} for none or
   * {@code identity}.
   *
   * @throws UninspectableException for an encoding that cannot be decoded here (several stacked,
   *     unknown, or {@code br} without the native Brotli library)
   */
  static @Nullable BodyDecoder forEncoding(
      @Nullable String contentEncoding, long maxDecoded, int maxRatio, int slice)
      throws UninspectableException {
    if (contentEncoding == null) {
      return null;
    }
    String e = contentEncoding.trim().toLowerCase(Locale.ROOT);
    if (e.isEmpty() || e.equals("identity")) {
      return null;
    }
    StreamDecoderFactory factory;
    switch (e) {
      case "gzip":
      case "x-gzip":
        factory = StreamDecoderFactory.gzip();
        break;
      case "deflate":
        factory = StreamDecoderFactory.deflate();
        break;
      case "br":
        if (!brotliAvailable()) {
          throw new UninspectableException(UninspectableException.UNSUPPORTED_ENCODING);
        }
        factory = StreamDecoderFactory.brotli();
        break;
      default:
        throw new UninspectableException(UninspectableException.UNSUPPORTED_ENCODING);
    }
    int limit = (int) Math.min(Integer.MAX_VALUE, maxDecoded);
    return new BodyDecoder(
        factory.newDecoder(UnpooledByteBufAllocator.DEFAULT, limit), maxDecoded, maxRatio, slice);
  }

  private static boolean brotliAvailable() {
    try {
      return Brotli.isAvailable();
    } catch (Throwable t) {
      return false;
    }
  }

  /** Decodes the next compressed bytes and returns what they decode to (possibly nothing). */
  byte[] decode(byte[] in, int offset, int length) throws UninspectableException {
    if (length == 0) {
      return NO_BYTES;
    }
    ByteSink out = new ByteSink();
    for (int pos = offset; pos < offset + length; pos += slice) {
      int n = Math.min(slice, offset + length - pos);
      compressed += n;
      HttpData d;
      try {
        // Wraps the slice without copying it: the decoder only reads it.
        d = decoder.decode(HttpData.wrap(in, pos, n));
      } catch (ContentTooLargeException e) {
        throw new UninspectableException(UninspectableException.DECODED_TOO_LARGE);
      } catch (RuntimeException e) {
        throw new UninspectableException(UninspectableException.MALFORMED_ENCODING);
      }
      take(d, out);
    }
    return out.toByteArray();
  }

  /** Ends the compressed stream and returns the last decoded bytes. */
  byte[] finish() throws UninspectableException {
    ByteSink out = new ByteSink();
    HttpData d;
    try {
      d = decoder.finish();
    } catch (ContentTooLargeException e) {
      throw new UninspectableException(UninspectableException.DECODED_TOO_LARGE);
    } catch (RuntimeException e) {
      throw new UninspectableException(UninspectableException.MALFORMED_ENCODING);
    } finally {
      closed = true;
    }
    take(d, out);
    return out.toByteArray();
  }

  private void take(HttpData d, ByteSink out) throws UninspectableException {
    try {
      decoded += d.length();
      if (decoded > maxDecoded) {
        throw new UninspectableException(UninspectableException.DECODED_TOO_LARGE);
      }
      if (decoded > RATIO_GRACE && decoded > compressed * maxRatio) {
        throw new UninspectableException(UninspectableException.RATIO_EXCEEDED);
      }
      if (!d.isEmpty()) {
        out.write(d.array(), 0, d.length());
      }
    } finally {
      d.close();
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      try {
        decoder.finish().close();
      } catch (RuntimeException ignored) {
        // The stream was cut short; only its buffers need releasing.
      }
    }
  }
}
