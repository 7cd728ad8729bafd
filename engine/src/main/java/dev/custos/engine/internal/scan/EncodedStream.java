package dev.custos.engine.internal.scan;

import dev.custos.engine.ContentType;
import dev.custos.engine.Finding;
import dev.custos.engine.RedactedOutput;
import dev.custos.engine.RedactionChoice;
import dev.custos.engine.ScanNote;
import dev.custos.engine.StreamScanner;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/**
 * Content written in a transfer encoding (RFC 2045): base64 or quoted-printable, decoded as it
 * streams and scanned by an inner stream of the decoded bytes. Findings are moved back onto the
 * encoded bytes: a finding covers every character that encodes one of its bytes (whole base64
 * quanta; a quoted-printable {@code =XX} whole).
 *
 * <p><b>Base64</b> ({@link Codec#BASE64}): the 64 characters of RFC 4648's alphabet in quanta of
 * four, a quantum ending in {@code =} or {@code ==} closing a group after which a new one may begin
 * (gRPC-Web text encodes each chunk on its own, so padding may occur mid-body), spaces, tabs and
 * line breaks ignored wherever they are (MIME breaks lines at 76). Any other character, or a
 * padding character followed by data in its quantum, is malformed ({@link
 * ScanNote#TRANSFER_ENCODING_MALFORMED}): the decoded bytes so far are finished, and from the
 * quantum holding the fault on, the bytes are scanned as text as written. So is a body that ends
 * in an incomplete quantum.
 *
 * <p><b>Quoted-printable</b> ({@link Codec#QUOTED_PRINTABLE}): {@code =XX} (two hex digits, either
 * case) is one byte, {@code =} followed by a line break (CRLF or LF) is a soft line break, which
 * decodes to nothing, also with transport padding (spaces and tabs, up to {@link #MAX_SOFT_BREAK}
 * characters in all) between the {@code =} and the line break (RFC 2045 section 6.7, rules 3 and
 * 5), and every other byte, a {@code =} not followed by either included, stands for itself:
 * quoted-printable is never malformed.
 *
 * <p>Redaction re-encodes what the inner stream writes in the layout the input had: the same base64
 * quanta with the same padding, the same characters escaped in quoted-printable, line breaks and
 * soft breaks where they were, so a redaction that keeps the decoded length ({@code mask}, {@code
 * partial}) keeps the encoded length and the framing around it. Bytes beyond the input's layout
 * (a {@code hash} label) are encoded plainly: base64 in full quanta, padded at the end;
 * quoted-printable escaping {@code =}, control bytes and bytes past 126.
 *
 * <p>The output depends only on what the inner stream writes and on the input's layout, never on
 * when it writes (so never on chunking): bytes it writes past the layout read so far (a label
 * longer than its value) are held until more layout arrives, and encoded plainly at the end.
 *
 * <p>Memory: the layout of decoded bytes the inner stream has not written out yet or may still
 * report a finding in (a few words per base64 group or quoted-printable run), bounded by the inner
 * stream's own bound plus {@link #MAP_SLACK} decoded bytes, and the bytes a redaction added past
 * the input so far. Not thread-safe.
 */
final class EncodedStream implements StreamScanner {
  /** Decoded bytes kept mapped behind the inner stream's own hold, for findings it reports late. */
  static final int MAP_SLACK = 16 * 1024;
  /** The most decoded bytes gathered before the inner stream is fed. */
  private static final int BATCH = 8 * 1024;

  /** The transfer encoding. */
  enum Codec { BASE64, QUOTED_PRINTABLE }

  // Layout tokens: what stretch of decoded bytes (or raw characters) came from what stretch of
  // encoded characters. Kinds:
  private static final int B64 = 0; // len decoded bytes in ceil(len / 3) quanta; the last one padded if len % 3 != 0
  private static final int LITERAL = 1; // len bytes written as themselves
  private static final int ESCAPED = 2; // len bytes written as =XX each
  private static final int RAW = 3; // len characters that decode to nothing (white space, soft breaks)

