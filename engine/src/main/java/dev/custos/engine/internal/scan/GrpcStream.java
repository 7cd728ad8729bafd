package dev.custos.engine.internal.scan;

import dev.custos.engine.ContentType;
import dev.custos.engine.Finding;
import dev.custos.engine.ProtobufSchema;
import dev.custos.engine.RedactedOutput;
import dev.custos.engine.RedactionChoice;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.ScanNote;
import dev.custos.engine.StreamScanner;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.jspecify.annotations.Nullable;

/**
 * A gRPC (or gRPC-Web) body: length-prefixed messages, each a 1-byte flag (bit 0: compressed,
 * bit 7: a gRPC-Web trailer frame) and a 4-byte big-endian length, then that many bytes. Each
 * message is its own scan: a protobuf one ({@link ProtobufDecoder}), a trailer frame as text.
 * Findings take the message index before their path ({@code $[3].1.2}) and offsets into the
 * whole body.
 *
 * <p>An uncompressed message streams through its scan. A compressed one (gzip, the encoding gRPC
 * names in {@code grpc-encoding}) is held up to {@link #MAX_COMPRESSED} bytes, inflated up to
 * {@link #MAX_INFLATED} bytes and scanned whole; its findings span the whole compressed message,
 * and a redaction that changed it re-compresses it and writes its new length. One that is larger,
 * not gzip, or corrupt goes on as it is, unscanned ({@link ScanNote#GRPC_MESSAGE_UNINSPECTABLE}).
 * A body cut short in a prefix or a message is noted {@link ScanNote#PROTOBUF_MALFORMED}, and so
 * is a prefix whose flag byte has bits other than 0 and 7 set: that is not gRPC, and the rest of the
 * body, from that prefix on, is scanned as text.
 * Redaction keeps every length ({@code hash} masks), so the framing stays valid. Not thread-safe.
 */
final class GrpcStream implements StreamScanner {
  /** The largest compressed message held for inflating. */
  static final int MAX_COMPRESSED = 4 << 20;
  /** The largest inflated message scanned. */
  static final int MAX_INFLATED = 16 << 20;

  /** Opens the scan of one message. */
  interface Opener {
    /** Opens a scan of {@code type}; a protobuf one reads its message as {@code root} when given. */
    StreamScanner open(ContentType type, ProtobufSchema.@Nullable Message root,
        @Nullable RedactionChoice choice, @Nullable RedactedOutput output);
  }

  private final Opener opener;
  private final ProtobufSchema.@Nullable Message root;
  private final @Nullable RedactionChoice choice;
  private final @Nullable RedactedOutput output;
  private final EnumSet<ScanNote> notes = EnumSet.noneOf(ScanNote.class);
  private final List<Finding> out = new ArrayList<>();

  private final byte[] header = new byte[5];
  private int headerLength;
  private long fed;
  /** The message being read: index, where its payload starts, bytes of it still to come. */
  private int index = -1;
  private long payloadStart;
  private long payloadLength;
  private long remaining;
  private boolean inMessage;
  private boolean compressed;
  private boolean trailer;
  private @Nullable StreamScanner inner;
  private byte @Nullable [] held;
  private int heldLength;
  /** A compressed message too large to hold: passed through. */
  private boolean passing;
  /** The body turned out not to be gRPC: the rest is one text scan. */
  private boolean text;
  private boolean finished;
  private boolean closed;

  GrpcStream(Opener opener, ProtobufSchema.@Nullable Message root, @Nullable RedactionChoice choice,
      @Nullable RedactedOutput output) {
    this.opener = opener;
    this.root = root;
    this.choice = choice;
    this.output = output;
  }

