package dev.custos.engine.internal.scan;

import dev.custos.engine.RedactedOutput;
import java.nio.charset.Charset;
import java.util.Arrays;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Decodes the text of a stream, chunk by chunk, into the UTF-8 bytes the scanning pipeline
 * matches, and maps what the pipeline finds back to the original bytes.
 *
 * <ul>
 *   <li><b>Encoding.</b> The first {@link #SNIFF} bytes (or the whole stream when shorter) decide
 *       it, so a chunk boundary never changes it: a byte-order mark; else the pattern of NUL bytes
 *       of UTF-32 or UTF-16 text holding ASCII (the first code units, as RFC 4627 detects JSON, or
 *       half of them); else a declared UTF-16 or UTF-32 charset, unless the bytes are plain
 *       printable ASCII (a charset label that lies); else the bytes are taken as they are (UTF-8 or
 *       any ASCII-compatible encoding). UTF-16 and UTF-32 are decoded to UTF-8, a surrogate pair to
 *       one code point; an unpaired surrogate, an invalid code point or a cut code unit becomes
 *       U+FFFD. The byte-order mark decodes to nothing.
 *   <li><b>JSON escapes</b> (for JSON only): <code>&#92;uXXXX</code> (a surrogate pair of them
 *       to one code point) and {@code \/} are decoded, so <code>&#92;u0034&#92;u0031</code> reads {@code 41}.
 *       The short escapes of control characters ({@code \b \f \n \r \t}) read as a space, a
 *       separator as they are to the receiver. Escapes whose character would change the JSON
 *       structure or break its validity (a quote, a backslash, a control character written as
 *       <code>&#92;uXXXX</code>, an unpaired surrogate) stay as written, so the decoded bytes are JSON
 *       with the same structure.
 * </ul>
 *
 * <p>Decoded bytes map to units of the original: a decoded byte's original start is that of the
 * unit (code point or escape) it belongs to. Only units that do not map one byte to one identical
 * byte are recorded, and only those of the scanner's retained window; a redacting stream also keeps
 * the original bytes not yet written. Memory is thus bounded by the window. Not thread-safe.
 */
final class TextDecoder {
  /** How many first bytes decide the encoding. */
  static final int SNIFF = 64;

  /** The encodings the decoder tells apart. */
  enum Encoding {
    /** UTF-8, or any encoding compatible with ASCII: bytes are scanned as they are. */
    BYTES(1, false),
    UTF_16LE(2, true),
    UTF_16BE(2, false),
    UTF_32LE(4, true),
    UTF_32BE(4, false);

    final int width;
    final boolean littleEndian;

    Encoding(int width, boolean littleEndian) {
      this.width = width;
      this.littleEndian = littleEndian;
    }
  }

  private static final int REPLACEMENT = 0xFFFD;
  /** The encodings whose NUL bytes {@link #sniff} looks for, in the order it tries them. */
  private static final Encoding[] WIDE = {
    Encoding.UTF_32LE, Encoding.UTF_32BE, Encoding.UTF_16LE, Encoding.UTF_16BE
  };
  private static final long[] NO_LONGS = new long[0];
  private static final int[] NO_INTS = new int[0];

  /** States of the JSON escape reader. */
  private static final int NORMAL = 0;
  private static final int BACKSLASH = 1;
  private static final int HEX = 2;
  private static final int HIGH = 3;
  private static final int HIGH_BACKSLASH = 4;
  private static final int HIGH_HEX = 5;

  private final boolean jsonEscapes;
  private final @Nullable Charset declared;

  private @Nullable Encoding encoding;
  /**
   * The arrays below (sniffed head, decoded bytes, a cut unit, held symbols): the thread's kept ones
   * (see {@link WindowPool}) until {@link #release()}, each read only below a count kept here.
   */
  private final WindowPool.TextScratch scratch;
  private boolean released;
  private final byte[] sniff;
  private int sniffLength;

  private long fed;
  /** Decoded bytes before the current call. */
  private long decodedBefore;

  /** Decoded bytes of the current call; empty until a chunk does not pass as itself. */
  private byte[] out;
  private int outLength;
  private byte[] resultArray;
  private int resultOffset;

  /** A code unit of UTF-16 or UTF-32 cut by a chunk boundary. */
  private final byte[] partial;
  private int partialLength;
  private int pendingHigh = -1;
  private long pendingHighStart;

  /** The escape reader: symbols (code points, or bytes for {@link Encoding#BYTES}) held back. */
  private int state = NORMAL;
  private final int[] heldValue;
  private final long[] heldStart;
  private int heldCount;
  private long heldEnd;

  /** Recorded units: decoded start and length, original start and length. */
  private long[] unitDecoded = NO_LONGS;
  private long[] unitOriginal = NO_LONGS;
  private int[] unitDecodedLength = NO_INTS;
  private int[] unitOriginalLength = NO_INTS;
  private int unitsHead;
  private int unitsSize;
  /** Original minus decoded position after the last forgotten unit. */
  private long forgottenDelta;

  /** The original bytes, kept only for redaction and only while the text is not transparent. */
  private @Nullable OriginalWindow original;

  TextDecoder(boolean jsonEscapes, @Nullable Charset declared, boolean keepOriginal) {
    this.jsonEscapes = jsonEscapes;
    this.declared = declared;
    this.original = keepOriginal ? new OriginalWindow() : null;
    this.scratch = WindowPool.kept().takeText();
    this.sniff = scratch.sniff;
    this.out = scratch.out;
    this.resultArray = out;
    this.partial = scratch.partial;
    this.heldValue = scratch.heldValue;
    this.heldStart = scratch.heldStart;
  }

  /**
   * Gives this decoder's arrays back to the thread for its next decoder, once its stream closed;
   * the decoder must not be used after.
   */
  void release() {
    if (!released) {
      released = true;
      scratch.out = out;
      WindowPool.kept().giveText(scratch);
    }
  }

  // ---- encoding ----

  /**
   * Returns the encoding of a stream whose first bytes are {@code head[0, length)} ({@link #SNIFF}
   * of them, or all of a shorter stream), declared {@code charset} (or none).
   */
  static Encoding sniff(byte[] head, int length, @Nullable Charset charset) {
    int n = Math.min(length, SNIFF);
    if (n >= 4 && u8(head, 0) == 0xFF && u8(head, 1) == 0xFE && head[2] == 0 && head[3] == 0) {
      return Encoding.UTF_32LE;
    }
    if (n >= 4 && head[0] == 0 && head[1] == 0 && u8(head, 2) == 0xFE && u8(head, 3) == 0xFF) {
      return Encoding.UTF_32BE;
    }
    if (n >= 2 && u8(head, 0) == 0xFF && u8(head, 1) == 0xFE) {
      return Encoding.UTF_16LE;
    }
    if (n >= 2 && u8(head, 0) == 0xFE && u8(head, 1) == 0xFF) {
      return Encoding.UTF_16BE;
    }
    if (n >= 3 && u8(head, 0) == 0xEF && u8(head, 1) == 0xBB && u8(head, 2) == 0xBF) {
      return Encoding.BYTES;
    }
    // A code unit of UTF-16 or UTF-32 that is ASCII holds a NUL byte, and looksLike needs one
    // such unit at least: without a NUL byte (most text) none of them can match.
    if (hasNul(head, n)) {
      for (Encoding e : WIDE) {
        if (looksLike(e, head, n)) {
          return e;
        }
      }
    }
    Encoding named = declaredEncoding(charset, head, n);
    if (named != null && !printableAscii(head, n)) {
      return named;
    }
    return Encoding.BYTES;
  }

  private static boolean hasNul(byte[] head, int n) {
    for (int i = 0; i < n; i++) {
      if (head[i] == 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns whether the first bytes read as ASCII text in {@code e}: its first two code units (the
   * first one for UTF-32) are ASCII, or at least half of them are; every UTF-32 unit must be a
   * valid code point.
   */
  private static boolean looksLike(Encoding e, byte[] head, int n) {
    int units = n / e.width;
    if (units == 0) {
      return false;
    }
    int ascii = 0;
    boolean firstAscii = false;
    boolean secondAscii = false;
    for (int u = 0; u < units; u++) {
      int v = unit(e, head, u * e.width);
      if (e.width == 4 && (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || v < 0)) {
        return false;
      }
      boolean isAscii = v > 0 && v < 0x80;
      if (isAscii) {
        ascii++;
      }
      if (u == 0) {
        firstAscii = isAscii;
      } else if (u == 1) {
        secondAscii = isAscii;
      }
    }
    if (e.width == 4) {
      return firstAscii || 2 * ascii >= units;
    }
    return (units >= 2 && firstAscii && secondAscii) || (units >= 2 && 2 * ascii >= units);
  }

  private static @Nullable Encoding declaredEncoding(@Nullable Charset charset, byte[] head, int n) {
    if (charset == null) {
      return null;
    }
    String name = charset.name().toUpperCase(Locale.ROOT);
    switch (name) {
      case "UTF-16LE":
      case "X-UTF-16LE-BOM":
        return Encoding.UTF_16LE;
      case "UTF-16BE":
        return Encoding.UTF_16BE;
      case "UTF-16":
        // Without a byte-order mark, big-endian (RFC 2781), unless the bytes say otherwise.
        return asciiUnits(Encoding.UTF_16LE, head, n) > asciiUnits(Encoding.UTF_16BE, head, n)
            ? Encoding.UTF_16LE
            : Encoding.UTF_16BE;
      case "UTF-32LE":
      case "X-UTF-32LE-BOM":
        return Encoding.UTF_32LE;
      case "UTF-32BE":
      case "X-UTF-32BE-BOM":
        return Encoding.UTF_32BE;
      case "UTF-32":
        return asciiUnits(Encoding.UTF_32LE, head, n) > asciiUnits(Encoding.UTF_32BE, head, n)
            ? Encoding.UTF_32LE
            : Encoding.UTF_32BE;
      default:
        return null;
    }
  }

  private static int asciiUnits(Encoding e, byte[] head, int n) {
    int ascii = 0;
    for (int i = 0; i + e.width <= n; i += e.width) {
      int v = unit(e, head, i);
      if (v > 0 && v < 0x80) {
        ascii++;
      }
    }
    return ascii;
  }

  private static boolean printableAscii(byte[] head, int n) {
    for (int i = 0; i < n; i++) {
      int b = head[i];
      if (!(b == '\t' || b == '\n' || b == '\r' || (b >= 0x20 && b < 0x7F))) {
        return false;
      }
    }
    return true;
  }

  private static int u8(byte[] b, int i) {
    return b[i] & 0xff;
  }

  /** Returns the code unit at {@code i} (as an int; UTF-32 units above 2^31 are negative). */
  private static int unit(Encoding e, byte[] b, int i) {
    if (e.width == 2) {
      return e.littleEndian ? u8(b, i) | u8(b, i + 1) << 8 : u8(b, i) << 8 | u8(b, i + 1);
    }
    return e.littleEndian
        ? u8(b, i) | u8(b, i + 1) << 8 | u8(b, i + 2) << 16 | u8(b, i + 3) << 24
        : u8(b, i) << 24 | u8(b, i + 1) << 16 | u8(b, i + 2) << 8 | u8(b, i + 3);
  }

  /** Returns the encoding once decided, else null. */
  @Nullable Encoding encoding() {
    return encoding;
  }

  // ---- decoding ----

  /**
   * Decodes the next chunk. The decoded bytes are {@code decodedArray()[decodedOffset(), +n)} for
   * the returned {@code n}, valid until the next call; they may be the input itself.
   */
  int decode(byte[] bytes, int offset, int length) {
    if (original != null) {
      original.append(bytes, offset, length);
    }
    long chunkStart = fed;
    fed += length;
    outLength = 0;
    int from = offset;
    int n = length;
    if (encoding == null) {
      int take = Math.min(SNIFF - sniffLength, length);
      System.arraycopy(bytes, offset, sniff, sniffLength, take);
      sniffLength += take;
      if (sniffLength < SNIFF) {
        return result(0);
      }
      decided(sniff(sniff, sniffLength, declared));
      if (encoding == Encoding.BYTES) {
        // Bytes decode one at a time: only those of earlier calls come from the sniffed head, and
        // this chunk is read as a whole (as itself, when it holds no escape).
        process(sniff, 0, sniffLength - take, 0);
      } else {
        process(sniff, 0, sniffLength, 0);
        from += take;
        n -= take;
        chunkStart += take;
      }
    }
    if (outLength == 0 && n > 0 && identity(bytes, from, n)) {
      decodedBefore += n;
      resultArray = bytes;
      resultOffset = from;
      return n;
    }
    process(bytes, from, n, chunkStart);
    return result(outLength);
  }

  /** Ends the input: decides the encoding of a short stream, and flushes what was held back. */
  int finish() {
    outLength = 0;
    if (encoding == null) {
      decided(sniff(sniff, sniffLength, declared));
      process(sniff, 0, sniffLength, 0);
    }
    if (partialLength > 0) {
      flushHigh();
      symbol(REPLACEMENT, fed - partialLength, fed);
      partialLength = 0;
    }
    flushHigh();
    while (state != NORMAL) {
      if (state >= HIGH) {
        refeedAfterHigh(-1, 0, 0);
      } else {
        flushHeld(heldCount);
        state = NORMAL;
      }
    }
    return result(outLength);
  }

  private void decided(Encoding e) {
    encoding = e;
    if (transparent()) {
      // Every byte decodes to itself: the scanner's own window holds the original.
      original = null;
    }
  }

  /**
   * Returns whether the decoded bytes are the original ones, one for one, for the whole stream:
   * text (not JSON) taken as bytes. Before the encoding is decided, nothing has been decoded.
   */
  boolean transparent() {
    return encoding == Encoding.BYTES && !jsonEscapes;
  }

  private int result(int n) {
    resultArray = out;
    resultOffset = 0;
    decodedBefore += n;
    return n;
  }

  byte[] decodedArray() {
    return resultArray;
  }

  int decodedOffset() {
    return resultOffset;
  }

  /** Returns how many original bytes were fed. */
  long fed() {
    return fed;
  }

  /** Returns whether a chunk passes as it is: bytes, and no escape to read. */
  private boolean identity(byte[] bytes, int offset, int length) {
    if (encoding != Encoding.BYTES) {
      return false;
    }
    if (!jsonEscapes) {
      return true;
    }
    if (state != NORMAL) {
      return false;
    }
    return Swar.backslash(bytes, offset, offset + length) == offset + length;
  }

  private void process(byte[] bytes, int offset, int length, long originalOffset) {
    Encoding e = java.util.Objects.requireNonNull(encoding);
    if (e == Encoding.BYTES) {
      if (!jsonEscapes) {
        ensure(length);
        System.arraycopy(bytes, offset, out, outLength, length);
        outLength += length;
        return;
      }
      // Decoding only shrinks bytes (held ones at most 12 go out with the next), so one check of
      // the room suffices; the runs between backslashes are copied as they are.
      ensure(length + 16);
      int i = 0;
      while (i < length) {
        if (state == NORMAL) {
          int run = Swar.backslash(bytes, offset + i, offset + length) - offset;
          System.arraycopy(bytes, offset + i, out, outLength, run - i);
          outLength += run - i;
          i = run;
          if (i == length) {
            break;
          }
        }
        long at = originalOffset + i;
        symbol(bytes[offset + i] & 0xff, at, at + 1);
        i++;
      }
      return;
    }
    int i = 0;
    // A byte-order mark at the very start decodes to nothing.
    if (originalOffset == 0 && partialLength == 0 && length >= e.width && isBom(e, bytes, offset)) {
      recordUnit(decodedBefore + outLength, 0, 0, e.width);
      i = e.width;
    }
    for (; i < length; i++) {
      partial[partialLength++] = bytes[offset + i];
      if (partialLength == e.width) {
        partialLength = 0;
        long start = originalOffset + i + 1 - e.width;
        codeUnit(unit(e, partial, 0), start);
      }
    }
  }

  private static boolean isBom(Encoding e, byte[] bytes, int offset) {
    return unit(e, bytes, offset) == 0xFEFF;
  }

  private void codeUnit(int v, long start) {
    Encoding e = java.util.Objects.requireNonNull(encoding);
    if (e.width == 4) {
      boolean valid = v >= 0 && v <= 0x10FFFF && !(v >= 0xD800 && v <= 0xDFFF);
      symbol(valid ? v : REPLACEMENT, start, start + 4);
      return;
    }
    if (pendingHigh >= 0) {
      if (v >= 0xDC00 && v <= 0xDFFF) {
        int cp = Character.toCodePoint((char) pendingHigh, (char) v);
        pendingHigh = -1;
        symbol(cp, pendingHighStart, start + 2);
        return;
      }
      flushHigh();
    }
    if (v >= 0xD800 && v <= 0xDBFF) {
      pendingHigh = v;
      pendingHighStart = start;
    } else if (v >= 0xDC00 && v <= 0xDFFF) {
      symbol(REPLACEMENT, start, start + 2);
    } else {
      symbol(v, start, start + 2);
    }
  }

  private void flushHigh() {
    if (pendingHigh >= 0) {
      pendingHigh = -1;
      symbol(REPLACEMENT, pendingHighStart, pendingHighStart + 2);
    }
  }

  /** Takes the next symbol (a code point, or a byte when the text is taken as bytes). */
  private void symbol(int v, long start, long end) {
    if (!jsonEscapes) {
      emitRaw(v, start, end);
      return;
    }
    switch (state) {
      case NORMAL:
        if (v == '\\') {
          hold(v, start, end);
          state = BACKSLASH;
        } else {
          emitRaw(v, start, end);
        }
        return;
      case BACKSLASH:
        if (v == 'u') {
          hold(v, start, end);
          state = HEX;
        } else if (v == '/' || v == 'b' || v == 'f' || v == 'n' || v == 'r' || v == 't') {
          // A control character reads as a space: a separator, as it is to the receiver.
          long first = heldStart[0];
          heldCount = 0;
          state = NORMAL;
          emitDecoded(v == '/' ? '/' : ' ', first, end);
        } else {
          flushHeld(heldCount);
          state = NORMAL;
          emitRaw(v, start, end);
        }
        return;
      case HEX:
      case HIGH_HEX:
        if (hexValue(v) < 0) {
          fallBack(v, start, end);
          return;
        }
        hold(v, start, end);
        if (state == HEX && heldCount == 6) {
          int cp = hexAt(2);
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            state = HIGH;
          } else {
            long first = heldStart[0];
            heldCount = 0;
            state = NORMAL;
            if (cp == '"' || cp == '\\') {
              // Stays an escape, in its short form, so the structure holds.
              emitEscape(cp, first, end);
            } else {
              emitDecoded(cp < 0x20 ? ' ' : cp >= 0xDC00 && cp <= 0xDFFF ? REPLACEMENT : cp, first, end);
            }
          }
        } else if (state == HIGH_HEX && heldCount == 12) {
          int low = hexAt(8);
          if (low >= 0xDC00 && low <= 0xDFFF) {
            int cp = Character.toCodePoint((char) hexAt(2), (char) low);
            long first = heldStart[0];
            heldCount = 0;
            state = NORMAL;
            emitDecoded(cp, first, end);
          } else {
            refeedAfterHigh(-1, 0, 0);
          }
        }
        return;
      case HIGH:
        if (v == '\\') {
          hold(v, start, end);
          state = HIGH_BACKSLASH;
        } else {
          fallBack(v, start, end);
        }
        return;
      case HIGH_BACKSLASH:
        if (v == 'u') {
          hold(v, start, end);
          state = HIGH_HEX;
        } else {
          fallBack(v, start, end);
        }
        return;
      default:
        throw new IllegalStateException("escape state: " + state + " (expected: 0 to 5)");
    }
  }

  /**
   * An escape that does not decode: in a plain escape the held symbols go out as written; after a
   * high surrogate, that one goes out as written and the rest is read again.
   */
  private void fallBack(int v, long start, long end) {
    if (state == HEX || state == BACKSLASH) {
      flushHeld(heldCount);
      state = NORMAL;
      symbol(v, start, end);
      return;
    }
    refeedAfterHigh(v, start, end);
  }

  private void refeedAfterHigh(int v, long start, long end) {
    int rest = heldCount - 6;
    int[] values = Arrays.copyOfRange(heldValue, 6, heldCount);
    long[] starts = Arrays.copyOfRange(heldStart, 6, heldCount);
    long restEnd = heldEnd;
    long first = heldStart[0];
    heldCount = 0;
    state = NORMAL;
    // An unpaired high surrogate reads as U+FFFD, as a receiver decodes it.
    emitDecoded(REPLACEMENT, first, starts.length > 0 ? starts[0] : restEnd);
    for (int k = 0; k < rest; k++) {
      symbol(values[k], starts[k], k + 1 < rest ? starts[k + 1] : restEnd);
    }
    if (v >= 0) {
      symbol(v, start, end);
    }
  }

  private int hexAt(int from) {
    int cp = 0;
    for (int k = from; k < from + 4; k++) {
      cp = cp << 4 | hexValue(heldValue[k]);
    }
    return cp;
  }

  /** Returns the value of an ASCII hex digit, or -1 (the JSON tracker reads \\u escapes with it too). */
  static int hexValue(int v) {
    if (v >= '0' && v <= '9') {
      return v - '0';
    }
    if (v >= 'a' && v <= 'f') {
      return v - 'a' + 10;
    }
    if (v >= 'A' && v <= 'F') {
      return v - 'A' + 10;
    }
    return -1;
  }

  private void hold(int v, long start, long end) {
    heldValue[heldCount] = v;
    heldStart[heldCount] = start;
    heldCount++;
    heldEnd = end;
  }

  /** Writes the first {@code count} held symbols as they are and keeps the others held. */
  private void flushHeld(int count) {
    for (int k = 0; k < count; k++) {
      emitRaw(heldValue[k], heldStart[k], k + 1 < heldCount ? heldStart[k + 1] : heldEnd);
    }
    int rest = heldCount - count;
    System.arraycopy(heldValue, count, heldValue, 0, rest);
    System.arraycopy(heldStart, count, heldStart, 0, rest);
    heldCount = rest;
  }

  /** Writes a symbol that stands for itself. */
  private void emitRaw(int v, long start, long end) {
    if (encoding == Encoding.BYTES) {
      ensure(1);
      out[outLength++] = (byte) v;
      return;
    }
    emitDecoded(v, start, end);
  }

  /** Writes the short escape of {@code c} (a quote or a backslash) for {@code [start, end)}. */
  private void emitEscape(int c, long start, long end) {
    ensure(2);
    long at = decodedBefore + outLength;
    out[outLength++] = '\\';
    out[outLength++] = (byte) c;
    recordUnit(at, start, 2, (int) (end - start));
  }

  /** Writes code point {@code cp} as UTF-8 for the original bytes {@code [start, end)}. */
  private void emitDecoded(int cp, long start, long end) {
    ensure(4);
    long at = decodedBefore + outLength;
    int n;
    if (cp < 0x80) {
      out[outLength] = (byte) cp;
      n = 1;
    } else if (cp < 0x800) {
      out[outLength] = (byte) (0xC0 | cp >> 6);
      out[outLength + 1] = (byte) (0x80 | (cp & 0x3F));
      n = 2;
    } else if (cp < 0x10000) {
      out[outLength] = (byte) (0xE0 | cp >> 12);
      out[outLength + 1] = (byte) (0x80 | (cp >> 6 & 0x3F));
      out[outLength + 2] = (byte) (0x80 | (cp & 0x3F));
      n = 3;
    } else {
      out[outLength] = (byte) (0xF0 | cp >> 18);
      out[outLength + 1] = (byte) (0x80 | (cp >> 12 & 0x3F));
      out[outLength + 2] = (byte) (0x80 | (cp >> 6 & 0x3F));
      out[outLength + 3] = (byte) (0x80 | (cp & 0x3F));
      n = 4;
    }
    outLength += n;
    recordUnit(at, start, n, (int) (end - start));
  }

  private void ensure(int more) {
    if (outLength + more > out.length) {
      out = Arrays.copyOf(out, Math.max(out.length * 2, outLength + more));
    }
  }

  private void recordUnit(long decoded, long originalStart, int decodedLength, int originalLength) {
    if (unitsSize == unitDecoded.length) {
      if (unitsHead > unitDecoded.length / 2) {
        int live = unitsSize - unitsHead;
        System.arraycopy(unitDecoded, unitsHead, unitDecoded, 0, live);
        System.arraycopy(unitOriginal, unitsHead, unitOriginal, 0, live);
        System.arraycopy(unitDecodedLength, unitsHead, unitDecodedLength, 0, live);
        System.arraycopy(unitOriginalLength, unitsHead, unitOriginalLength, 0, live);
        unitsSize = live;
        unitsHead = 0;
      } else {
        int size = Math.max(64, unitDecoded.length * 2);
        unitDecoded = Arrays.copyOf(unitDecoded, size);
        unitOriginal = Arrays.copyOf(unitOriginal, size);
        unitDecodedLength = Arrays.copyOf(unitDecodedLength, size);
        unitOriginalLength = Arrays.copyOf(unitOriginalLength, size);
      }
    }
    unitDecoded[unitsSize] = decoded;
    unitOriginal[unitsSize] = originalStart;
    unitDecodedLength[unitsSize] = decodedLength;
    unitOriginalLength[unitsSize] = originalLength;
    unitsSize++;
  }

  // ---- mapping back ----

  /** Returns the index of the last recorded unit starting at or before {@code position}, or -1. */
  private int unitAtOrBefore(long position) {
    int lo = unitsHead;
    int hi = unitsSize;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (unitDecoded[mid] <= position) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo == unitsHead ? -1 : lo - 1;
  }

  /**
   * Returns the original offset where decoded position {@code position} starts: the start of the
   * unit holding it (or the end of all decoded input).
   */
  long originalStart(long position) {
    return original(position, false);
  }

  /** Returns the original offset where decoded bytes ending at {@code position} end. */
  long originalEnd(long position) {
    return original(position, true);
  }

  private long original(long position, boolean roundUp) {
    int i = unitAtOrBefore(position);
    if (i < 0) {
      return position + forgottenDelta;
    }
    long unitEnd = unitDecoded[i] + unitDecodedLength[i];
    if (position < unitEnd) {
      return roundUp && position > unitDecoded[i]
          ? unitOriginal[i] + unitOriginalLength[i]
          : unitOriginal[i];
    }
    return unitOriginal[i] + unitOriginalLength[i] + (position - unitEnd);
  }

  /** Returns the decoded end of the recorded unit holding {@code position}, or -1 for a plain byte. */
  private long unitEnd(long position) {
    int i = unitAtOrBefore(position);
    if (i < 0 || position >= unitDecoded[i] + unitDecodedLength[i]) {
      return -1;
    }
    return unitDecoded[i] + unitDecodedLength[i];
  }

  /** Returns whether decoded {@code [from, to)} is its original bytes one for one. */
  boolean plain(long from, long to) {
    if (encoding != Encoding.BYTES) {
      return false;
    }
    int i = unitAtOrBefore(to - 1);
    return i < 0 || unitDecoded[i] + unitDecodedLength[i] <= from;
  }

  /** Forgets units that end before decoded position {@code position}; none is asked about later. */
  void forgetBefore(long position) {
    while (unitsHead < unitsSize && unitDecoded[unitsHead] + unitDecodedLength[unitsHead] <= position) {
      forgottenDelta = unitOriginal[unitsHead] + unitOriginalLength[unitsHead]
          - unitDecoded[unitsHead] - unitDecodedLength[unitsHead];
      unitsHead++;
    }
    if (unitsHead == unitsSize) {
      unitsHead = 0;
      unitsSize = 0;
    }
  }

  // ---- original bytes, for redaction ----

  /** Drops the original bytes before {@code offset}; none before it is written or rewritten later. */
  void dropOriginalBefore(long offset) {
    if (original != null) {
      original.dropBefore(offset);
    }
  }

  /** Writes the original bytes {@code [from, to)}. */
  void writeOriginal(RedactedOutput output, long from, long to) {
    java.util.Objects.requireNonNull(original).write(output, from, to);
  }

  /** Returns {@code ascii} (letters, digits, punctuation) encoded as the original text is. */
  byte[] encodeAscii(byte[] ascii) {
    Encoding e = java.util.Objects.requireNonNull(encoding);
    if (e.width == 1) {
      return ascii;
    }
    byte[] result = new byte[ascii.length * e.width];
    for (int i = 0; i < ascii.length; i++) {
      result[i * e.width + (e.littleEndian ? 0 : e.width - 1)] = ascii[i];
    }
    return result;
  }

  /**
   * Returns the masked rewrite of the original bytes of decoded {@code [from, to)}, whose decoded
   * bytes are {@code decoded[offset, offset + to - from)}: each unit holding a letter, a digit or a
   * non-ASCII character (and, in a JSON string, each escape sequence left as written) becomes
   * {@code *} repeated to the unit's original length, encoded as the original; other units stay as
   * written. {@code keepLastFour} keeps the last four letters or digits as written when there are
   * at least eight. The result is as long as the original bytes, from {@code originalStart(from)}
   * to {@code originalEnd(to)}.
   */
  byte[] mask(byte[] decoded, int offset, long from, long to, boolean keepLastFour, boolean jsonString) {
    Encoding e = java.util.Objects.requireNonNull(encoding);
    OriginalWindow window = java.util.Objects.requireNonNull(original);
    long os = originalStart(from);
    long oe = originalEnd(to);
    byte[] result = new byte[(int) (oe - os)];
    int alphanumeric = 0;
    if (keepLastFour) {
      for (long p = from; p < to; p = groupEnd(decoded, offset, from, p, to, jsonString)) {
        if (isAlphanumericGroup(decoded, offset, from, p, groupEnd(decoded, offset, from, p, to, jsonString), jsonString)) {
          alphanumeric++;
        }
      }
    }
    int keep = keepLastFour && alphanumeric >= 8 ? 4 : 0;
    int seen = 0;
    int w = 0;
    for (long p = from; p < to; ) {
      long g = groupEnd(decoded, offset, from, p, to, jsonString);
      long gs = p == from ? os : originalStart(p);
      long ge = g == to ? oe : originalStart(g);
      int b = decoded[offset + (int) (p - from)] & 0xff;
      boolean escape = jsonString && b == '\\';
      boolean alnum = isAlphanumericGroup(decoded, offset, from, p, g, jsonString);
      if (alnum) {
        seen++;
      }
      boolean kept = keep > 0 && alnum && seen > alphanumeric - keep;
      boolean masked = !kept && (escape || alnum || b >= 0x80 || g - p > 1);
      int length = (int) (ge - gs);
      if (masked) {
        int stars = length / e.width;
        for (int s = 0; s < stars; s++) {
          result[w + s * e.width + (e.littleEndian ? 0 : e.width - 1)] = '*';
        }
        int done = stars * e.width;
        if (done < length) {
          window.copy(gs + done, result, w + done, length - done);
        }
      } else {
        window.copy(gs, result, w, length);
      }
      w += length;
      p = g;
    }
    return result;
  }

  /** Returns where the group of decoded bytes starting at {@code p} ends (at most {@code to}). */
  private long groupEnd(byte[] decoded, int offset, long from, long p, long to, boolean jsonString) {
    int b = decoded[offset + (int) (p - from)] & 0xff;
    if (jsonString && b == '\\') {
      boolean u = p + 1 < to && decoded[offset + (int) (p + 1 - from)] == 'u';
      long end = p + (u ? 6 : 2);
      // Each character of an escape left as written is its own unit when the text was transcoded.
      long unit = unitEnd(end - 1);
      return Math.min(to, Math.max(end, unit));
    }
    long unit = unitEnd(p);
    return Math.min(to, unit < 0 ? p + 1 : unit);
  }

  private static boolean isAlphanumericGroup(
      byte[] decoded, int offset, long from, long p, long g, boolean jsonString) {
    if (g - p != 1) {
      return false;
    }
    int b = decoded[offset + (int) (p - from)] & 0xff;
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
  }

  /** Returns about how many bytes this decoder holds: recorded units and original bytes. */
  long retainedBytes() {
    return (original != null ? original.retainedBytes() : 0) + 24L * (unitsSize - unitsHead) + SNIFF + 16L * 12;
  }
}