  private final Codec codec;
  /** Whether the decoded bytes must open with a gRPC flag byte (gRPC-Web text). */
  private final boolean grpcFraming;
  private boolean started;
  private final StreamScanner inner;
  private final BiFunction<@Nullable RedactionChoice, @Nullable RedactedOutput, StreamScanner> textOpener;
  private final @Nullable RedactionChoice choice;
  private final @Nullable RedactedOutput output;
  private final EnumSet<ScanNote> notes = EnumSet.noneOf(ScanNote.class);
  private final List<Finding> out = new ArrayList<>();

  // The token ring: kind, decoded start, encoded start, length; raw characters in their own ring.
  private int[] kinds = new int[16];
  private long[] decStarts = new long[16];
  private long[] encStarts = new long[16];
  private int[] lengths = new int[16];
  private int head;
  private int count;
  private byte[] raw = new byte[64];
  private int rawHead;
  private int rawCount;

  /** Where the decoded output stands: the token it is in, bytes of it already written. */
  private int outToken;
  private int outDone;
  private final byte[] pendingOut = new byte[3];
  private int pendingOutLength;
  /**
   * Output bytes past the layout pushed so far, written once more of it is (or at the end): {@code
   * overflow[overflowHead, overflowLength)}.
   */
  private byte[] overflow = new byte[16];
  private int overflowHead;
  private int overflowLength;
  /** Decoded bytes not fed to the inner stream yet (within one feed). */
  private byte[] batch = new byte[256];
  private int batchLength;
  /** Whether {@link #pendingOut} holds a padded quantum of the layout, not written yet. */
  private boolean heldPadded;

  private long encoded;
  private long decoded;
  /** The base64 quantum being read: its characters' values, how many, where its first character was. */
  private final int[] quantum = new int[4];
  private final byte[] quantumChars = new byte[4];
  private int quantumLength;
  private long quantumStart;
  private int quantumPadding;
  /** White space met inside the current quantum, written after it. */
  private final byte[] quantumSpace = new byte[64];
  private int quantumSpaceLength;
  /**
   * The longest soft line break read as one: {@code =}, transport padding, CRLF. A longer run of
   * spaces and tabs after {@code =} stands for itself (lines are at most 76 characters).
   */
  static final int MAX_SOFT_BREAK = 80;
  /**
   * The quoted-printable escape being read: {@code =}, {@code =X}, or {@code =} then spaces and
   * tabs, then maybe CR (a soft line break once its LF comes).
   */
  private final byte[] escape = new byte[MAX_SOFT_BREAK];
  private int escapeLength;

  /** The rest scanned as text after a fault, or null. */
  private @Nullable StreamScanner text;
  private long textBase;
  private boolean finished;
  private boolean closed;

  /**
   * Opens a stream decoding {@code codec} into the stream {@code opener} opens (its findings moved
   * onto the encoded bytes for {@code choice}, its output re-encoded to {@code output}); {@code
   * textOpener} opens the text scan of the rest after a fault, writing to the output given.
   */
  private EncodedStream(Codec codec, boolean grpcFraming, InnerOpener opener,
      BiFunction<@Nullable RedactionChoice, @Nullable RedactedOutput, StreamScanner> textOpener,
      @Nullable RedactionChoice choice, @Nullable RedactedOutput output) {
    this.codec = codec;
    this.grpcFraming = grpcFraming;
    this.textOpener = textOpener;
    this.choice = choice;
    this.output = output;
    RedactionChoice c = choice;
    this.inner = opener.open(c == null ? null : f -> c.styleFor(map(f)),
        output == null ? null : this::innerWrite);
  }

  /** Opens the inner stream of the decoded bytes. */
  interface InnerOpener {
    StreamScanner open(@Nullable RedactionChoice choice, @Nullable RedactedOutput output);
  }

  /**
   * Returns a stream of {@code codec}-encoded content whose decoded bytes {@code opener} scans;
   * after a fault the rest is scanned by what {@code textOpener} opens.
   */
  static EncodedStream of(Codec codec, InnerOpener opener,
      BiFunction<@Nullable RedactionChoice, @Nullable RedactedOutput, StreamScanner> textOpener,
      @Nullable RedactionChoice choice, @Nullable RedactedOutput output) {
    return new EncodedStream(codec, false, opener, textOpener, choice, output);
  }

