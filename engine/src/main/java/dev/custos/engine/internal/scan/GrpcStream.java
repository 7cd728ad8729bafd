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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
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
 * Redaction keeps every length ({@code hash} masks), so the framing stays valid.
 *
 * <p><b>Values split across messages.</b> A stream that sends a text in pieces (a chat that streams
 * its tokens, a document uploaded in chunks) may cut a value between two messages. The string and
 * bytes fields of consecutive uncompressed messages at the same field path (the path without the
 * message index: {@code $.1} of {@code $[3].1} and of {@code $[4].1}) are joined: the last
 * {@code window} bytes of that path's text so far (its carry, which may span several short
 * messages) and the first {@code window} bytes of the next message's field are scanned as one text,
 * and a finding that straddles the seam is reported with the path of the message it starts in and
 * body offsets from its first byte to its last. What does not join: different paths (another field
 * number, another occurrence of a repeated field, a deeper level), a bytes field that parses as a
 * nested message (its own fields have deeper paths), a path that a message leaves out (only
 * consecutive messages join), compressed messages, malformed ones, and at most {@link #MAX_JOINED}
 * fields per message. Findings wholly inside one message come from that message's own scan only.
 *
 * <p>Redacting, each message is written once it has ended and been joined (a message is of no use
 * to its receiver before its end), so a straddling value is masked in the message it ends in; to mask
 * it in the message it starts in too, a message whose carried text may go on into a value (it ends
 * in a digit, or a digit and one space, dash, dot or slash, and no finding ends there) is held until
 * the next message has been joined, while {@code mayHold}. Held messages go on when no carry needs
 * them, at the end of the body, when more than {@link #MAX_HELD} bytes are held, or when the caller
 * {@linkplain #release() releases} them (the proxy does when the stream has been idle: a call may
 * wait for an answer before it sends more). A message longer than {@link #MAX_HELD} streams through
 * as it is scanned. Memory: the held messages and the current one up to {@link #MAX_HELD}, and at
 * most {@code 2 * window} bytes per joined path. Not thread-safe.
 */
final class GrpcStream implements StreamScanner {
  /** The largest compressed message held for inflating. */
  static final int MAX_COMPRESSED = 4 << 20;
  /** The largest inflated message scanned. */
  static final int MAX_INFLATED = 16 << 20;
  /** The most string or bytes fields of one message joined with the next message's. */
  static final int MAX_JOINED = 16;
  /** The most bytes of messages held for a value that may go on in the next message. */
  static final int MAX_HELD = 1 << 20;

  /** Opens the scan of one message. */
  interface Opener {
    /** Opens a scan of {@code type}; a protobuf one reads its message as {@code root} when given. */
    StreamScanner open(ContentType type, ProtobufSchema.@Nullable Message root,
        @Nullable RedactionChoice choice, @Nullable RedactedOutput output,
        ProtobufDecoder.@Nullable Leaves leaves);
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

  /** Opens the scan of a seam: UTF-8 text, never redacting. */
  private final Supplier<StreamScanner> seams;
  /** How many bytes of text a path carries into the next message; 0: no joining. */
  private final int window;
  private final boolean mayHold;
  /** The string and bytes fields of the current message, for joining. */
  private final List<Leaf> leaves = new ArrayList<>();
  private final Collector collector = new Collector();
  /** Body offsets where a finding of the current message ends. */
  private final Set<Long> ends = new HashSet<>();
  /** The carried text of each path of the last message. */
  private Map<String, Carry> carries = new LinkedHashMap<>();
  /** Redacting: messages written but held back, in order, and how many bytes they hold. */
  private final ArrayDeque<HeldMessage> heldMessages = new ArrayDeque<>();
  private long heldBytes;
  /** Redacting: the output of the current message, from {@link #curBase} of the body. */
  private byte[] cur = new byte[0];
  private int curLength;
  private long curBase;
  /** The current message's output went on as it came: it cannot be held or masked any more. */
  private boolean curReleased;

  GrpcStream(Opener opener, ProtobufSchema.@Nullable Message root, @Nullable RedactionChoice choice,
      @Nullable RedactedOutput output) {
    this(opener, root, choice, output, 0, false, null);
  }

  /**
   * A stream that joins the text of consecutive messages over {@code window} bytes each side of
   * the seam (0: not at all), scanning each seam in a stream {@code seams} opens (a text stream
   * when null), and holds a message whose text may go on when {@code mayHold}.
   */
  GrpcStream(Opener opener, ProtobufSchema.@Nullable Message root, @Nullable RedactionChoice choice,
      @Nullable RedactedOutput output, int window, boolean mayHold,
      @Nullable Supplier<StreamScanner> seams) {
    this.seams = seams != null ? seams : () -> opener.open(ContentType.TEXT, null, null, null, null);
    this.opener = opener;
    this.root = root;
    this.choice = choice;
    this.output = output;
    this.window = window;
    this.mayHold = mayHold;
  }

  /** The written bytes of a message held back, from {@code base} of the body. */
  private record HeldMessage(int index, long base, byte[] bytes) {}

  /** A string or bytes field of the current message: its first and last {@code window} bytes. */
  private static final class Leaf {
    final String path;
    /** The offset of its content in the message's payload. */
    final long origin;
    final int window;
    byte[] head = new byte[16];
    int headLength;
    byte @Nullable [] tail;
    int tailLength;
    long length;

    Leaf(String path, long origin, int window) {
      this.path = path;
      this.origin = origin;
      this.window = window;
    }

    void add(byte[] b, int from, int n) {
      length += n;
      int h = Math.min(n, window - headLength);
      if (h > 0) {
        if (headLength + h > head.length) {
          head = Arrays.copyOf(head, Math.min(window, Math.max(head.length * 2, headLength + h)));
        }
        System.arraycopy(b, from, head, headLength, h);
        headLength += h;
        from += h;
        n -= h;
      }
      if (n == 0) {
        return;
      }
      byte[] t = tail;
      if (t == null) {
        t = new byte[window];
        tail = t;
      }
      if (n >= window) {
        System.arraycopy(b, from + n - window, t, 0, window);
        tailLength = window;
      } else {
        int keep = Math.min(tailLength, window - n);
        System.arraycopy(t, tailLength - keep, t, 0, keep);
        System.arraycopy(b, from, t, keep, n);
        tailLength = keep + n;
      }
    }

    /** Returns its last {@code min(length, window)} bytes. */
    byte[] last() {
      byte[] t = tail;
      if (t == null) {
        return Arrays.copyOf(head, headLength);
      }
      int n = (int) Math.min(length, window);
      byte[] last = new byte[n];
      int fromHead = n - tailLength;
      System.arraycopy(head, headLength - fromHead, last, 0, fromHead);
      System.arraycopy(t, 0, last, fromHead, tailLength);
      return last;
    }
  }

  /** The last bytes of a path's text, the message each is in, and its offset in the body. */
  private static final class Carry {
    final byte[] text;
    final int[] message;
    final long[] offset;
    boolean open;

    Carry(int n) {
      text = new byte[n];
      message = new int[n];
      offset = new long[n];
    }
  }

  /** Takes the current message's string and bytes fields from its protobuf scan. */
  private final class Collector implements ProtobufDecoder.Leaves {
    private @Nullable Leaf leaf;

    @Override
    public void begin(String path, long origin) {
      leaf = leaves.size() < MAX_JOINED ? new Leaf(path, origin, window) : null;
    }

    @Override
    public void content(byte[] bytes, int from, int length) {
      Leaf l = leaf;
      if (l != null) {
        l.add(bytes, from, length);
      }
    }

    @Override
    public void end() {
      Leaf l = leaf;
      if (l != null && l.length > 0) {
        leaves.add(l);
      }
      leaf = null;
    }
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
    leaves.clear();
    ends.clear();
    curBase = fed - 5;
    if ((header[0] & 0x7e) != 0) {
      // No flag but compressed (bit 0) and trailer (bit 7) exists: this is not gRPC framing, and
      // the rest of the body is scanned as text from this prefix on.
      notes.add(ScanNote.PROTOBUF_MALFORMED);
      text = true;
      compressed = false;
      payloadStart = fed - 5;
      carries.clear();
      releaseAll();
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
        releaseAll();
        write(header, 0, 5);
      }
    } else {
      write(header, 0, 5);
      inner = open(trailer, output == null ? null : this::write);
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
        target == null ? null : mapped, target, text || window == 0 ? null : collector);
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
    boolean joinable = false;
    if (passing) {
      passing = false;
    } else if (compressed) {
      endCompressed();
    } else {
      StreamScanner s = Objects.requireNonNull(inner);
      addAll(s.finish());
      Set<ScanNote> n = s.notes();
      notes.addAll(n);
      s.close();
      inner = null;
      joinable = !trailer && !n.contains(ScanNote.PROTOBUF_MALFORMED);
    }
    join(joinable);
  }

  // ---- joining messages ----

  /**
   * Joins the current message's fields with the carried text of their paths, carries its own
   * text on, and writes what need not be held.
   */
  private void join(boolean joinable) {
    if (joinable && window > 0 && !leaves.isEmpty()) {
      Map<String, Carry> next = new LinkedHashMap<>();
      for (Leaf leaf : leaves) {
        Carry c = carries.get(leaf.path);
        if (c != null) {
          seam(c, leaf);
        }
        next.put(leaf.path, carry(c, leaf));
      }
      carries = next;
    } else {
      // Nothing carries on (no text, a trailer, a compressed or malformed message): no map to make.
      carries.clear();
    }
    leaves.clear();
    ends.clear();
    settle();
  }

  /** Scans the carried text and the head of {@code leaf} as one, for findings across the seam. */
  private void seam(Carry c, Leaf leaf) {
    int n = c.text.length;
    byte[] text = Arrays.copyOf(c.text, n + leaf.headLength);
    System.arraycopy(leaf.head, 0, text, n, leaf.headLength);
    List<Finding> found;
    try (StreamScanner s = seams.get()) {
      found = new ArrayList<>(s.feed(text, 0, text.length));
      found.addAll(s.finish());
    }
    for (Finding f : found) {
      int start = (int) f.start();
      int end = (int) f.end();
      if (start >= n || end <= n) {
        continue; // Within one message: its own scan reported it.
      }
      long bodyEnd = payloadStart + leaf.origin + (end - n);
      Finding joined = Finding.of(f.category(), f.detector(), c.offset[start], bodyEnd,
          "$[" + c.message[start] + "]" + leaf.path.substring(1), f.confidence(), f.evidence(),
          f.allowedByRules(), f.qualifier());
      out.add(joined);
      ends.add(bodyEnd);
      RedactionChoice r = choice;
      if (r != null && output != null) {
        RedactionStyle style = r.styleFor(joined);
        if (style != null) {
          mask(text, start, end, c, leaf, style);
        }
      }
    }
  }

  /** Masks {@code text[start, end)} where its bytes are still held: this message, held ones. */
  private void mask(byte[] text, int start, int end, Carry c, Leaf leaf, RedactionStyle style) {
    byte[] masked = Rewriter.maskInPlace(text, start, end - start, style == RedactionStyle.PARTIAL, false);
    int n = c.text.length;
    for (int p = start; p < end; p++) {
      byte b = masked[p - start];
      if (p >= n) {
        if (!curReleased) {
          cur[(int) (payloadStart + leaf.origin + (p - n) - curBase)] = b;
        }
        continue;
      }
      // The carry is the earlier messages' text (this message's is carried only after its seams),
      // so its bytes are in held messages or already written.
      for (HeldMessage h : heldMessages) {
        if (h.index() == c.message[p]) {
          h.bytes()[(int) (c.offset[p] - h.base())] = b;
          break;
        }
      }
    }
  }

  /** Returns the text {@code leaf}'s path carries on: the last {@code window} bytes of it so far. */
  private Carry carry(@Nullable Carry before, Leaf leaf) {
    byte[] last = leaf.last();
    int keep = before == null ? 0 : Math.min(before.text.length, window - last.length);
    Carry c = new Carry(keep + last.length);
    if (keep > 0) {
      int from = Objects.requireNonNull(before).text.length - keep;
      System.arraycopy(before.text, from, c.text, 0, keep);
      System.arraycopy(before.message, from, c.message, 0, keep);
      System.arraycopy(before.offset, from, c.offset, 0, keep);
    }
    long first = payloadStart + leaf.origin + leaf.length - last.length;
    for (int i = 0; i < last.length; i++) {
      c.text[keep + i] = last[i];
      c.message[keep + i] = index;
      c.offset[keep + i] = first + i;
    }
    c.open = mayContinue(c.text) && !ends.contains(payloadStart + leaf.origin + leaf.length);
    return c;
  }

  /**
   * Returns whether text ending so may go on into a value in the next message: it ends in a digit,
   * or in a digit and one space, dash, dot or slash.
   */
  static boolean mayContinue(byte[] text) {
    int n = text.length;
    if (n == 0) {
      return false;
    }
    byte last = text[n - 1];
    if (last >= '0' && last <= '9') {
      return true;
    }
    return n >= 2 && (last == ' ' || last == '-' || last == '.' || last == '/')
        && text[n - 2] >= '0' && text[n - 2] <= '9';
  }

  /** Writes the held messages no open carry needs, then the current one unless one needs it. */
  private void settle() {
    RedactedOutput o = output;
    if (o == null) {
      return;
    }
    int needed = Integer.MAX_VALUE;
    if (mayHold) {
      for (Carry c : carries.values()) {
        if (c.open) {
          needed = Math.min(needed, c.message[0]);
        }
      }
    }
    while (!heldMessages.isEmpty() && heldMessages.peekFirst().index() < needed) {
      writeHeld(o, heldMessages.pollFirst());
    }
    if (!curReleased && curLength > 0) {
      if (index >= needed && heldBytes + curLength <= MAX_HELD) {
        heldMessages.add(new HeldMessage(index, curBase, Arrays.copyOf(cur, curLength)));
        heldBytes += curLength;
      } else {
        releaseHeld();
        o.write(cur, 0, curLength);
      }
    }
    curLength = 0;
    curReleased = false;
    if (cur.length > 64 * 1024) {
      cur = new byte[0];
    }
  }

  private void writeHeld(RedactedOutput o, HeldMessage h) {
    heldBytes -= h.bytes().length;
    o.write(h.bytes(), 0, h.bytes().length);
  }

  /** Writes every held message. */
  private void releaseHeld() {
    RedactedOutput o = output;
    while (o != null && !heldMessages.isEmpty()) {
      writeHeld(o, heldMessages.pollFirst());
    }
  }

  /** Writes every held message and what the current one wrote so far; its rest goes on as it comes. */
  private void releaseAll() {
    releaseHeld();
    RedactedOutput o = output;
    if (o != null && !curReleased && curLength > 0) {
      o.write(cur, 0, curLength);
    }
    curLength = 0;
    curReleased = true;
  }

  /**
   * Returns whether messages are held only in case the next message continues a value in them:
   * {@link #release()} lets them go when no more is coming soon.
   */
  @Override
  public boolean waiting() {
    return !heldMessages.isEmpty();
  }

  /**
   * Writes the messages held for a value that may go on, giving up masking its start in them (a
   * value found across the seam later is still reported, and masked in the messages still held).
   */
  @Override
  public void release() {
    if (closed) {
      throw new IllegalStateException("stream closed");
    }
    releaseHeld();
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
      Finding m = map(f);
      out.add(m);
      ends.add(m.end());
    }
  }

  /** Writes output of the current message: buffered until it is joined, unless too long. */
  private void write(byte[] bytes, int from, int n) {
    RedactedOutput o = output;
    if (o == null || n <= 0) {
      return;
    }
    if (curReleased) {
      o.write(bytes, from, n);
      return;
    }
    if (curLength + n > MAX_HELD) {
      releaseAll();
      o.write(bytes, from, n);
      return;
    }
    if (curLength + n > cur.length) {
      cur = Arrays.copyOf(cur, Math.max(curLength + n, Math.min(MAX_HELD, Math.max(256, cur.length * 2))));
    }
    System.arraycopy(bytes, from, cur, curLength, n);
    curLength += n;
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
    releaseAll();
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
    long carried = 0;
    for (Carry c : carries.values()) {
      carried += 13L * c.text.length;
    }
    for (Leaf l : leaves) {
      carried += l.head.length + (l.tail == null ? 0 : l.window);
    }
    return (h == null ? 0 : h.length) + (s == null ? 0 : StreamScannerImpl.retainedBytesOf(s))
        + heldBytes + cur.length + carried;
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
