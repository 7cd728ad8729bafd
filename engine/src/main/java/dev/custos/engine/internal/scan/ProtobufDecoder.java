package dev.custos.engine.internal.scan;

import dev.custos.engine.ProtobufSchema;
import dev.custos.engine.RedactedOutput;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.ScanNote;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Walks the protobuf wire format without a schema, chunk by chunk, for the scanning pipeline: the
 * decoded stream is the content of every string or bytes field, each followed by a separator byte
 * ({@code '\n'}), so that a match lies within one field; offsets map back to the original bytes,
 * which hold each field's content unchanged.
 *
 * <p>The top-level message streams. A length-delimited field of at most {@link #MAX_HELD} bytes is
 * held until all of it has arrived and then decided: it is a nested message when its bytes parse
 * completely as one and are not plain text (valid UTF-8 without control characters other than tab,
 * line feed and carriage return), and otherwise a string or bytes, scanned as its bytes. Nested
 * messages are walked in the same way down to {@link #MAX_DEPTH}; deeper, a field is scanned as a
 * string ({@link ScanNote#PROTOBUF_TOO_DEEP} when it would have parsed as a message). A longer
 * field streams as a string without being decided ({@link ScanNote#PROTOBUF_FIELD_TOO_LONG}).
 * Bytes that are not a message (a bad wire type, field number 0, an overlong varint, a length
 * past the end, a truncated field) are scanned from the start of that field on as text, path
 * {@code $} ({@link ScanNote#PROTOBUF_MALFORMED}).
 *
 * <p>A field's path is {@code $} followed by {@code .number} per level, with {@code [n]} after the
 * n-th occurrence (from 0) of a field number in its message when {@code n > 0}: {@code $.1.3[2].5}.
 * With a schema, a known field takes its name instead ({@code $.user.cards[0].number}; a repeated
 * field always has its index), its name is the token's key (context, as a JSON key), and its kind
 * decides: a string or bytes field is scanned, a message field walked when it parses (no text
 * test), another kind skipped.
 *
 * <p>Memory: the held field, the original bytes not yet written (redacting streams only; a
 * separator is placed at least every {@value #MARK_EVERY} original bytes between top-level fields
 * so that output never waits long), the segments of the retained window, and one count per
 * distinct top-level field number (at most {@value #MAX_COUNTED}; past that, later numbers take no
 * index). Work per byte is bounded by the depth limit. Not thread-safe.
 */
final class ProtobufDecoder implements FieldDecoder {
  /** The deepest nesting walked as messages; the top-level message is at depth 0. */
  static final int MAX_DEPTH = 64;
  /** The longest length-delimited field held to decide whether it is a message. */
  static final int MAX_HELD = 64 * 1024;
  static final int MARK_EVERY = 4096;
  static final int MAX_COUNTED = 4096;
  static final byte SEPARATOR = '\n';

  private static final int TAG = 0;
  private static final int VARINT = 1;
  private static final int FIXED = 2;
  private static final int LENGTH = 3;
  private static final int HOLD = 4;
  private static final int LEAF = 5;
  private static final int TEXT = 6;
  /** The content of a field the schema says holds no text (a packed number). */
  private static final int SKIP = 7;

  private byte[] out = new byte[256];
  private int outLength;
  /** Decoded bytes before the current call. */
  private long decoded;
  private long fed;

  private int state = TAG;
  /** The bytes of the current top-level field before its content (tag, varint, length). */
  private final byte[] header = new byte[32];
  private int headerLength;
  private long fieldStart;
  private long varint;
  private int varintBytes;
  private int fieldNumber;
  private long remaining;
  private byte[] held = new byte[0];
  private int heldLength;
  private long heldStart;
  private final Map<Integer, Integer> rootCounts = new HashMap<>();
  /** Original offset where the last segment or mark ended. */
  private long lastMark;

  // Segments: every decoded byte belongs to one, as content or as the separator after it.
  private long[] segDecoded = new long[32];
  private long[] segOriginal = new long[32];
  /** Content length, or -1 while the field is still streaming. */
  private int[] segLength = new int[32];
  private @Nullable String[] segPath = new String[32];
  private @Nullable String[] segKey = new String[32];
  private int segHead;
  private int segSize;
  private int cachedSegment = -1;
  private JsonTracker.@Nullable Token cachedToken;

  private boolean started;
  private boolean malformed;
  private boolean tooDeep;
  private boolean tooLong;

  private final @Nullable OriginalWindow original;
  /** Told the content of every string or bytes field, or null. */
  private final @Nullable Leaves leaves;
  /** Whether the field streaming in state LEAF was told to {@link #leaves}. */
  private boolean leafTold;
  /** The schema and the top-level message's type, or null to read without one. */
  private final @Nullable ProtobufSchema schema;
  private final ProtobufSchema.@Nullable Message root;

  /**
   * Receives the content of each string or bytes field the decoder scans, in order: {@link #begin},
   * then {@link #content} for each piece, then {@link #end}. Bytes scanned as text because they are
   * not protobuf are not told; nor is a field cut short by the end of the input.
   */
  interface Leaves {
    /** Starts a field at {@code path} whose content begins at original offset {@code origin}. */
    void begin(String path, long origin);

    /** Takes the next piece of the field's content. */
    void content(byte[] bytes, int from, int length);

    /** Ends the field. */
    void end();
  }

  ProtobufDecoder(boolean keepOriginal) {
    this(keepOriginal, null, null);
  }

  /**
   * A decoder that reads the top-level message as {@code root} of {@code schema} (both null: without
   * a schema): known fields take their names in paths and as keys, and their declared kinds decide
   * how they are read; unknown fields are read as without a schema.
   */
  ProtobufDecoder(boolean keepOriginal, @Nullable ProtobufSchema schema, ProtobufSchema.@Nullable Message root) {
    this(keepOriginal, schema, root, null);
  }

  /**
   * A decoder as {@link #ProtobufDecoder(boolean, ProtobufSchema, ProtobufSchema.Message)} makes,
   * which also tells {@code leaves} the content of every string or bytes field it scans.
   */
  ProtobufDecoder(boolean keepOriginal, @Nullable ProtobufSchema schema, ProtobufSchema.@Nullable Message root,
      @Nullable Leaves leaves) {
    this.leaves = leaves;
    this.original = keepOriginal ? new OriginalWindow() : null;
    this.schema = schema;
    this.root = root;
  }

  @Override
  public int decode(byte[] bytes, int offset, int length) {
    if (original != null) {
      original.append(bytes, offset, length);
    }
    outLength = 0;
    start();
    int i = offset;
    int end = offset + length;
    while (i < end) {
      long pos = fed + (i - offset);
      switch (state) {
        case TEXT -> {
          content(bytes, i, end - i);
          i = end;
        }
        case LEAF -> {
          int n = (int) Math.min(remaining, end - i);
          content(bytes, i, n);
          if (leafTold) {
            Objects.requireNonNull(leaves).content(bytes, i, n);
          }
          i += n;
          remaining -= n;
          if (remaining == 0) {
            if (leafTold) {
              leafTold = false;
              Objects.requireNonNull(leaves).end();
            }
            endLeaf();
            fieldEnded(pos + n);
          }
        }
        case HOLD -> {
          int n = (int) Math.min(remaining, end - i);
          System.arraycopy(bytes, i, held, heldLength, n);
          heldLength += n;
          i += n;
          remaining -= n;
          if (remaining == 0) {
            decideHeld();
            fieldEnded(pos + n);
          }
        }
        case SKIP -> {
          int n = (int) Math.min(remaining, end - i);
          i += n;
          remaining -= n;
          if (remaining == 0) {
            fieldEnded(pos + n);
          }
        }
        case FIXED -> {
          int n = (int) Math.min(remaining, end - i);
          System.arraycopy(bytes, i, header, headerLength, n);
          headerLength += n;
          i += n;
          remaining -= n;
          if (remaining == 0) {
            fieldEnded(pos + n);
          }
        }
        default -> {
          byte b = bytes[i++];
          if (state == TAG && headerLength == 0) {
            fieldStart = pos;
          }
          header[headerLength++] = b;
          varint |= (long) (b & 0x7f) << (7 * varintBytes);
          varintBytes++;
          boolean last = (b & 0x80) == 0;
          if (!last) {
            if (varintBytes == (state == TAG ? 5 : 10)) {
              fail(bytes, i, end);
              i = end;
            }
            continue;
          }
          long value = varint;
          varint = 0;
          varintBytes = 0;
          if (!varintDone(value, pos + 1)) {
            fail(bytes, i, end);
            i = end;
          }
        }
      }
    }
    fed += length;
    decoded += outLength;
    return outLength;
  }

  /** Takes a whole varint of the current field; returns false if the bytes are not a message. */
  private boolean varintDone(long value, long next) {
    switch (state) {
      case TAG -> {
        long number = value >>> 3;
        int wireType = (int) (value & 7);
        if (number == 0 || number > 0x1FFF_FFFFL) {
          return false;
        }
        fieldNumber = (int) number;
        switch (wireType) {
          case 0 -> state = VARINT;
          case 1 -> {
            state = FIXED;
            remaining = 8;
          }
          case 5 -> {
            state = FIXED;
            remaining = 4;
          }
          case 2 -> state = LENGTH;
          default -> {
            return false;
          }
        }
        return true;
      }
      case VARINT -> {
        fieldEnded(next);
        return true;
      }
      default -> {
        // LENGTH
        if (value < 0 || value > Integer.MAX_VALUE) {
          return false;
        }
        ProtobufSchema.Field field = root == null ? null : root.field(fieldNumber);
        String path = childPath("$", rootCounts, fieldNumber, true, field);
        heldField = field;
        if (value == 0) {
          fieldEnded(next);
        } else if (field != null && field.kind() == ProtobufSchema.Kind.OTHER) {
          state = SKIP;
          remaining = value;
        } else if (value <= MAX_HELD) {
          state = HOLD;
          remaining = value;
          heldStart = next;
          heldLength = 0;
          if (held.length < value) {
            held = new byte[(int) Math.max(value, Math.min(MAX_HELD, held.length * 2L))];
          }
          heldPath = path;
        } else {
          // Too long to hold: streamed as a string, undecided unless the schema says it is one.
          tooLong |= field == null || field.kind() == ProtobufSchema.Kind.MESSAGE;
          state = LEAF;
          remaining = value;
          beginLeaf(next, path, field == null ? null : field.name());
          if (leaves != null) {
            leaves.begin(path, next);
            leafTold = true;
          }
        }
        return true;
      }
    }
  }

  private String heldPath = "$";
  private ProtobufSchema.@Nullable Field heldField;

  /** Ends a top-level field at original offset {@code end}: back to reading a tag. */
  private void fieldEnded(long end) {
    state = TAG;
    headerLength = 0;
    varint = 0;
    varintBytes = 0;
    if (end - lastMark >= MARK_EVERY) {
      mark(end);
    }
  }

  /**
   * The current top-level field is not protobuf: its bytes so far and everything after are one
   * text field, path {@code $}.
   */
  private void fail(byte[] bytes, int from, int end) {
    malformed = true;
    beginLeaf(fieldStart, "$", null);
    content(header, 0, headerLength);
    if (state == HOLD) {
      content(held, 0, heldLength);
    }
    content(bytes, from, end - from);
    headerLength = 0;
    state = TEXT;
  }

  private void decideHeld() {
    decide(held, 0, heldLength, heldStart, heldPath, heldField, 1);
  }

  /**
   * Reads the content {@code b[from, to)} (at original offset {@code origin}, nesting depth {@code
   * depth}) of a length-delimited field, described by {@code field} when the schema knows it: a
   * string or bytes field is scanned, a message field walked when it parses, a field of another
   * kind skipped; an unknown field is a message when it parses and is not plain text.
   */
  private void decide(byte[] b, int from, int to, long origin, String path,
      ProtobufSchema.@Nullable Field field, int depth) {
    String key = field == null ? null : field.name();
    if (field != null && field.kind() == ProtobufSchema.Kind.OTHER) {
      return;
    }
    if (field != null && field.kind() != ProtobufSchema.Kind.MESSAGE) {
      leaf(b, from, to, origin, path, key);
      return;
    }
    boolean message = field != null ? parses(b, from, to) : isMessage(b, from, to);
    if (depth > MAX_DEPTH) {
      tooDeep |= message;
      leaf(b, from, to, origin, path, key);
    } else if (message) {
      String type = field == null ? null : field.messageType();
      walk(b, from, to, origin, path, depth,
          type == null ? null : Objects.requireNonNull(schema).message(type));
    } else {
      leaf(b, from, to, origin, path, key);
    }
  }

  /** Walks a message known to parse, {@code b[from, to)} at original offset {@code origin}. */
  private void walk(byte[] b, int from, int to, long origin, String path, int depth,
      ProtobufSchema.@Nullable Message type) {
    Map<Integer, Integer> counts = new HashMap<>();
    int i = from;
    while (i < to) {
      long tag = 0;
      int shift = 0;
      while (true) {
        byte x = b[i++];
        tag |= (long) (x & 0x7f) << shift;
        shift += 7;
        if ((x & 0x80) == 0) {
          break;
        }
      }
      int number = (int) (tag >>> 3);
      switch ((int) (tag & 7)) {
        case 0 -> {
          while ((b[i++] & 0x80) != 0) {
            // skip the value
          }
        }
        case 1 -> i += 8;
        case 5 -> i += 4;
        default -> {
          long len = 0;
          shift = 0;
          while (true) {
            byte x = b[i++];
            len |= (long) (x & 0x7f) << shift;
            shift += 7;
            if ((x & 0x80) == 0) {
              break;
            }
          }
          int start = i;
          i += (int) len;
          ProtobufSchema.Field field = type == null ? null : type.field(number);
          String child = childPath(path, counts, number, false, field);
          if (len == 0) {
            continue;
          }
          decide(b, start, i, origin + (start - from), child, field, depth + 1);
        }
      }
    }
  }

  private static String childPath(String parent, Map<Integer, Integer> counts, int number, boolean root,
      ProtobufSchema.@Nullable Field field) {
    Integer seen = counts.get(number);
    int n = seen == null ? 0 : seen;
    if (seen != null || !root || counts.size() < MAX_COUNTED) {
      counts.put(number, n + 1);
    }
    StringBuilder p = new StringBuilder(parent.length() + 12).append(parent);
    if (field != null) {
      JsonTracker.appendName(field.name(), p);
    } else {
      p.append('.').append(number);
    }
    if (n > 0 || (field != null && field.repeated())) {
      p.append('[').append(n).append(']');
    }
    return p.toString();
  }

  /**
   * Returns whether {@code b[from, to)} is a message: not plain text, and parsing completely as
   * fields with valid numbers, wire types 0, 1, 2 or 5 and lengths within the bytes.
   */
  static boolean isMessage(byte[] b, int from, int to) {
    return to > from && !isPlainText(b, from, to) && parses(b, from, to);
  }

  /** Returns whether {@code b[from, to)} parses completely as protobuf fields. */
  static boolean parses(byte[] b, int from, int to) {
    int i = from;
    while (i < to) {
      long tag = 0;
      int k = 0;
      while (true) {
        if (i >= to || k == 5) {
          return false;
        }
        byte x = b[i++];
        tag |= (long) (x & 0x7f) << (7 * k++);
        if ((x & 0x80) == 0) {
          break;
        }
      }
      if ((tag >>> 3) == 0 || (tag >>> 3) > 0x1FFF_FFFFL) {
        return false;
      }
      switch ((int) (tag & 7)) {
        case 0 -> {
          k = 0;
          while (true) {
            if (i >= to || k == 10) {
              return false;
            }
            k++;
            if ((b[i++] & 0x80) == 0) {
              break;
            }
          }
        }
        case 1 -> {
          if (to - i < 8) {
            return false;
          }
          i += 8;
        }
        case 5 -> {
          if (to - i < 4) {
            return false;
          }
          i += 4;
        }
        case 2 -> {
          long len = 0;
          k = 0;
          while (true) {
            if (i >= to || k == 10) {
              return false;
            }
            byte x = b[i++];
            len |= (long) (x & 0x7f) << (7 * k++);
            if ((x & 0x80) == 0) {
              break;
            }
          }
          if (len < 0 || len > to - i) {
            return false;
          }
          i += (int) len;
        }
        default -> {
          return false;
        }
      }
    }
    return true;
  }

  /** Returns whether the bytes are valid UTF-8 without control characters other than tab, LF, CR. */
  static boolean isPlainText(byte[] b, int from, int to) {
    int i = from;
    while (i < to) {
      int c = b[i] & 0xff;
      if (c < 0x80) {
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
          return false;
        }
        i++;
        continue;
      }
      int more;
      int min;
      if (c >= 0xc2 && c <= 0xdf) {
        more = 1;
        min = 0x80;
      } else if (c >= 0xe0 && c <= 0xef) {
        more = 2;
        min = 0x800;
      } else if (c >= 0xf0 && c <= 0xf4) {
        more = 3;
        min = 0x10000;
      } else {
        return false;
      }
      if (to - i <= more) {
        return false;
      }
      int cp = c & (0x3f >> more);
      for (int k = 1; k <= more; k++) {
        int x = b[i + k] & 0xff;
        if ((x & 0xc0) != 0x80) {
          return false;
        }
        cp = (cp << 6) | (x & 0x3f);
      }
      if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return false;
      }
      i += more + 1;
    }
    return true;
  }

  @Override
  public int finish() {
    outLength = 0;
    start();
    switch (state) {
      case LEAF -> {
        malformed = true;
        endLeaf();
      }
      case TEXT -> endLeaf();
      case HOLD, FIXED, VARINT, LENGTH, SKIP -> fail(header, 0, 0);
      default -> {
        if (headerLength > 0) {
          fail(header, 0, 0);
        }
      }
    }
    if (state == TEXT) {
      endLeaf();
    }
    mark(fed);
    decoded += outLength;
    return outLength;
  }

  // ---- decoded output and segments ----

  /** Opens the decoded stream with a separator at offset 0, so that bytes before the first field map. */
  private void start() {
    if (!started) {
      started = true;
      mark(0);
    }
  }

  private void ensure(int more) {
    if (outLength + more > out.length) {
      out = Arrays.copyOf(out, Math.max(out.length * 2, outLength + more));
    }
  }

  private void content(byte[] b, int from, int n) {
    if (n > 0) {
      ensure(n);
      System.arraycopy(b, from, out, outLength, n);
      outLength += n;
    }
  }

  private void leaf(byte[] b, int from, int to, long origin, String path, @Nullable String key) {
    beginLeaf(origin, path, key);
    content(b, from, to - from);
    endLeaf();
    Leaves l = leaves;
    if (l != null) {
      l.begin(path, origin);
      l.content(b, from, to - from);
      l.end();
    }
  }

  private void beginLeaf(long origin, String path, @Nullable String key) {
    addSegment(decoded + outLength, origin, -1, path, key);
  }

  private void endLeaf() {
    int last = segSize - 1;
    int length = (int) (decoded + outLength - segDecoded[last]);
    segLength[last] = length;
    lastMark = segOriginal[last] + length;
    ensure(1);
    out[outLength++] = SEPARATOR;
    state = state == TEXT ? TAG : state;
  }

  /** Places an empty segment and its separator at original offset {@code origin}. */
  private void mark(long origin) {
    addSegment(decoded + outLength, origin, 0, null, null);
    lastMark = origin;
    ensure(1);
    out[outLength++] = SEPARATOR;
  }

  private void addSegment(long at, long origin, int length, @Nullable String path, @Nullable String key) {
    if (segSize == segDecoded.length) {
      if (segHead > segDecoded.length / 2) {
        int live = segSize - segHead;
        System.arraycopy(segDecoded, segHead, segDecoded, 0, live);
        System.arraycopy(segOriginal, segHead, segOriginal, 0, live);
        System.arraycopy(segLength, segHead, segLength, 0, live);
        System.arraycopy(segPath, segHead, segPath, 0, live);
        System.arraycopy(segKey, segHead, segKey, 0, live);
        Arrays.fill(segPath, live, segSize, null);
        Arrays.fill(segKey, live, segSize, null);
        cachedSegment = -1;
        segSize = live;
        segHead = 0;
      } else {
        int n = segDecoded.length * 2;
        segDecoded = Arrays.copyOf(segDecoded, n);
        segOriginal = Arrays.copyOf(segOriginal, n);
        segLength = Arrays.copyOf(segLength, n);
        segPath = Arrays.copyOf(segPath, n);
        segKey = Arrays.copyOf(segKey, n);
      }
    }
    segDecoded[segSize] = at;
    segOriginal[segSize] = origin;
    segLength[segSize] = length;
    segPath[segSize] = path;
    segKey[segSize] = key;
    segSize++;
  }

  /** Returns the index of the last segment starting at or before {@code position}, or -1. */
  private int segmentAt(long position) {
    int lo = segHead;
    int hi = segSize;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (segDecoded[mid] <= position) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo == segHead ? -1 : lo - 1;
  }

  /** Returns whether {@code position} is content of segment {@code s} (not its separator). */
  private boolean inContent(int s, long position) {
    return s >= 0 && (segLength[s] < 0 || position < segDecoded[s] + segLength[s]);
  }

  @Override
  public byte[] decoded() {
    return out;
  }

  @Override
  public long fed() {
    return fed;
  }

  @Override
  public void addNotes(Set<ScanNote> notes) {
    if (malformed) {
      notes.add(ScanNote.PROTOBUF_MALFORMED);
    }
    if (tooDeep) {
      notes.add(ScanNote.PROTOBUF_TOO_DEEP);
    }
    if (tooLong) {
      notes.add(ScanNote.PROTOBUF_FIELD_TOO_LONG);
    }
  }

  @Override
  public boolean mayEndField(int next) {
    return next == SEPARATOR;
  }

  @Override
  public long originalOffset(long position) {
    int s = segmentAt(position);
    if (s < 0) {
      return 0;
    }
    long offset = position - segDecoded[s];
    if (segLength[s] >= 0) {
      offset = Math.min(offset, segLength[s]);
    }
    return segOriginal[s] + offset;
  }

  @Override
  public JsonTracker.@Nullable Token tokenAt(long position) {
    int s = segmentAt(position);
    if (!inContent(s, position)) {
      return null;
    }
    if (s != cachedSegment || cachedToken == null || cachedToken.contentStart != segDecoded[s]) {
      cachedToken = new JsonTracker.Token(segDecoded[s], Objects.requireNonNull(segPath[s]), segKey[s]);
      cachedSegment = s;
    }
    return cachedToken;
  }

  @Override
  public long fieldStart(long position) {
    int s = segmentAt(position);
    return inContent(s, position) ? segDecoded[s] : -1;
  }

  @Override
  public void forgetBefore(long fieldsBefore, long position) {
    long before = Math.min(fieldsBefore, position);
    while (segHead + 1 < segSize && segDecoded[segHead + 1] <= before) {
      segPath[segHead] = null;
      segKey[segHead] = null;
      segHead++;
      cachedSegment = -1;
    }
  }

  @Override
  public void dropOriginalBefore(long offset) {
    Objects.requireNonNull(original).dropBefore(offset);
  }

  @Override
  public void writeOriginal(RedactedOutput output, long from, long to) {
    Objects.requireNonNull(original).write(output, from, to);
  }

  /** Masks in place whatever the style: a protobuf field keeps its length, so {@code hash} masks too. */
  @Override
  public byte[] rewrite(long from, long to, RedactionStyle style, @Nullable String label) {
    OriginalWindow window = Objects.requireNonNull(original);
    return Rewriter.maskInPlace(
        window.array(), window.index(from), (int) (to - from), style == RedactionStyle.PARTIAL, false);
  }

  @Override
  public long retainedBytes() {
    return (original != null ? original.retainedBytes() : 0) + held.length
        + 40L * (segSize - segHead) + 24L * rootCounts.size();
  }
}
