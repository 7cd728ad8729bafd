package dev.custos.cli;

import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;

/**
 * Maps byte offsets of one stream to 1-based lines and columns while the stream is fed. Lines end
 * at {@code \n}; columns count characters (UTF-8 code points, so a multi-byte character counts
 * once). Keeps a copy of the last {@value #RETAINED_BYTES} bytes, enough for the engine's hold-back
 * before it reports a finding; an offset older than that has no position ({@code null}). Memory is
 * bounded by that window, not by the stream's length. Not thread-safe.
 */
final class LineIndex {
  /** How many of the most recent bytes are kept to resolve positions. */
  static final int RETAINED_BYTES = 4 << 20;

  /** A line and column, both 1-based. */
  record Position(long line, long column) {}

  private static final class Block {
    long start;
    byte[] data;
    int length;
    long lineAtStart;
    long columnAtStart;

    Block(byte[] data) {
      this.data = data;
    }
  }

  private final ArrayDeque<Block> blocks = new ArrayDeque<>();
  private long retained;
  private long fed;
  private long line = 1;
  private long column = 1;

  // The last resolved position, to walk forward from it when findings come in order.
  private @Nullable Block cachedBlock;
  private int cachedIndex;
  private long cachedLine;
  private long cachedColumn;

  /** Records the next {@code length} bytes of the stream. */
  void add(byte[] bytes, int offset, int length) {
    if (length <= 0) {
      return;
    }
    Block block = null;
    while (!blocks.isEmpty() && retained + length > RETAINED_BYTES) {
      Block evicted = blocks.removeFirst();
      retained -= evicted.length;
      if (evicted == cachedBlock) {
        cachedBlock = null;
      }
      if (block == null && evicted.data.length >= length) {
        block = evicted;
      }
    }
    if (block == null) {
      block = new Block(new byte[Math.max(length, 1 << 16)]);
    }
    System.arraycopy(bytes, offset, block.data, 0, length);
    block.start = fed;
    block.length = length;
    block.lineAtStart = line;
    block.columnAtStart = column;
    blocks.addLast(block);
    retained += length;
    fed += length;
    for (int i = offset, end = offset + length; i < end; i++) {
      byte b = bytes[i];
      if (b == '\n') {
        line++;
        column = 1;
      } else if ((b & 0xC0) != 0x80) {
        column++;
      }
    }
  }

  /** Returns the line and column of the byte at {@code offset}, or {@code null} if no longer kept. */
  @Nullable Position position(long offset) {
    if (offset == fed) {
      return new Position(line, column);
    }
    Block block = null;
    for (var it = blocks.descendingIterator(); it.hasNext(); ) {
      Block b = it.next();
      if (offset >= b.start && offset < b.start + b.length) {
        block = b;
        break;
      }
    }
    if (block == null) {
      return null;
    }
    int target = (int) (offset - block.start);
    int i;
    long l;
    long c;
    if (block == cachedBlock && cachedIndex <= target) {
      i = cachedIndex;
      l = cachedLine;
      c = cachedColumn;
    } else {
      i = 0;
      l = block.lineAtStart;
      c = block.columnAtStart;
    }
    byte[] data = block.data;
    for (; i < target; i++) {
      byte b = data[i];
      if (b == '\n') {
        l++;
        c = 1;
      } else if ((b & 0xC0) != 0x80) {
        c++;
      }
    }
    cachedBlock = block;
    cachedIndex = target;
    cachedLine = l;
    cachedColumn = c;
    return new Position(l, c);
  }
}