  @Override
  public List<Finding> feed(byte[] bytes, int offset, int length) {
    Feeds.check(bytes, offset, length, closed, finished);
    int i = offset;
    int end = offset + length;
    while (i < end) {
      if (text) {
        addAll(Objects.requireNonNull(inner).feed(bytes, i, end - i));
        fed += end - i;
        break;
      }
      if (!inMessage) {
        int n = Math.min(5 - headerLength, end - i);
        System.arraycopy(bytes, i, header, headerLength, n);
        headerLength += n;
        i += n;
        fed += n;
        if (headerLength == 5) {
          startMessage();
        }
        continue;
      }
      int n = (int) Math.min(remaining, end - i);
      body(bytes, i, n);
      i += n;
      fed += n;
      remaining -= n;
      if (remaining == 0) {
        endMessage();
      }
    }
    return take();
  }

  private void startMessage() {
    headerLength = 0;
    index++;
    if ((header[0] & 0x7e) != 0) {
      // No flag but compressed (bit 0) and trailer (bit 7) exists: this is not gRPC framing, and
      // the rest of the body is scanned as text from this prefix on.
      notes.add(ScanNote.PROTOBUF_MALFORMED);
      text = true;
      compressed = false;
      payloadStart = fed - 5;
      inner = open(true, output);
      addAll(inner.feed(header, 0, 5));
      return;
    }
    compressed = (header[0] & 1) != 0;
    trailer = (header[0] & 0x80) != 0;
    payloadLength = ((header[1] & 0xffL) << 24) | ((header[2] & 0xff) << 16) | ((header[3] & 0xff) << 8)
        | (header[4] & 0xff);
    payloadStart = fed;
    remaining = payloadLength;
    passing = false;
    if (compressed) {
      // Written once the message is decided: a redaction changes its length.
      held = new byte[(int) Math.min(payloadLength, 64 * 1024)];
      heldLength = 0;
      if (payloadLength > MAX_COMPRESSED) {
        notes.add(ScanNote.GRPC_MESSAGE_UNINSPECTABLE);
        passing = true;
        write(header, 0, 5);
      }
    } else {
      write(header, 0, 5);
      inner = open(trailer, output);
    }
    inMessage = true;
    if (payloadLength == 0) {
      endMessage();
    }
  }

  private StreamScanner open(boolean text, @Nullable RedactedOutput target) {
    RedactionChoice c = choice;
    RedactionChoice mapped = c == null ? null : f -> {
      RedactionStyle s = c.styleFor(map(f));
      return s == RedactionStyle.HASH ? RedactionStyle.MASK : s;
    };
    return opener.open(text ? ContentType.TEXT : ContentType.PROTOBUF, text ? null : root,
        target == null ? null : mapped, target);
  }

  private void body(byte[] bytes, int from, int n) {
    if (passing) {
      write(bytes, from, n);
    } else if (compressed) {
      byte[] h = Objects.requireNonNull(held);
      if (heldLength + n > h.length) {
        h = Arrays.copyOf(h, (int) Math.min(payloadLength, Math.max(h.length * 2L, heldLength + n)));
        held = h;
      }
      System.arraycopy(bytes, from, h, heldLength, n);
      heldLength += n;
    } else {
      addAll(Objects.requireNonNull(inner).feed(bytes, from, n));
    }
  }

  private void endMessage() {
    inMessage = false;
    if (passing) {
      passing = false;
    } else if (compressed) {
      endCompressed();
    } else {
      StreamScanner s = Objects.requireNonNull(inner);
      addAll(s.finish());
      notes.addAll(s.notes());
      s.close();
      inner = null;
    }
  }

  private void endCompressed() {
    byte[] compressedBytes = Objects.requireNonNull(held);
    int length = heldLength;
    held = null;
    byte[] plain = inflate(compressedBytes, length);
    if (plain == null) {
      notes.add(ScanNote.GRPC_MESSAGE_UNINSPECTABLE);
      write(header, 0, 5);
      write(compressedBytes, 0, length);
      return;
    }
    ByteArrayOutputStream rewritten = output == null ? null : new ByteArrayOutputStream(plain.length);
    try (StreamScanner s = open(trailer, rewritten == null ? null : rewritten::write)) {
      addAll(s.feed(plain, 0, plain.length));
      addAll(s.finish());
      notes.addAll(s.notes());
    }
    if (output == null) {
      return;
    }
    byte[] redacted = Objects.requireNonNull(rewritten).toByteArray();
    if (Arrays.equals(redacted, plain)) {
      write(header, 0, 5);
      write(compressedBytes, 0, length);
      return;
    }
    byte[] again = gzip(redacted);
    byte[] prefix = {header[0], (byte) (again.length >>> 24), (byte) (again.length >>> 16),
        (byte) (again.length >>> 8), (byte) again.length};
    write(prefix, 0, 5);
    write(again, 0, again.length);
  }

