package dev.custos.proxy.internal.l4;

/**
 * Syslog over TCP (RFC 6587), the framing told frame by frame: a frame that starts with a
 * non-zero digit and continues with digits and a space is octet-counted ({@code MSG-LEN SP MSG});
 * any other frame is non-transparent, ended by a line feed. Digits not followed by a space (or
 * more than nine of them) start a non-transparent frame. An octet-counted frame longer than
 * {@code maxFrameBytes} is passed through (count included) or dropped without being held; a
 * non-transparent one as {@link LineDecoder} does. A stream that ends inside a counted frame
 * reports what it had, count included, as an unterminated frame. Not thread-safe.
 */
final class SyslogDecoder implements FrameDecoder {
  private static final int MAX_DIGITS = 9;

  private enum State { START, COUNT, BODY, SKIP, LINE }

  private final int maxFrameBytes;
  private final boolean forwardOversized;
  private final LineDecoder line;
  private final FrameBuffer buffer = new FrameBuffer();
  private final byte[] digits = new byte[MAX_DIGITS + 1];
  private int digitCount;
  private long remaining;
  private State state = State.START;

  SyslogDecoder(int maxFrameBytes, boolean forwardOversized) {
    this.maxFrameBytes = maxFrameBytes;
    this.forwardOversized = forwardOversized;
    this.line = new LineDecoder(maxFrameBytes, forwardOversized);
  }

  @Override
  public void feed(byte[] bytes, int offset, int length, FrameSink sink) {
    int i = offset;
    int end = offset + length;
    while (i < end) {
      switch (state) {
        case START -> {
          byte b = bytes[i];
          if (b >= '1' && b <= '9') {
            digits[0] = b;
            digitCount = 1;
            state = State.COUNT;
            i++;
          } else {
            state = State.LINE;
          }
        }
        case COUNT -> {
          byte b = bytes[i];
          if (b >= '0' && b <= '9' && digitCount < MAX_DIGITS) {
            digits[digitCount++] = b;
            i++;
          } else if (b == ' ') {
            i++;
            long n = Long.parseLong(new String(digits, 0, digitCount,
                java.nio.charset.StandardCharsets.US_ASCII));
            remaining = n;
            if (n > maxFrameBytes) {
              sink.oversized();
              if (forwardOversized) {
                digits[digitCount] = ' ';
                sink.passthrough(digits, 0, digitCount + 1);
              }
              state = State.SKIP;
            } else {
              state = State.BODY;
            }
          } else {
            line.prepend(digits, 0, digitCount);
            state = State.LINE;
          }
        }
        case BODY -> {
          int take = (int) Math.min(remaining, end - i);
          buffer.append(bytes, i, take);
          i += take;
          remaining -= take;
          if (remaining == 0) {
            sink.frame(buffer.copy(), FrameSink.Framing.OCTET_COUNTED);
            buffer.clear();
            state = State.START;
          }
        }
        case SKIP -> {
          int take = (int) Math.min(remaining, end - i);
          if (forwardOversized) {
            sink.passthrough(bytes, i, take);
          }
          i += take;
          remaining -= take;
          if (remaining == 0) {
            state = State.START;
          }
        }
        case LINE -> {
          i = line.feedLine(bytes, i, end, sink);
          if (line.atLineStart()) {
            state = State.START;
          }
        }
        default -> throw new IllegalStateException("state: " + state);
      }
    }
  }

  @Override
  public boolean finish(FrameSink sink) {
    switch (state) {
      case COUNT -> {
        line.prepend(digits, 0, digitCount);
        line.finish(sink);
      }
      case BODY -> {
        // Cut short: what came is reported with its count, as one unframed piece.
        FrameBuffer cut = new FrameBuffer();
        cut.append(digits, 0, digitCount);
        cut.append((byte) ' ');
        byte[] body = buffer.copy();
        cut.append(body, 0, body.length);
        sink.frame(cut.copy(), FrameSink.Framing.UNTERMINATED);
      }
      case LINE -> line.finish(sink);
      default -> { }
    }
    buffer.clear();
    state = State.START;
    return true;
  }
}
