package dev.custos.proxy.internal.l4;

/**
 * Cuts a stream of MessagePack values into one frame per top-level value, by walking the format's
 * headers as bytes arrive (no value is parsed twice, so a frame costs linear time however it is
 * chunked). A value longer than {@code maxFrameBytes} is passed through or dropped without being
 * held. The type byte {@code 0xc1} (never used) or nesting deeper than {@value #MAX_DEPTH} makes
 * the stream {@linkplain #malformed() malformed}: nothing after it is decoded. Not thread-safe.
 */
final class MsgpackDecoder implements FrameDecoder {
  static final int MAX_DEPTH = 64;

  private final int maxFrameBytes;
  private final boolean forwardOversized;
  private final FrameBuffer buffer = new FrameBuffer();
  private final long[] stack = new long[MAX_DEPTH];
  private int depth;
  /** The type byte whose length bytes are being read, or -1 between elements. */
  private int type = -1;
  private int need;
  private long header;
  private long skip;
  private long frameBytes;
  private boolean oversized;
  private boolean malformed;

  MsgpackDecoder(int maxFrameBytes, boolean forwardOversized) {
    this.maxFrameBytes = maxFrameBytes;
    this.forwardOversized = forwardOversized;
  }

  @Override
  public boolean malformed() {
    return malformed;
  }

  @Override
  public void feed(byte[] bytes, int offset, int length, FrameSink sink) {
    int i = offset;
    int end = offset + length;
    int start = i;
    while (i < end && !malformed) {
      boolean done;
      if (skip > 0) {
        int take = (int) Math.min(skip, end - i);
        i += take;
        skip -= take;
        done = skip == 0 && elementDone();
      } else {
        int b = bytes[i++] & 0xff;
        done = type < 0 ? typeByte(b) : lengthByte(b);
      }
      if (done) {
        take(bytes, start, i, sink);
        complete(sink);
        start = i;
      }
    }
    if (malformed) {
      // The bytes before the one that broke the format count, whatever the chunking.
      if (i - 1 > start) {
        take(bytes, start, i - 1, sink);
      }
    } else if (i > start) {
      take(bytes, start, i, sink);
    }
  }

  /** Adds bytes of the current value to the frame, or passes them on once it is oversized. */
  private void take(byte[] bytes, int from, int to, FrameSink sink) {
    frameBytes += to - from;
    if (!oversized && frameBytes > maxFrameBytes) {
      oversized = true;
      sink.oversized();
      if (forwardOversized) {
        buffer.passTo(sink);
      }
      buffer.clear();
    }
    if (oversized) {
      if (forwardOversized) {
        sink.passthrough(bytes, from, to - from);
      }
    } else {
      buffer.append(bytes, from, to - from);
    }
  }

  private void complete(FrameSink sink) {
    if (!oversized) {
      sink.frame(buffer.copy(), FrameSink.Framing.MSGPACK);
    }
    buffer.clear();
    oversized = false;
    frameBytes = 0;
  }

  /** Reads a type byte; returns whether it completed the top-level value. */
  private boolean typeByte(int b) {
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
      return elementDone();
    }
    if (b <= 0x8f) {
      return push(2L * (b & 0x0f));
    }
    if (b <= 0x9f) {
      return push(b & 0x0f);
    }
    if (b <= 0xbf) {
      return payload(b & 0x1f);
    }
    return switch (b) {
      case 0xc1 -> {
        malformed = true;
        yield false;
      }
      case 0xc4, 0xc7, 0xcc, 0xd0, 0xd9 -> lengthBytes(b, 1);
      case 0xc5, 0xc8, 0xcd, 0xd1, 0xda, 0xdc, 0xde -> lengthBytes(b, 2);
      case 0xc6, 0xc9, 0xce, 0xd2, 0xdb, 0xdd, 0xdf -> lengthBytes(b, 4);
      case 0xca -> payload(4);
      case 0xcb -> payload(8);
      case 0xcf, 0xd3 -> payload(8);
      case 0xd4 -> payload(2);
      case 0xd5 -> payload(3);
      case 0xd6 -> payload(5);
      case 0xd7 -> payload(9);
      case 0xd8 -> payload(17);
      default -> throw new IllegalStateException("type byte: " + b);
    };
  }

  private boolean lengthBytes(int b, int n) {
    type = b;
    need = n;
    header = 0;
    return false;
  }

  /** Reads a byte of a length or count; returns whether it completed the top-level value. */
  private boolean lengthByte(int b) {
    header = header << 8 | b;
    if (--need > 0) {
      return false;
    }
    int t = type;
    type = -1;
    return switch (t) {
      // Fixed-size integers whose value bytes were read as a "header".
      case 0xcc, 0xcd, 0xce, 0xd0, 0xd1, 0xd2 -> elementDone();
      case 0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb -> payload(header);
      case 0xc7, 0xc8, 0xc9 -> payload(header + 1);
      case 0xdc, 0xdd -> push(header);
      case 0xde, 0xdf -> push(2 * header);
      default -> throw new IllegalStateException("type byte: " + t);
    };
  }

  private boolean payload(long n) {
    if (n == 0) {
      return elementDone();
    }
    skip = n;
    return false;
  }

  private boolean push(long children) {
    if (children == 0) {
      return elementDone();
    }
    if (depth == MAX_DEPTH) {
      malformed = true;
      return false;
    }
    stack[depth++] = children;
    return false;
  }

  /** Ends one element; returns whether that completed the top-level value. */
  private boolean elementDone() {
    while (depth > 0) {
      if (--stack[depth - 1] > 0) {
        return false;
      }
      depth--;
    }
    return true;
  }

  /**
   * Returns whether {@code bytes} is a sequence of whole MessagePack values within the nesting
   * limit. Every count and length such bytes declare is backed by bytes that follow, so a parser
   * allocates no more than their length for them (msgpack-core sizes an array by its header).
   */
  static boolean wholeValues(byte[] bytes) {
    MsgpackDecoder d = new MsgpackDecoder(Math.max(1, bytes.length), false);
    FrameSink none = new FrameSink() {
      @Override
      public void frame(byte[] content, Framing framing) {}

      @Override
      public void oversized() {}

      @Override
      public void passthrough(byte[] b, int offset, int length) {}
    };
    d.feed(bytes, 0, bytes.length, none);
    return !d.malformed() && d.finish(none);
  }

  @Override
  public boolean finish(FrameSink sink) {
    boolean clean = frameBytes == 0 && !malformed;
    buffer.clear();
    return clean;
  }
}
