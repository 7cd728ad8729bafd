package dev.custos.proxy.internal.l4;

/**
 * Receives what a {@link FrameDecoder} makes of a byte stream, in stream order: whole frames,
 * the start of each frame larger than the limit, and (when oversized frames are forwarded) that
 * frame's bytes as they arrive. Called on the thread feeding the decoder.
 */
interface FrameSink {
  /**
   * Takes one whole frame's content (without its framing: no length prefix, no trailing LF).
   *
   * @param content a fresh array the sink may keep
   * @param framing how the frame was delimited, so that it can be framed the same way again
   */
  void frame(byte[] content, Framing framing);

  /** Notes that a frame is larger than the limit: it is forwarded unscanned, or dropped. */
  void oversized();

  /**
   * Takes raw bytes of an oversized frame that is forwarded unscanned, framing included. The
   * array is only valid during the call.
   */
  void passthrough(byte[] bytes, int offset, int length);

  /** How a frame was delimited in the stream. */
  enum Framing {
    /** Ended by a line feed (lines, syslog non-transparent framing). */
    LINE_FEED,
    /** Cut by the end of the stream, with no delimiter after it. */
    UNTERMINATED,
    /** Preceded by its length in octets and a space (syslog octet counting, RFC 6587). */
    OCTET_COUNTED,
    /** One whole MessagePack value (Fluentd forward). */
    MSGPACK
  }
}
