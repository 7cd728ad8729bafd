package dev.custos.proxy;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Raw HTTP/2 frames for tests that need shapes a real client would never send: the connection
 * preface, frames by type, HPACK header blocks of literal fields (no Huffman, no table), and a
 * frame reader.
 */
final class H2Frames {
  static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  static final int DATA = 0;
  static final int HEADERS = 1;
  static final int PRIORITY = 2;
  static final int RST_STREAM = 3;
  static final int SETTINGS = 4;
  static final int PING = 6;
  static final int GOAWAY = 7;
  static final int WINDOW_UPDATE = 8;
  static final int CONTINUATION = 9;
  static final int END_STREAM = 0x1;
  static final int END_HEADERS = 0x4;
  static final int SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
  static final int REFUSED_STREAM = 0x7;
  static final int CANCEL = 0x8;
  static final int ENHANCE_YOUR_CALM = 0xb;

  private H2Frames() {}

  /** One frame read from the peer. */
  record Frame(int type, int flags, int stream, byte[] payload) {
    int int32(int offset) {
      return ((payload[offset] & 0xff) << 24) | ((payload[offset + 1] & 0xff) << 16)
          | ((payload[offset + 2] & 0xff) << 8) | (payload[offset + 3] & 0xff);
    }
  }

  static byte[] frame(int type, int flags, int stream, byte[] payload) {
    byte[] f = new byte[9 + payload.length];
    f[0] = (byte) (payload.length >>> 16);
    f[1] = (byte) (payload.length >>> 8);
    f[2] = (byte) payload.length;
    f[3] = (byte) type;
    f[4] = (byte) flags;
    f[5] = (byte) (stream >>> 24);
    f[6] = (byte) (stream >>> 16);
    f[7] = (byte) (stream >>> 8);
    f[8] = (byte) stream;
    System.arraycopy(payload, 0, f, 9, payload.length);
    return f;
  }

  /** Returns a frame whose payload is one 32-bit big-endian value (RST_STREAM, WINDOW_UPDATE). */
  static byte[] int32Frame(int type, int stream, int value) {
    return frame(type, 0, stream, new byte[] {(byte) (value >>> 24), (byte) (value >>> 16),
        (byte) (value >>> 8), (byte) value});
  }

  /** Returns a PRIORITY frame making {@code stream} depend on {@code dependency}. */
  static byte[] priority(int stream, int dependency, int weight) {
    return frame(PRIORITY, 0, stream, new byte[] {(byte) (dependency >>> 24),
        (byte) (dependency >>> 16), (byte) (dependency >>> 8), (byte) dependency, (byte) weight});
  }

  /** Returns the same frame {@code count} times, back to back. */
  static byte[] repeat(byte[] frame, int count) {
    byte[] out = new byte[frame.length * count];
    for (int i = 0; i < count; i++) {
      System.arraycopy(frame, 0, out, i * frame.length, frame.length);
    }
    return out;
  }

  /**
   * Returns a header block for a GET of {@code path} with extra fields, each a literal without
   * indexing (RFC 7541 section 6.2.2).
   */
  static byte[] getHeaders(String authority, String path, String... extraNameValues) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x82); // :method GET (static index 2)
    out.write(0x86); // :scheme http (static index 6)
    literal(out, 4, null, path); // :path
    literal(out, 1, null, authority); // :authority
    for (int i = 0; i < extraNameValues.length; i += 2) {
      literal(out, 0, extraNameValues[i], extraNameValues[i + 1]);
    }
    return out.toByteArray();
  }

  private static void literal(ByteArrayOutputStream out, int nameIndex, String name,
      String value) {
    out.write(nameIndex); // 0000xxxx: literal without indexing, name index (0: new name)
    if (nameIndex == 0) {
      string(out, name);
    }
    string(out, value);
  }

  private static void string(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    if (b.length > 126) {
      throw new IllegalArgumentException("string: " + b.length + " bytes (expected: < 127)");
    }
    out.write(b.length);
    out.write(b, 0, b.length);
  }

  static Frame read(DataInputStream in) throws IOException {
    byte[] h = new byte[9];
    in.readFully(h);
    int length = ((h[0] & 0xff) << 16) | ((h[1] & 0xff) << 8) | (h[2] & 0xff);
    int stream = ((h[5] & 0x7f) << 24) | ((h[6] & 0xff) << 16) | ((h[7] & 0xff) << 8)
        | (h[8] & 0xff);
    byte[] payload = new byte[length];
    in.readFully(payload);
    return new Frame(h[3] & 0xff, h[4] & 0xff, stream, payload);
  }
}
