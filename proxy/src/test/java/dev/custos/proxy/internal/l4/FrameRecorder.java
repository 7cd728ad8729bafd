package dev.custos.proxy.internal.l4;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Records what a {@link FrameDecoder} reports as a list of strings, adjacent passed-through bytes
 * merged, so that two chunkings of one stream compare equal exactly when they decode the same.
 */
final class FrameRecorder implements FrameSink {
  final List<String> events = new ArrayList<>();
  final List<byte[]> frames = new ArrayList<>();
  private final ByteArrayOutputStream passed = new ByteArrayOutputStream();

  @Override
  public void frame(byte[] content, Framing framing) {
    flushPassed();
    frames.add(content);
    events.add(framing + ":" + HexFormat.of().formatHex(content));
  }

  @Override
  public void oversized() {
    flushPassed();
    events.add("oversized");
  }

  @Override
  public void passthrough(byte[] bytes, int offset, int length) {
    passed.write(bytes, offset, length);
  }

  List<String> events() {
    flushPassed();
    return events;
  }

  private void flushPassed() {
    if (passed.size() > 0) {
      events.add("passthrough:" + HexFormat.of().formatHex(passed.toByteArray()));
      passed.reset();
    }
  }

  /** Feeds {@code stream} in chunks of the given sizes, in turn, then ends it. */
  static FrameRecorder decode(FrameDecoder d, byte[] stream, List<Integer> chunks) {
    FrameRecorder r = new FrameRecorder();
    int i = 0;
    int k = 0;
    while (i < stream.length && !d.malformed()) {
      int n = chunks.isEmpty() ? stream.length : Math.min(chunks.get(k++ % chunks.size()),
          stream.length - i);
      d.feed(stream, i, n, r);
      i += n;
    }
    if (d.finish(r)) {
      r.events.add("finished");
    } else {
      r.events.add("cut");
    }
    if (d.malformed()) {
      r.events.add("malformed");
    }
    return r;
  }
}