  /**
   * Returns a stream of gRPC-Web text: base64 whose first character must be {@code A} or {@code g}
   * (what a gRPC flag byte, 0x00, 0x01, 0x80 or 0x81, encodes to); a body starting otherwise is
   * not gRPC-Web text and is scanned as text from its start ({@link
   * ScanNote#TRANSFER_ENCODING_MALFORMED}), so that plain text sent under that type is not decoded
   * into noise and missed.
   */
  static EncodedStream ofGrpcWebText(InnerOpener opener,
      BiFunction<@Nullable RedactionChoice, @Nullable RedactedOutput, StreamScanner> textOpener,
      @Nullable RedactionChoice choice, @Nullable RedactedOutput output) {
    return new EncodedStream(Codec.BASE64, true, opener, textOpener, choice, output);
  }

  /** Returns the codec a {@code Content-Transfer-Encoding} names, or null for any other. */
  static @Nullable Codec forTransferEncoding(@Nullable String value) {
    if (value == null) {
      return null;
    }
    String v = value.trim();
    if (v.equalsIgnoreCase("base64")) {
      return Codec.BASE64;
    }
    if (v.equalsIgnoreCase("quoted-printable")) {
      return Codec.QUOTED_PRINTABLE;
    }
    return null;
  }

  // ---- StreamScanner ----

  @Override
  public List<Finding> feed(byte[] bytes, int offset, int length) {
    Feeds.check(bytes, offset, length, closed, finished);
    if (codec == Codec.BASE64) {
      base64(bytes, offset, offset + length);
    } else {
      quotedPrintable(bytes, offset, offset + length);
    }
    flushBatch();
    prune();
    return take();
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
    if (text == null) {
      if (codec == Codec.BASE64 && (quantumLength > 0 || quantumSpaceLength > 0)) {
        if (quantumLength > 0) {
          fault(); // An incomplete quantum at the end.
        } else {
          addRaw(quantumSpace, 0, quantumSpaceLength, encoded - quantumSpaceLength);
          quantumSpaceLength = 0;
        }
      } else if (codec == Codec.QUOTED_PRINTABLE && escapeLength > 0) {
        // A cut escape stands for itself.
        literal(escape, 0, escapeLength, encoded - escapeLength);
        escapeLength = 0;
      }
    }
    if (text == null) {
      endInner();
    } else {
      StreamScanner t = text;
      addText(t.finish());
      notes.addAll(t.notes());
    }
    return take();
  }

  @Override
  public Set<ScanNote> notes() {
    EnumSet<ScanNote> all = EnumSet.copyOf(notes);
    if (!closed) {
      all.addAll(inner.notes());
      if (text != null) {
        all.addAll(text.notes());
      }
    }
    return all.isEmpty() ? Set.of() : Set.copyOf(all);
  }

