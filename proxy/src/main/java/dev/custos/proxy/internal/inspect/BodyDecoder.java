package dev.custos.proxy.internal.inspect;

import io.netty.handler.codec.compression.Brotli;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Decodes a compressed body for inspection, layer by layer as its {@code Content-Encoding} lists
 * the codings: {@code gzip} (and {@code x-gzip}) and {@code deflate} with {@link InflaterLayer},
 * {@code br} with {@link BrotliLayer}, {@code zstd} with {@link ZstdLayer}; {@code identity}
 * layers are no-ops and any other coding makes the body uninspectable. Codings are listed in the
 * order they were applied, so they are undone from the last to the first (RFC 9110, section 8.4).
 * A layer whose stream does not reach its proper end (cut short, a check that does not match,
 * bytes after the end) makes the body uninspectable in {@link #finish}, whatever the chunking.
 *
 * <p>Limits: at most {@code maxDecoded} bytes out of any layer, and past the first MiB at most
 * {@code maxRatio} bytes out of a layer per byte into it, and per compressed byte of the whole body.
 * Input is given to each layer in slices of {@code slice} bytes, so one call never inflates more
 * than one slice's worth before the limits are checked. Not thread-safe.
 */
final class BodyDecoder implements AutoCloseable {
  private static final long RATIO_GRACE = 1L << 20;

  private final List<Layer> layers;
  private final long maxDecoded;
  private final int maxRatio;
  private final int slice;
  private final Sink first;
  private long compressed;
  private long decoded;
  private ByteSink out = new ByteSink();
  private boolean closed;

  private BodyDecoder(List<Layer> layers, long maxDecoded, int maxRatio, int slice) {
    this.layers = layers;
    this.maxDecoded = maxDecoded;
    this.maxRatio = maxRatio;
    this.slice = slice;
    Sink next = this::collect;
    for (int i = layers.size() - 1; i >= 0; i--) {
      Layer layer = layers.get(i);
      Sink then = next;
      next = (b, off, len) -> feedInSlices(layer, b, off, len, then);
    }
    this.first = next;
  }

  /**
   * Returns a decoder for a {@code Content-Encoding} value (a comma-separated list of codings, in
   * the order they were applied), or {@code null} when it is absent or names only {@code
   * identity}. Coding names are matched without regard to case or surrounding whitespace.
   *
   * @throws UninspectableException for a coding that cannot be decoded here (unknown, or {@code
   *     br} without the native Brotli library)
   */
  static @Nullable BodyDecoder forEncoding(
      @Nullable String contentEncoding, long maxDecoded, int maxRatio, int slice)
      throws UninspectableException {
    List<String> codings = codings(contentEncoding);
    if (codings.isEmpty()) {
      return null;
    }
    List<Layer> layers = new ArrayList<>(codings.size());
    // Undo the last coding applied first.
    for (int i = codings.size() - 1; i >= 0; i--) {
      layers.add(layer(codings.get(i), maxDecoded, maxRatio));
    }
    return new BodyDecoder(List.copyOf(layers), maxDecoded, maxRatio, slice);
  }

  /**
   * Returns the codings a {@code Content-Encoding} value lists, lower-cased, without {@code
   * identity} and empty list elements, with {@code x-gzip} read as {@code gzip}.
   */
  static List<String> codings(@Nullable String contentEncoding) {
    if (contentEncoding == null) {
      return List.of();
    }
    List<String> codings = new ArrayList<>();
    for (String part : contentEncoding.split(",", -1)) {
      String c = part.strip().toLowerCase(Locale.ROOT);
      if (c.isEmpty() || c.equals("identity")) {
        continue;
      }
      codings.add(c.equals("x-gzip") ? "gzip" : c);
    }
    return codings;
  }

  private static Layer layer(String coding, long maxDecoded, int maxRatio)
      throws UninspectableException {
    switch (coding) {
      case "gzip":
        return InflaterLayer.gzip(maxDecoded, maxRatio);
      case "deflate":
        return InflaterLayer.deflate(maxDecoded, maxRatio);
      case "br":
        if (!brotliAvailable()) {
          throw new UninspectableException(UninspectableException.UNSUPPORTED_ENCODING);
        }
        return BrotliLayer.create(maxDecoded, maxRatio);
      case "zstd":
        return new ZstdLayer(maxDecoded, maxRatio);
      default:
        throw new UninspectableException(UninspectableException.UNSUPPORTED_ENCODING);
    }
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
      return new byte[0];
    }
    compressed += length;
    first.accept(in, offset, length);
    return drain();
  }

  /** Ends the compressed stream and returns the last decoded bytes. */
  byte[] finish() throws UninspectableException {
    if (closed) {
      return new byte[0];
    }
    closed = true;
    try {
      // Ending a layer may flush bytes into the next one, which then ends in turn.
      for (int i = 0; i < layers.size(); i++) {
        Layer layer = layers.get(i);
        layer.end(i + 1 < layers.size() ? sinkAfter(i) : this::collect);
      }
    } finally {
      closeLayers();
    }
    return drain();
  }

  private Sink sinkAfter(int i) {
    Layer next = layers.get(i + 1);
    Sink then = i + 2 < layers.size() ? sinkAfter(i + 1) : this::collect;
    return (b, off, len) -> feedInSlices(next, b, off, len, then);
  }

  private void feedInSlices(Layer layer, byte[] b, int off, int len, Sink next)
      throws UninspectableException {
    for (int pos = off; pos < off + len; pos += slice) {
      int n = Math.min(slice, off + len - pos);
      layer.in += n;
      layer.write(b, pos, n, next);
    }
  }

  private void collect(byte[] b, int off, int len) throws UninspectableException {
    decoded += len;
    if (decoded > maxDecoded) {
      throw new UninspectableException(UninspectableException.DECODED_TOO_LARGE);
    }
    if (decoded > RATIO_GRACE && decoded > compressed * maxRatio) {
      throw new UninspectableException(UninspectableException.RATIO_EXCEEDED);
    }
    out.write(b, off, len);
  }

  private byte[] drain() {
    byte[] bytes = out.toByteArray();
    out = new ByteSink();
    return bytes;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      closeLayers();
    }
  }

  private void closeLayers() {
    for (Layer layer : layers) {
      layer.close();
    }
  }

  /** Takes the bytes one layer decoded. */
  @FunctionalInterface
  interface Sink {
    void accept(byte[] bytes, int offset, int length) throws UninspectableException;
  }

  /** One content coding being undone, with the limits on what comes out of it. */
  abstract static class Layer {
    private final long maxDecoded;
    private final int maxRatio;
    /** Bytes given to this layer so far. */
    long in;
    private long out;

    Layer(long maxDecoded, int maxRatio) {
      this.maxDecoded = maxDecoded;
      this.maxRatio = maxRatio;
    }

    /** Decodes the next bytes (at most one slice), handing what they decode to to {@code next}. */
    abstract void write(byte[] bytes, int offset, int length, Sink next)
        throws UninspectableException;

    /** Ends the coded stream: hands the last decoded bytes on, or finds it cut short. */
    abstract void end(Sink next) throws UninspectableException;

    /** Releases what the layer holds; called once, after {@link #end} or instead of it. */
    abstract void close();

    /** Counts decoded bytes against the limits, then hands them on. */
    final void emit(byte[] bytes, int offset, int length, Sink next)
        throws UninspectableException {
      out += length;
      if (out > maxDecoded) {
        throw new UninspectableException(UninspectableException.DECODED_TOO_LARGE);
      }
      if (out > RATIO_GRACE && out > in * maxRatio) {
        throw new UninspectableException(UninspectableException.RATIO_EXCEEDED);
      }
      next.accept(bytes, offset, length);
    }
  }
}
