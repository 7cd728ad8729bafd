package dev.custos.cli;

import dev.custos.engine.Finding;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Drops the findings of lines holding {@value #MARKER} (such as {@code card = "4111…" #
 * custos:ignore}), for one stream fed in order. A finding whose line has not ended yet is held
 * until it does (the marker may come later on the line), and findings leave in the order they
 * came. Memory: one pair of offsets per marked line and the findings held. Not thread-safe.
 */
final class InlineIgnores {
  static final String MARKER = "custos:ignore";
  private static final byte[] MARKER_BYTES = MARKER.getBytes(StandardCharsets.US_ASCII);

  private final List<long[]> marked = new ArrayList<>();
  private final ArrayDeque<Finding> held = new ArrayDeque<>();
  private long offset;
  private long lineStart;
  private long lastNewline = -1;
  private int state;
  private boolean lineMarked;
  private int dropped;

  /** Takes the next bytes of the stream. */
  void feed(byte[] bytes, int off, int length) {
    for (int i = off; i < off + length; i++) {
      byte b = bytes[i];
      if (b == '\n') {
        if (lineMarked) {
          marked.add(new long[] {lineStart, offset});
          lineMarked = false;
        }
        lastNewline = offset;
        lineStart = offset + 1;
        state = 0;
      } else if (b == MARKER_BYTES[state]) {
        state++;
        if (state == MARKER_BYTES.length) {
          lineMarked = true;
          state = 0;
        }
      } else {
        // The marker has no proper prefix that is also a suffix, so a mismatch restarts it.
        state = b == MARKER_BYTES[0] ? 1 : 0;
      }
      offset++;
    }
  }

  /** Returns the findings that can now be told apart from ignored ones, in order; holds others. */
  List<Finding> release(List<Finding> findings) {
    held.addAll(findings);
    List<Finding> out = new ArrayList<>();
    while (!held.isEmpty() && held.peekFirst().start() <= lastNewline) {
      Finding f = held.pollFirst();
      if (isMarked(f.start())) {
        dropped++;
      } else {
        out.add(f);
      }
    }
    return out;
  }

  /** Ends the stream: returns every finding still held that is not on a marked line. */
  List<Finding> finish(List<Finding> findings) {
    if (lineMarked) {
      marked.add(new long[] {lineStart, Long.MAX_VALUE});
      lineMarked = false;
    }
    lastNewline = Long.MAX_VALUE;
    return release(findings);
  }

  /** Returns how many findings were dropped so far. */
  int dropped() {
    return dropped;
  }

  private boolean isMarked(long position) {
    for (int i = marked.size() - 1; i >= 0; i--) {
      long[] line = marked.get(i);
      if (position >= line[0] && position <= line[1]) {
        return true;
      }
    }
    return false;
  }
}
