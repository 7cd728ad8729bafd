package dev.custos.engine;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

/**
 * Scans one stream of bytes fed in chunks of any size, down to one byte. Findings are identical to
 * a one-shot scan of the same bytes whatever the chunking, including matches that span chunk
 * boundaries. Memory is bounded by the longest detector match plus the context window (and, for
 * JSON, the longest token; for a form, the current field name up to 1 KiB; with plugin detectors,
 * the largest plugin window), never by the stream's length.
 *
 * <p>Each call returns the findings that became final with that call; a finding becomes final
 * once enough bytes follow it to rule out a longer or overlapping match. {@link #finish()} returns
 * the rest. Not thread-safe: use one instance per stream from one thread at a time.
 *
 * <p>With {@linkplain Policy#pluginDetectors() plugin detectors}, a feed runs each plugin over
 * every window the chunk completes, on the calling thread, so it may take up to the plugins'
 * timeouts. A plugin failure never fails the feed: it shows in {@link #notes()} as {@link
 * ScanNote#PLUGIN_ERROR}, plus {@link ScanNote#PLUGIN_ERROR_BLOCK} when the plugin's policy says
 * {@code on_error: block}, as soon as the failing window has run; the caller then refuses the
 * message.
 *
 * <p>A redacting stream (see {@link Scanner#newRedactingStream}) also writes the input, with every
 * final finding rewritten, to its {@link RedactedOutput}, holding back at most the same bounded
 * window.
 */
public interface StreamScanner extends AutoCloseable {
  /**
   * Scans the next chunk, which is read from its position to its limit (and then consumed). A
   * chunk backed by an accessible array is scanned in place; any other is copied first.
   */
  default List<Finding> feed(ByteBuffer chunk) {
    java.util.Objects.requireNonNull(chunk, "chunk");
    if (chunk.hasArray()) {
      List<Finding> found = feed(chunk.array(), chunk.arrayOffset() + chunk.position(), chunk.remaining());
      chunk.position(chunk.limit());
      return found;
    }
    byte[] copy = new byte[chunk.remaining()];
    chunk.get(copy);
    return feed(copy, 0, copy.length);
  }

  /** Scans the next chunk, {@code bytes[offset, offset + length)}. */
  List<Finding> feed(byte[] bytes, int offset, int length);

  /** Ends the stream and returns the findings not returned yet. Later feeds are refused. */
  List<Finding> finish();

  /** Returns the notes gathered so far, such as a fall-back from JSON to text. */
  Set<ScanNote> notes();

  /**
   * Returns whether a redacting stream holds back output only in case the next input continues a
   * value that began in it (a gRPC message whose text may go on in the next message), rather than
   * because that output is not final yet. A caller that sees no more input coming soon (the peer
   * may be waiting for an answer) calls {@link #release()}. False unless the stream joins values
   * across messages.
   */
  default boolean waiting() {
    return false;
  }

  /**
   * Writes the output that {@link #waiting()} holds back to the stream's {@link RedactedOutput}; a
   * value found later to have begun in it is still reported, and masked where it is still held.
   * Does nothing unless the stream joins values across messages.
   */
  default void release() {}

  /** Returns how many bytes were fed so far. */
  long bytesScanned();

  /** Releases the stream's resources; the stream cannot be used afterwards. */
  @Override
  void close();
}
