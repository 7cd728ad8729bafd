package dev.custos.proxy.internal.l4;

/**
 * Cuts a byte stream fed in chunks of any size into frames. Whatever the chunking, the frames,
 * the oversized notes and the concatenation of the passed-through bytes are the same. Memory is
 * bounded by the frame limit: a frame longer than it is never held whole. Not thread-safe.
 */
interface FrameDecoder {
  /** Decodes {@code bytes[offset, offset + length)}, reporting what completes to {@code sink}. */
  void feed(byte[] bytes, int offset, int length, FrameSink sink);

  /**
   * Ends the stream: a frame cut short is reported as it is ({@link FrameSink.Framing#UNTERMINATED}
   * for text framings).
   *
   * @return false when the stream ended inside a frame that cannot be reported (a MessagePack
   *     value cut short), true otherwise
   */
  boolean finish(FrameSink sink);

  /** Returns whether the stream broke the framing's rules, after which nothing more is decoded. */
  default boolean malformed() {
    return false;
  }
}