  /** Returns the inflated gzip member, or null when it is not gzip, corrupt or too large. */
  private static byte @Nullable [] inflate(byte[] bytes, int length) {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes, 0, length))) {
      ByteArrayOutputStream plain = new ByteArrayOutputStream(Math.max(64, length * 2));
      byte[] buffer = new byte[8192];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        if (plain.size() + n > MAX_INFLATED) {
          return null;
        }
        plain.write(buffer, 0, n);
      }
      return plain.toByteArray();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static byte[] gzip(byte[] plain) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(plain.length / 2 + 64);
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      gz.write(plain);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Returns the finding of the current message's scan as a finding of the body. */
  private Finding map(Finding f) {
    String path = f.jsonPath();
    String mapped = "$[" + index + "]" + (path == null ? "" : path.substring(1));
    long start = compressed ? payloadStart : payloadStart + f.start();
    long end = compressed ? payloadStart + payloadLength : payloadStart + f.end();
    return Finding.of(f.category(), f.detector(), start, end, mapped, f.confidence(), f.evidence(),
        f.allowedByRules(), f.qualifier());
  }

  private void addAll(List<Finding> findings) {
    for (Finding f : findings) {
      out.add(map(f));
    }
  }

  private void write(byte[] bytes, int from, int n) {
    if (output != null && n > 0) {
      output.write(bytes, from, n);
    }
  }

  private List<Finding> take() {
    if (out.isEmpty()) {
      return List.of();
    }
    List<Finding> result = List.copyOf(out);
    out.clear();
    return result;
  }

  @Override
  public List<Finding> finish() {
    if (closed) {
      throw new IllegalStateException("stream closed");
    }
    if (finished) {
      return List.of();
    }
    finished = true;
    if (text) {
      StreamScanner s = Objects.requireNonNull(inner);
      addAll(s.finish());
      notes.addAll(s.notes());
      s.close();
      inner = null;
    } else if (inMessage) {
      notes.add(ScanNote.PROTOBUF_MALFORMED);
      if (compressed && !passing) {
        write(header, 0, 5);
        write(Objects.requireNonNull(held), 0, heldLength);
        held = null;
      } else if (!compressed) {
        StreamScanner s = Objects.requireNonNull(inner);
        addAll(s.finish());
        notes.addAll(s.notes());
        s.close();
        inner = null;
      }
      inMessage = false;
    } else if (headerLength > 0) {
      notes.add(ScanNote.PROTOBUF_MALFORMED);
      write(header, 0, headerLength);
    }
    return take();
  }

  @Override
  public Set<ScanNote> notes() {
    EnumSet<ScanNote> all = EnumSet.noneOf(ScanNote.class);
    all.addAll(notes);
    if (inner != null) {
      all.addAll(inner.notes());
    }
    return all.isEmpty() ? Set.of() : Set.copyOf(all);
  }

  /** Returns about how many bytes this stream holds: a held compressed message and the open scan. */
  long retainedBytes() {
    byte[] h = held;
    StreamScanner s = inner;
    return (h == null ? 0 : h.length) + (s == null ? 0 : StreamScannerImpl.retainedBytesOf(s));
  }

  @Override
  public long bytesScanned() {
    return fed;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      if (inner != null) {
        inner.close();
        inner = null;
      }
    }
  }

  @Override
  public String toString() {
    return "GrpcStream{bytes=" + fed + ", messages=" + (index + 1) + ", redacting=" + (output != null) + '}';
  }
}
