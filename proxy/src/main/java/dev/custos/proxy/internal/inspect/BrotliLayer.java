package dev.custos.proxy.internal.inspect;

import com.aayushatharva.brotli4j.decoder.DecoderJNI;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Decodes a {@code br} content coding (RFC 7932) as its bytes arrive, with brotli4j's streaming
 * decoder (the Brotli library Armeria uses). The stream is accepted only when the decoder reaches
 * the end of its last meta-block ({@code ISLAST}); a stream cut short, or bytes after its end, is
 * malformed. Not thread-safe.
 */
final class BrotliLayer extends BodyDecoder.Layer {
  private static final int IN_CHUNK = 8 * 1024;

  private final DecoderJNI.Wrapper decoder;
  private boolean seenInput;
  private boolean destroyed;

  private BrotliLayer(DecoderJNI.Wrapper decoder, long maxDecoded, int maxRatio) {
    super(maxDecoded, maxRatio);
    this.decoder = decoder;
  }

  /**
   * Returns a layer, once the native library is known to be loaded.
   *
   * @throws UninspectableException when the native decoder cannot be created
   */
  static BrotliLayer create(long maxDecoded, int maxRatio) throws UninspectableException {
    try {
      return new BrotliLayer(new DecoderJNI.Wrapper(IN_CHUNK), maxDecoded, maxRatio);
    } catch (IOException | RuntimeException | LinkageError e) {
      throw new UninspectableException(UninspectableException.UNSUPPORTED_ENCODING);
    }
  }

  @Override
  void write(byte[] in, int offset, int length, BodyDecoder.Sink next)
      throws UninspectableException {
    if (length == 0) {
      return;
    }
    seenInput = true;
    int pos = offset;
    int limit = offset + length;
    try {
      while (true) {
        switch (decoder.getStatus()) {
          case DONE:
            pullAll(next);
            if (pos < limit) {
              throw malformed(); // bytes after the last meta-block
            }
            return;
          case OK:
            decoder.push(0);
            break;
          case NEEDS_MORE_OUTPUT:
            pull(next);
            break;
          case NEEDS_MORE_INPUT:
            pullAll(next);
            if (pos == limit) {
              return;
            }
            ByteBuffer input = decoder.getInputBuffer();
            input.clear();
            int n = Math.min(limit - pos, input.remaining());
            input.put(in, pos, n);
            pos += n;
            decoder.push(n);
            break;
          default:
            throw malformed();
        }
      }
    } catch (IllegalStateException e) {
      throw malformed();
    }
  }

  private void pullAll(BodyDecoder.Sink next) throws UninspectableException {
    while (decoder.hasOutput()) {
      pull(next);
    }
  }

  private void pull(BodyDecoder.Sink next) throws UninspectableException {
    ByteBuffer out = decoder.pull();
    int n = out.remaining();
    if (n > 0) {
      byte[] bytes = new byte[n];
      out.get(bytes);
      emit(bytes, 0, n, next);
    }
  }

  @Override
  void end(BodyDecoder.Sink next) throws UninspectableException {
    if (!seenInput) {
      return; // an empty body has nothing to hide
    }
    try {
      while (decoder.getStatus() == DecoderJNI.Status.NEEDS_MORE_OUTPUT || decoder.hasOutput()) {
        pull(next);
      }
      if (decoder.getStatus() == DecoderJNI.Status.OK) {
        decoder.push(0);
        pullAll(next);
      }
    } catch (IllegalStateException e) {
      throw malformed();
    }
    if (decoder.getStatus() != DecoderJNI.Status.DONE) {
      throw malformed(); // cut short before the end of the last meta-block
    }
  }

  @Override
  void close() {
    if (!destroyed) {
      destroyed = true;
      decoder.destroy();
    }
  }

  private static UninspectableException malformed() {
    return new UninspectableException(UninspectableException.MALFORMED_ENCODING);
  }
}
