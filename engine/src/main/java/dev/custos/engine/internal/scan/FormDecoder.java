package dev.custos.engine.internal.scan;

import dev.custos.engine.RedactedOutput;
import dev.custos.engine.RedactionStyle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Decodes {@code application/x-www-form-urlencoded} bytes, chunk by chunk, for the scanning
 * pipeline, and maps what the pipeline finds back to the original bytes.
 *
 * <p>The decoded stream keeps the structure: every raw {@code &} and the first raw {@code =} of a
 * field stay as they are, while names and values are decoded ({@code +} is a space, {@code %XX} is
 * the byte {@code 0xXX}; a {@code %} not followed by two hex digits is taken literally, so no input
 * is malformed). A decoded {@code &} or {@code =} (from {@code %26}, {@code %3D}) is content. Each
 * name and value is a field whose token carries the path and key of the pipeline's JSON tokens: a
 * value's path is {@code $.name} (or {@code $['odd name']}) and its key the decoded name; a name's
 * path is {@code $} without key, as for a JSON field name.
 *
 * <p>Decoded position {@code d} comes from the original bytes starting at {@code d + 2 *
 * (escapes before d)}; the escapes from where the pipeline still needs positions are kept for
 * that mapping, the separators of its last match length and context window (12 bytes each, and
 * each distinct decoded name of an {@code =} once, however often it repeats) for finding fields, and for a redacting stream the original bytes not yet
 * written. Tokens are made when asked for. A name is kept for its
 * path up to {@link #MAX_NAME_LENGTH} bytes; a longer one is cut there ({@link #nameTruncated()}).
 * Not thread-safe.
 */
final class FormDecoder implements FieldDecoder {
  /** The longest field name, in decoded bytes, kept for paths and context. */
  static final int MAX_NAME_LENGTH = 1024;

  /** The token of every name: path {@code $}, no key. */
  private static final JsonTracker.Token NAME = new JsonTracker.Token(0, "$", null);


  private byte[] out = new byte[256];
  private int outLength;
  /** Decoded bytes before the current call; the next one decoded is at {@code decoded + outLength}. */
  private long decoded;
  private long fed;

  /** 0: no escape pending; 1: after {@code %}; 2: after {@code %} and one hex digit. */
  private int pending;
  private byte pendingDigit;
  private boolean inValue;

  private final byte[] name = new byte[MAX_NAME_LENGTH];
  private int nameLength;
  private boolean nameOverflow;
  private boolean nameTruncated;

  /** Decoded positions of the bytes that were {@code %XX}, in order; those before head are counted. */
  private long[] escapes = new long[64];
  private int escapesHead;
  private int escapesSize;
  private long escapesForgotten;

  /**
   * Decoded positions of the separators, in order, and for each {@code =} the decoded name it ends
   * (null for {@code &}); before head they are forgotten but the last one forgotten.
   */
  private long[] separators = new long[64];
  private @Nullable String[] keys = new String[64];
  private int separatorsHead;
  /** The index {@link #lastSeparatorAtOrBefore} returned last (a hint, checked before use). */
  private int lastAnswer = -1;
  private int separatorsSize;
  /**
   * The distinct names of the live {@code =} separators, each with how many refer to it: a form
   * repeats its field names, and one string per name (not per field) keeps the window's cost near
   * its decoded size.
   */
  private final Map<String, LiveKey> liveKeys = new HashMap<>();
  private long keyBytes;
  private long forgottenSeparator = -1;
  private @Nullable String forgottenKey;

  private long cachedStart = -1;
  private JsonTracker.@Nullable Token cachedToken;

  /** The original bytes, kept only for redaction. */
  private final @Nullable OriginalWindow original;

  FormDecoder(boolean keepOriginal) {
    this.original = keepOriginal ? new OriginalWindow() : null;
  }

  /**
   * Decodes the next chunk; the decoded bytes are {@code decoded()[0, n)} for the returned {@code n}
   * (at most {@code length + 2}), valid until the next call.
   */
  @Override
  public int decode(byte[] bytes, int offset, int length) {
    if (original != null) {
      original.append(bytes, offset, length);
    }
    fed += length;
    outLength = 0;
    if (out.length < length + 2) {
      out = new byte[Math.max(length + 2, out.length * 2)];
    }
    byte[] o = out;
    for (int i = offset; i < offset + length; i++) {
      byte b = bytes[i];
      if (pending == 0 && b != '&' && b != '=' && b != '%') {
        // The common case inline: a byte that stands for itself, or + for a space.
        byte v = b == '+' ? (byte) ' ' : b;
        o[outLength++] = v;
        if (!inValue) {
          name(v);
        }
      } else {
        take(b);
      }
    }
    decoded += outLength;
    return outLength;
  }

  /** Ends the input: an escape left open is taken literally. Returns the decoded bytes as decode does. */
  @Override
  public int finish() {
    outLength = 0;
    flushPending();
    decoded += outLength;
    return outLength;
  }

  @Override
  public byte[] decoded() {
    return out;
  }

  /** Returns how many original bytes were fed. */
  @Override
  public long fed() {
    return fed;
  }

  /** Returns whether a field name used as a path and key was longer than {@link #MAX_NAME_LENGTH}. */
  boolean nameTruncated() {
    return nameTruncated;
  }

  @Override
  public void addNotes(java.util.Set<dev.custos.engine.ScanNote> notes) {
    if (nameTruncated) {
      notes.add(dev.custos.engine.ScanNote.FORM_FIELD_NAME_TOO_LONG);
    }
  }

  @Override
  public boolean mayEndField(int next) {
    return next == '&' || next == '=';
  }

  private void take(byte b) {
    if (pending == 1) {
      if (hex(b) >= 0) {
        pendingDigit = b;
        pending = 2;
        return;
      }
      pending = 0;
      content((byte) '%');
    } else if (pending == 2) {
      pending = 0;
      int low = hex(b);
      if (low >= 0) {
        escaped((byte) (hex(pendingDigit) << 4 | low));
        return;
      }
      content((byte) '%');
      content(pendingDigit);
    }
    switch (b) {
      case '&':
        separator(b, null);
        inValue = false;
        nameLength = 0;
        nameOverflow = false;
        break;
      case '=':
        if (inValue) {
          content(b);
        } else {
          nameTruncated |= nameOverflow;
          separator(b, new String(name, 0, nameLength, StandardCharsets.UTF_8));
          inValue = true;
        }
        break;
      case '+':
        content((byte) ' ');
        break;
      case '%':
        pending = 1;
        break;
      default:
        content(b);
    }
  }

  private void flushPending() {
    if (pending >= 1) {
      content((byte) '%');
    }
    if (pending == 2) {
      content(pendingDigit);
    }
    pending = 0;
  }

  private void separator(byte b, @Nullable String key) {
    if (separatorsSize == separators.length) {
      if (separatorsHead > separators.length / 2) {
        System.arraycopy(separators, separatorsHead, separators, 0, separatorsSize - separatorsHead);
        System.arraycopy(keys, separatorsHead, keys, 0, separatorsSize - separatorsHead);
        Arrays.fill(keys, separatorsSize - separatorsHead, separatorsSize, null);
        separatorsSize -= separatorsHead;
        separatorsHead = 0;
      } else {
        separators = Arrays.copyOf(separators, separators.length * 2);
        keys = Arrays.copyOf(keys, keys.length * 2);
      }
    }
    separators[separatorsSize] = decoded + outLength;
    keys[separatorsSize] = key == null ? null : share(key);
    separatorsSize++;
    out[outLength++] = b;
  }

  /** Returns the live instance of {@code key}, counting one more reference to it. */
  private String share(String key) {
    LiveKey live = liveKeys.get(key);
    if (live == null) {
      live = new LiveKey(key);
      liveKeys.put(key, live);
      keyBytes += key.length();
    }
    live.count++;
    return live.key;
  }

  /** Counts one reference fewer to {@code key}; a name no separator refers to is dropped. */
  private void release(String key) {
    LiveKey live = liveKeys.get(key);
    if (live != null && --live.count == 0) {
      liveKeys.remove(key);
      keyBytes -= key.length();
    }
  }

  /** A distinct live name and how many separators refer to it. */
  private static final class LiveKey {
    final String key;
    int count;

    LiveKey(String key) {
      this.key = key;
    }
  }

  private void content(byte b) {
    if (!inValue) {
      name(b);
    }
    out[outLength++] = b;
  }

  private void name(byte b) {
    if (nameLength < MAX_NAME_LENGTH) {
      name[nameLength++] = b;
    } else {
      nameOverflow = true;
    }
  }

  private void escaped(byte b) {
    if (escapesSize == escapes.length) {
      if (escapesHead > escapes.length / 2) {
        System.arraycopy(escapes, escapesHead, escapes, 0, escapesSize - escapesHead);
        escapesSize -= escapesHead;
        escapesHead = 0;
      } else {
        escapes = Arrays.copyOf(escapes, escapes.length * 2);
      }
    }
    escapes[escapesSize++] = decoded + outLength;
    content(b);
  }

  /** Returns the value of a hex digit, or -1; a byte is ASCII or negative, so only 0-9a-fA-F count. */
  private static int hex(byte b) {
    return Character.digit(b, 16);
  }

  // ---- mapping back ----

  /**
   * Returns the original offset of decoded position {@code position}, which is at or after the
   * last {@link #forgetBefore} and at most the decoded length: the start of the original bytes of
   * the decoded byte there, or the end of all decoded input.
   */
  @Override
  public long originalOffset(long position) {
    int lo = escapesHead;
    int hi = escapesSize;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (escapes[mid] < position) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return position + 2 * (escapesForgotten + lo - escapesHead);
  }

  /**
   * Returns the token of the name or value whose content holds decoded byte {@code position}, or
   * null when that byte is a separator; {@link #fieldStart} gives where that content starts. A
   * token gives only path and key (its end is unknown): names share one.
   */
  @Override
  public JsonTracker.@Nullable Token tokenAt(long position) {
    int i = lastSeparatorAtOrBefore(position);
    long separator = i >= 0 ? separators[i] : forgottenSeparator;
    if (separator == position) {
      return null;
    }
    long start = separator + 1;
    if (start != cachedStart) {
      String key = i >= 0 ? keys[i] : forgottenKey;
      if (key == null) {
        cachedToken = NAME;
      } else {
        StringBuilder path = new StringBuilder(key.length() + 8).append('$');
        JsonTracker.appendName(key, path);
        cachedToken = new JsonTracker.Token(start, path.toString(), key);
      }
      cachedStart = start;
    }
    return cachedToken;
  }

  /**
   * Returns where the content of the name or value holding {@code position} starts, or -1 when
   * that byte is a separator.
   */
  @Override
  public long fieldStart(long position) {
    int i = lastSeparatorAtOrBefore(position);
    long separator = i >= 0 ? separators[i] : forgottenSeparator;
    return separator == position ? -1 : separator + 1;
  }

  /** Returns the index of the last separator at or before {@code position}, or -1. */
  private int lastSeparatorAtOrBefore(long position) {
    // Lookups come mostly in rising order (the scanner locates matches by their ends, in order),
    // so first walk on a few separators from the last answer; any index that satisfies the
    // definition is the answer, whatever moved since.
    int h = lastAnswer;
    if (h >= separatorsHead && h < separatorsSize && separators[h] <= position) {
      for (int steps = 0; steps < 8; steps++, h++) {
        if (h + 1 == separatorsSize || separators[h + 1] > position) {
          lastAnswer = h;
          return h;
        }
      }
    }
    int found = searchLastSeparatorAtOrBefore(position);
    lastAnswer = found;
    return found;
  }

  private int searchLastSeparatorAtOrBefore(long position) {
    int lo = separatorsHead;
    int hi = separatorsSize;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (separators[mid] <= position) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo == separatorsHead ? -1 : lo - 1;
  }

  /**
   * Forgets separators before decoded position {@code fieldsBefore} (remembering the last) and escapes
   * before {@code position}: no later {@link #tokenAt} asks about a position before the one, and no
   * later {@link #originalOffset} about one before the other.
   */
  @Override
  public void forgetBefore(long fieldsBefore, long position) {
    while (separatorsHead < separatorsSize && separators[separatorsHead] < fieldsBefore) {
      forgottenSeparator = separators[separatorsHead];
      forgottenKey = keys[separatorsHead];
      if (forgottenKey != null) {
        release(forgottenKey);
      }
      keys[separatorsHead] = null;
      separatorsHead++;
    }
    if (separatorsHead == separatorsSize) {
      separatorsHead = 0;
      separatorsSize = 0;
    }
    while (escapesHead < escapesSize && escapes[escapesHead] < position) {
      escapesHead++;
      escapesForgotten++;
    }
    if (escapesHead == escapesSize) {
      escapesHead = 0;
      escapesSize = 0;
    }
  }

  // ---- original bytes, for redaction ----

  /** Drops the original bytes before {@code offset}; none before it is written or rewritten later. */
  @Override
  public void dropOriginalBefore(long offset) {
    Objects.requireNonNull(original).dropBefore(offset);
  }

  /** Writes the original bytes {@code [from, to)}. */
  @Override
  public void writeOriginal(RedactedOutput output, long from, long to) {
    Objects.requireNonNull(original).write(output, from, to);
  }

  /**
   * Returns the rewrite of the original bytes {@code [from, to)}, which encode whole decoded
   * bytes, in {@code style}; {@code label} is the hash style's {@code [category:hash8]} (null for
   * the other styles).
   */
  @Override
  public byte[] rewrite(long from, long to, RedactionStyle style, @Nullable String label) {
    if (style == RedactionStyle.HASH) {
      return Rewriter.percentEncode(Objects.requireNonNull(label));
    }
    OriginalWindow window = Objects.requireNonNull(original);
    return Rewriter.maskFormEncoded(
        window.array(), window.index(from), (int) (to - from), style == RedactionStyle.PARTIAL);
  }

  /**
   * Returns about how many bytes this decoder holds for the retained window: original bytes,
   * escapes, separators, the distinct names they refer to (each counted at its length plus 88 for
   * the string and its entry), and the name buffer.
   */
  @Override
  public long retainedBytes() {
    int live = separatorsSize - separatorsHead;
    long forgotten = forgottenKey != null ? forgottenKey.length() + 40L : 0;
    return (original != null ? original.retainedBytes() : 0) + 8L * (escapesSize - escapesHead) + 12L * live
        + keyBytes + 88L * liveKeys.size() + forgotten + name.length;
  }
}