  @Override
  public long bytesScanned() {
    return encoded;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      inner.close();
      if (text != null) {
        text.close();
      }
    }
  }

  /** Returns about how many bytes this stream holds: its layout, the inner stream's hold. */
  long retainedBytes() {
    return 24L * count + rawCount + (overflowLength - overflowHead) + batch.length + StreamScannerImpl.retainedBytesOf(inner)
        + (text == null ? 0 : StreamScannerImpl.retainedBytesOf(text));
  }

  @Override
  public String toString() {
    return "EncodedStream{" + codec + ", bytes=" + encoded + ", decoded=" + decoded + ", redacting="
        + (output != null) + '}';
  }

  // ---- base64 ----

  private void base64(byte[] b, int i, int end) {
    while (i < end) {
      if (text != null) {
        addText(text.feed(b, i, end - i));
        encoded += end - i;
        return;
      }
      byte c = b[i];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        if (quantumLength == 0) {
          addRaw(b, i, 1, encoded);
        } else if (quantumSpaceLength < quantumSpace.length) {
          quantumSpace[quantumSpaceLength++] = c;
        } else {
          fault(); // Too much space inside one quantum: not base64 as anyone writes it.
          continue;
        }
        encoded++;
        i++;
        continue;
      }
      if (!started) {
        started = true;
        if (grpcFraming && c != 'A' && c != 'g') {
          fault();
          continue;
        }
      }
      int v = valueOf(c);
      if (v < 0 && c != '=') {
        fault();
        continue;
      }
      if (c == '=') {
        if (quantumLength < 2) {
          fault();
          continue;
        }
        quantumPadding++;
      } else if (quantumPadding > 0) {
        fault(); // Data after padding within a quantum.
        continue;
      }
      if (quantumLength == 0) {
        quantumStart = encoded;
      }
      quantumChars[quantumLength] = c;
      quantum[quantumLength++] = Math.max(v, 0);
      encoded++;
      i++;
      if (quantumLength == 4) {
        endQuantum();
      }
    }
  }

  private void endQuantum() {
    int bits = (quantum[0] << 18) | (quantum[1] << 12) | (quantum[2] << 6) | quantum[3];
    byte[] d = {(byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits};
    int n = 3 - quantumPadding;
    long at = quantumStart;
    quantumLength = 0;
    quantumPadding = 0;
    boolean joins = count > 0 && kindAt(count - 1) == B64 && lengths[slot(count - 1)] % 3 == 0
        && encStarts[slot(count - 1)] + lengths[slot(count - 1)] / 3 * 4 == at && open();
    if (joins) {
      lengths[slot(count - 1)] += n;
    } else {
      push(B64, decoded, at, n);
    }
    decoded += n;
    drainOverflow();
    decodedOut(d, 0, n);
    if (quantumSpaceLength > 0) {
      addRaw(quantumSpace, 0, quantumSpaceLength, encoded - quantumSpaceLength);
      quantumSpaceLength = 0;
    }
  }

  private static int valueOf(byte c) {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    }
    if (c == '+') {
      return 62;
    }
    if (c == '/') {
      return 63;
    }
    return -1;
  }

  private static final byte[] ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".getBytes(
          java.nio.charset.StandardCharsets.US_ASCII);

  /**
   * Ends the decoded scan at a fault: the quantum read so far, and everything after it, is scanned
   * as text as written.
   */
  private void fault() {
    notes.add(ScanNote.TRANSFER_ENCODING_MALFORMED);
    endInner();
    textBase = quantumLength > 0 ? quantumStart : encoded;
    StreamScanner t = textOpener.apply(choice == null ? null : f -> choice.styleFor(moveText(f)), output);
    text = t;
    byte[] replay = new byte[quantumLength + quantumSpaceLength];
    // The characters of the cut quantum, with the space met inside it at its end (their order is
    // lost; both are written as they were read otherwise).
    System.arraycopy(quantumChars, 0, replay, 0, quantumLength);
    System.arraycopy(quantumSpace, 0, replay, quantumLength, quantumSpaceLength);
    quantumLength = 0;
    quantumSpaceLength = 0;
    quantumPadding = 0;
    if (replay.length > 0) {
      addText(t.feed(replay, 0, replay.length));
    }
  }

  // ---- quoted-printable ----

  private void quotedPrintable(byte[] b, int i, int end) {
    while (i < end) {
      if (escapeLength == 0) {
        int j = i;
        while (j < end && b[j] != '=') {
          j++;
        }
        if (j > i) {
          literal(b, i, j - i, encoded);
          encoded += j - i;
        }
        if (j == end) {
          return;
        }
        escape[0] = '=';
        escapeLength = 1;
        encoded++;
        i = j + 1;
        continue;
      }
      byte c = b[i];
      long at = encoded - escapeLength;
      byte last = escape[escapeLength - 1];
      // After '=': transport padding (spaces and tabs, RFC 2045 6.7 rule 3) may come before the
      // line break of a soft break; '=' then a hex digit starts an escape.
      boolean padding = escapeLength == 1 || isPadding(last);
      if ((padding || last == '\r') && c == '\n') {
        escape[escapeLength++] = c;
        addRaw(escape, 0, escapeLength, at);
        escapeLength = 0;
      } else if (padding && (c == '\r' || (isPadding(c) && escapeLength < MAX_SOFT_BREAK - 2))) {
        escape[escapeLength++] = c;
      } else if (escapeLength == 1 && hex(c) >= 0) {
        escape[escapeLength++] = c;
      } else if (escapeLength == 2 && hex(last) >= 0 && hex(c) >= 0) {
        byte[] one = {(byte) ((hex(escape[1]) << 4) | hex(c))};
        escapeLength = 0;
        escaped(one, at);
      } else {
        // Not an escape: the held characters stand for themselves; c is read again.
        int n = escapeLength;
        escapeLength = 0;
        literal(escape, 0, n, at);
        continue;
      }
      encoded++;
      i++;
    }
  }

  private static boolean isPadding(byte c) {
    return c == ' ' || c == '\t';
  }

  private static int hex(byte c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  }

  private void literal(byte[] b, int from, int n, long at) {
    if (count > 0 && kindAt(count - 1) == LITERAL
        && encStarts[slot(count - 1)] + lengths[slot(count - 1)] == at && open()) {
      lengths[slot(count - 1)] += n;
    } else {
      push(LITERAL, decoded, at, n);
    }
    decoded += n;
    drainOverflow();
    decodedOut(b, from, n);
  }

  private void escaped(byte[] one, long at) {
    if (count > 0 && kindAt(count - 1) == ESCAPED
        && encStarts[slot(count - 1)] + 3L * lengths[slot(count - 1)] == at && open()) {
      lengths[slot(count - 1)]++;
    } else {
      push(ESCAPED, decoded, at, 1);
    }
    decoded++;
    drainOverflow();
    decodedOut(one, 0, 1);
  }

  // ---- the layout ----

  /** Returns whether the last token may grow: the output has not written all of it yet. */
  private boolean open() {
    return output == null || outToken < count;
  }

  private int slot(int index) {
    return (head + index) & (kinds.length - 1);
  }

  private int kindAt(int index) {
    return kinds[slot(index)];
  }

  private void push(int kind, long decStart, long encStart, int length) {
    if (count == kinds.length) {
      int n = kinds.length * 2;
      int[] k = new int[n];
      long[] d = new long[n];
      long[] e = new long[n];
      int[] l = new int[n];
      for (int i = 0; i < count; i++) {
        int s = slot(i);
        k[i] = kinds[s];
        d[i] = decStarts[s];
        e[i] = encStarts[s];
        l[i] = lengths[s];
      }
      kinds = k;
      decStarts = d;
      encStarts = e;
      lengths = l;
      head = 0;
    }
    int s = slot(count);
    kinds[s] = kind;
    decStarts[s] = decStart;
    encStarts[s] = encStart;
    lengths[s] = length;
    count++;
  }

  private void addRaw(byte[] b, int from, int n, long at) {
    if (output != null) {
      if (rawCount + n > raw.length) {
        byte[] r = new byte[Math.max(raw.length * 2, rawCount + n)];
        for (int i = 0; i < rawCount; i++) {
          r[i] = raw[(rawHead + i) % raw.length];
        }
        raw = r;
        rawHead = 0;
      }
      for (int i = 0; i < n; i++) {
        raw[(rawHead + rawCount + i) % raw.length] = b[from + i];
      }
      rawCount += n;
    }
    if (count > 0 && kindAt(count - 1) == RAW && encStarts[slot(count - 1)] + lengths[slot(count - 1)] == at
        && (output == null || outToken < count - 1)) {
      lengths[slot(count - 1)] += n;
    } else {
      push(RAW, decoded, at, n);
    }
    if (output != null) {
      drainRaw(); // Written at once when the decoded output has caught up.
    }
  }

  /**
   * Drops the tokens that neither the output (those before the one it is in) nor a late finding
   * (those wholly before the inner stream's hold and the slack) still needs.
   */
  private void prune() {
    long keepFrom = decoded - StreamScannerImpl.retainedBytesOf(inner) - MAP_SLACK;
    while (count > 1 && (output == null || outToken > 0) && decStarts[slot(1)] <= keepFrom) {
      head = (head + 1) & (kinds.length - 1);
      count--;
      if (output != null) {
        outToken--;
      }
    }
  }

  // ---- mapping findings ----

  /** Returns the encoded offset of the first character that encodes decoded byte {@code d}. */
  private long encodedStart(long d) {
    int t = tokenOf(d);
    if (t < 0) {
      return count == 0 ? 0 : encStarts[slot(0)];
    }
    int s = slot(t);
    long k = d - decStarts[s];
    switch (kinds[s]) {
      case B64:
        return encStarts[s] + k / 3 * 4;
      case ESCAPED:
        return encStarts[s] + 3 * k;
      default:
        return encStarts[s] + k;
    }
  }

  /** Returns the encoded offset just past the last character that encodes decoded byte {@code d}. */
  private long encodedEnd(long d) {
    int t = tokenOf(d);
    if (t < 0) {
      return encoded;
    }
    int s = slot(t);
    long k = d - decStarts[s];
    switch (kinds[s]) {
      case B64:
        return encStarts[s] + k / 3 * 4 + 4;
      case ESCAPED:
        return encStarts[s] + 3 * k + 3;
      default:
        return encStarts[s] + k + 1;
    }
  }

  /** Returns the index of the data token holding decoded byte {@code d}, or -1. */
  private int tokenOf(long d) {
    int lo = 0;
    int hi = count - 1;
    int best = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (decStarts[slot(mid)] <= d) {
        best = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    // Raw tokens hold no decoded bytes: step back to the data token before them.
    while (best >= 0 && (kinds[slot(best)] == RAW || lengths[slot(best)] == 0
        || decStarts[slot(best)] + lengths[slot(best)] <= d)) {
      best--;
    }
    return best;
  }

  private Finding map(Finding f) {
    long start = encodedStart(f.start());
    long end = Math.max(encodedEnd(f.end() - 1), start + 1);
    return Finding.of(f.category(), f.detector(), start, end, f.jsonPath(), f.confidence(),
        f.evidence(), f.allowedByRules(), f.qualifier());
  }

  private Finding moveText(Finding f) {
    return Finding.of(f.category(), f.detector(), f.start() + textBase, f.end() + textBase,
        f.jsonPath(), f.confidence(), f.evidence(), f.allowedByRules(), f.qualifier());
  }

  private void addAll(List<Finding> findings) {
    for (Finding f : findings) {
      out.add(map(f));
    }
  }

  private void addText(List<Finding> findings) {
    for (Finding f : findings) {
      out.add(moveText(f));
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

  /** Passes decoded bytes on to the inner stream, gathered so that it is fed once per chunk. */
  private void decodedOut(byte[] b, int from, int n) {
    if (n >= BATCH) {
      flushBatch();
      addAll(inner.feed(b, from, n));
      return;
    }
    if (batchLength + n > batch.length) {
      batch = java.util.Arrays.copyOf(batch, Math.max(batch.length * 2, batchLength + n));
    }
    System.arraycopy(b, from, batch, batchLength, n);
    batchLength += n;
    if (batchLength >= BATCH) {
      flushBatch();
    }
  }

  private void flushBatch() {
    if (batchLength > 0) {
      int n = batchLength;
      batchLength = 0;
      addAll(inner.feed(batch, 0, n));
    }
  }

  /** Finishes the decoded scan and writes what it still held. */
  private void endInner() {
    flushBatch();
    addAll(inner.finish());
    notes.addAll(inner.notes());
    if (output != null) {
      flushOutput();
    }
  }

  // ---- re-encoding the inner stream's output ----

  private void innerWrite(byte[] b, int from, int n) {
    for (int i = from; i < from + n; i++) {
      if (overflowLength > overflowHead || !writeOut(b[i])) {
        if (overflowLength == overflow.length) {
          int live = overflowLength - overflowHead;
          if (overflowHead >= overflow.length / 2) {
            System.arraycopy(overflow, overflowHead, overflow, 0, live);
          } else {
            byte[] grown = new byte[overflow.length * 2];
            System.arraycopy(overflow, overflowHead, grown, 0, live);
            overflow = grown;
          }
          overflowHead = 0;
          overflowLength = live;
        }
        overflow[overflowLength++] = b[i];
      }
    }
    drainRaw();
  }

  /**
   * Writes the output bytes held past the layout into the data tokens pushed since, in order (so
   * that the output depends on the bytes and the layout only, never on when the inner stream wrote).
   */
  private void drainOverflow() {
    if (output == null || overflowLength == overflowHead) {
      return;
    }
    // The bytes written move the head only: copying the rest down each time cost the square of a
    // long overflow (a hash label written past a value's end, token by token).
    while (overflowHead < overflowLength && writeOut(overflow[overflowHead])) {
      overflowHead++;
    }
    if (overflowHead == overflowLength) {
      overflowHead = 0;
      overflowLength = 0;
    }
    drainRaw();
  }

  /** Writes one output byte into the layout; returns false when the layout is used up. */
  private boolean writeOut(byte b) {
    drainRaw();
    if (outToken >= count) {
      return false;
    }
    int s = slot(outToken);
    switch (kinds[s]) {
      case B64:
        if (heldPadded) {
          writeQuantum(pendingOut, pendingOutLength);
          pendingOutLength = 0;
          heldPadded = false;
        }
        pendingOut[pendingOutLength++] = b;
        outDone++;
        int inQuantum = Math.min(3, lengths[s] - (outDone - pendingOutLength));
        if (pendingOutLength == inQuantum) {
          if (inQuantum == 3) {
            writeQuantum(pendingOut, 3);
            pendingOutLength = 0;
          } else {
            // A padded quantum: written padded once a token or the end follows, continued when
            // output past the layout does (padding inside base64 is valid only between groups).
            heldPadded = true;
          }
        }
        break;
      case ESCAPED:
        writeEscaped(b);
        outDone++;
        break;
      default:
        writeLiteral(b);
        outDone++;
        break;
    }
    if (outDone == lengths[s]) {
      outToken++;
      outDone = 0;
    }
    return true;
  }

  /** Writes the raw tokens the output has reached. */
  private void drainRaw() {
    RedactedOutput o = Objects.requireNonNull(output);
    if (heldPadded && outToken < count && kinds[slot(outToken)] == RAW) {
      writeQuantum(pendingOut, pendingOutLength);
      pendingOutLength = 0;
      heldPadded = false;
    }
    while (outToken < count && kinds[slot(outToken)] == RAW) {
      int n = lengths[slot(outToken)];
      // Straight from the ring, in at most two slices (the output copies what it keeps).
      int first = Math.min(n, raw.length - rawHead);
      o.write(raw, rawHead, first);
      if (n > first) {
        o.write(raw, 0, n - first);
      }
      rawHead = (rawHead + n) % raw.length;
      rawCount -= n;
      outToken++;
      outDone = 0;
    }
  }

  /** Output past the input's layout: base64 gathers full quanta, quoted-printable writes at once. */
  private void extra(byte b) {
    if (codec == Codec.BASE64) {
      heldPadded = false; // The held quantum goes on, unpadded.
      pendingOut[pendingOutLength++] = b;
      if (pendingOutLength == 3) {
        writeQuantum(pendingOut, 3);
        pendingOutLength = 0;
      }
    } else if (b == '=' || (b < 32 && b != '\t' && b != '\r' && b != '\n') || b < 0 || b == 127) {
      writeEscaped(b);
    } else {
      writeLiteral(b);
    }
  }

  /**
   * Writes what is left once the inner stream has finished: a partial quantum and the raw tokens
   * left (the data tokens the output fell short of are dropped), or the bytes past the layout,
   * encoded plainly.
   */
  private void flushOutput() {
    for (int i = overflowHead; i < overflowLength; i++) {
      extra(overflow[i]);
    }
    overflowHead = 0;
    overflowLength = 0;
    if (pendingOutLength > 0) {
      writeQuantum(pendingOut, pendingOutLength);
      pendingOutLength = 0;
      heldPadded = false;
    }
    while (outToken < count) {
      if (kinds[slot(outToken)] == RAW) {
        drainRaw();
      } else {
        outToken++;
        outDone = 0;
      }
    }
  }

  private void writeQuantum(byte[] d, int n) {
    int bits = ((d[0] & 0xff) << 16) | (n > 1 ? (d[1] & 0xff) << 8 : 0) | (n > 2 ? d[2] & 0xff : 0);
    byte[] q = scratch;
    q[0] = ALPHABET[bits >>> 18];
    q[1] = ALPHABET[(bits >>> 12) & 63];
    q[2] = n > 1 ? ALPHABET[(bits >>> 6) & 63] : (byte) '=';
    q[3] = n > 2 ? ALPHABET[bits & 63] : (byte) '=';
    Objects.requireNonNull(output).write(q, 0, 4);
  }

  /** The bytes of one quantum or escape being written (the output copies what it keeps). */
  private final byte[] scratch = new byte[4];

  private static final byte[] HEX = "0123456789ABCDEF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private void writeEscaped(byte b) {
    byte[] e = scratch;
    e[0] = '=';
    e[1] = HEX[(b >> 4) & 15];
    e[2] = HEX[b & 15];
    Objects.requireNonNull(output).write(e, 0, 3);
  }

  private void writeLiteral(byte b) {
    scratch[0] = b;
    Objects.requireNonNull(output).write(scratch, 0, 1);
  }
}
