package dev.custos.proxy.internal.l4;

/**
 * Newline-delimited frames: each frame ends at a line feed, which is not part of it (a carriage
 * return before it is). A frame whose content grows past {@code maxFrameBytes} is oversized: its
 * bytes up to and including its line feed are passed through, or dropped. Memory: at most {@code
 * maxFrameBytes} plus one chunk. Not thread-safe.
 */
final class LineDecoder implements FrameDecoder {
  private final int maxFrameBytes;
  private final boolean forwardOversized;
  private final FrameBuffer buffer = new FrameBuffer();
  private boolean skipping;

  LineDecoder(int maxFrameBytes, boolean forwardOversized) {
    this.maxFrameBytes = maxFrameBytes;
    this.forwardOversized = forwardOversized;
  }

  @Override
  public void feed(byte[] bytes, int offset, int length, FrameSink sink) {
    int i = offset;
    int end = offset + length;
    while (i < end) {
      i = feedLine(bytes, i, end, sink);
    }
  }

  /**
   * Consumes bytes of the current line from {@code i} up to its line feed (inclusive) or {@code
   * end}, and returns where it stopped.
   */
  int feedLine(byte[] bytes, int i, int end, FrameSink sink) {
    int lf = indexOf(bytes, i, end);
    int stop = lf < 0 ? end : lf + 1;
    if (skipping) {
      if (forwardOversized) {
        sink.passthrough(bytes, i, stop - i);
      }
      skipping = lf < 0;
      return stop;
    }
    int content = (lf < 0 ? end : lf) - i;
    if ((long) buffer.size() + content > maxFrameBytes) {
      sink.oversized();
      if (forwardOversized) {
        buffer.passTo(sink);
        sink.passthrough(bytes, i, stop - i);
      }
      buffer.clear();
      skipping = lf < 0;
      return stop;
    }
    buffer.append(bytes, i, content);
    if (lf >= 0) {
      sink.frame(buffer.copy(), FrameSink.Framing.LINE_FEED);
      buffer.clear();
    }
    return stop;
  }

  /** Returns whether no byte of a line is pending. */
  boolean atLineStart() {
    return !skipping && buffer.size() == 0;
  }

  /** Starts the current line with bytes already read (a syslog frame that is not counted). */
  void prepend(byte[] bytes, int offset, int length) {
    buffer.append(bytes, offset, length);
  }

  @Override
  public boolean finish(FrameSink sink) {
    if (!skipping && buffer.size() > 0) {
      sink.frame(buffer.copy(), FrameSink.Framing.UNTERMINATED);
    }
    buffer.clear();
    skipping = false;
    return true;
  }

  private static int indexOf(byte[] bytes, int from, int end) {
    for (int i = from; i < end; i++) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return -1;
  }
}
