package dev.custos.engine.internal.scan;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.custos.engine.ContentType;
import dev.custos.engine.Finding;
import dev.custos.engine.RedactedOutput;
import dev.custos.engine.RedactionChoice;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.ScanNote;
import dev.custos.engine.StreamScanner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A Server-Sent Events stream ({@code text/event-stream}) of OpenAI-compatible chat or completion
 * chunks. Events are split on blank lines (lines end in CRLF, LF or CR); the {@code data:} lines of
 * an event are joined with line feeds, as the SSE specification says. When the data is a JSON
 * object with a {@code choices} array, the text of each choice ({@code choices[].delta.content},
 * or {@code choices[].text} for completions) is appended, decoded from its JSON escapes, to one text
 * stream per choice {@code index}: what the user sees, reassembled, so a value split across many
 * events is found as one. Its findings have the path {@code $.choices[i].delta.content} (or
 * {@code .text}) and offsets from the first original byte of the value to the end of its last
 * byte, through the events between. Other events ({@code [DONE]}, comments, data that is not such
 * JSON) are scanned as text each, path null.
 *
 * <p>Redacting: an event is held until every piece of choice text it carries has been released by
 * its choice's stream (the scanner's own hold-back: at most the longest detector match plus the
 * context window of reassembled text), then written with each piece rewritten in place in its JSON
 * string; events go out in order and their framing is kept. Every style keeps the length of the
 * original bytes: a masked escape sequence is written {@code \u002a} (an asterisk), and {@code
 * hash} masks, as a label cannot be split across events.
 *
 * <p>An event longer than {@link #MAX_EVENT} bytes, more than {@link #MAX_CHOICES} choices, or
 * more than {@link #MAX_HELD} bytes of events held for redaction (events that carry little text
 * each) ends the structured scan ({@link ScanNote#EVENT_STREAM_FALLBACK}): the rest is scanned as text.
 * Not thread-safe.
 */
final class EventStream implements StreamScanner {
  /** The longest event, in bytes, held whole for parsing. */
  static final int MAX_EVENT = 1 << 20;
  /** The most bytes of events held for redaction before the rest is scanned as text. */
  static final int MAX_HELD = 1 << 20;
  /** The most choice indexes given a stream each. */
  static final int MAX_CHOICES = 64;
  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] NO_BYTES = new byte[0];

  /** Opens the streams of choice text and of other events. */
  interface Opener {
    StreamScanner open(ContentType type, @Nullable RedactionChoice redaction, @Nullable RedactedOutput output);
  }

  private final Opener opener;
  private final @Nullable RedactionChoice redaction;
  private final @Nullable RedactedOutput output;
  /** How far behind the bytes fed a choice stream may still report a finding. */
  private final long horizon;

  private byte[] event = new byte[512];
  private int eventLength;
  private long eventBase;
  private int lineLength;
  private boolean lastWasCr;
  /** A blank line ended by CR: the event ends, unless an LF follows and belongs to it. */
  private boolean endAfterLf;

  private final TreeMap<Integer, Choice> choices = new TreeMap<>();
  private final ArrayDeque<Event> queue = new ArrayDeque<>();
  private long queued;
  private @Nullable StreamScanner fallback;
  private long fallbackBase;
  private long position;
  private boolean finished;
  private boolean closed;
  private final List<Finding> found = new ArrayList<>();
  private final EnumSet<ScanNote> notes = EnumSet.noneOf(ScanNote.class);

  EventStream(Opener opener, int horizon, @Nullable RedactionChoice redaction,
      @Nullable RedactedOutput output) {
    this.opener = opener;
    this.horizon = horizon;
    this.redaction = redaction;
    this.output = output;
  }

  /** One event as it came, with the pieces of choice text it carries. */
  private static final class Event {
    final long base;
    final byte[] raw;
    final List<Piece> pieces = new ArrayList<>();
    /** For an event scanned as text when redacting: its redacted bytes, or null. */
    byte @Nullable [] rewritten;

    Event(long base, byte[] raw) {
      this.base = base;
      this.raw = raw;
    }
  }

  /**
   * A piece of a choice's text: its decoded bytes at {@code [start, end)} of the choice's stream,
   * its JSON string content at {@code [rawStart, rawEnd)} of the event, and, when it has escapes,
   * the groups of raw bytes that each decode to a run of decoded bytes.
   */
  private static final class Piece {
    final Choice choice;
    /** The original offset of the event's first byte. */
    final long eventBase;
    final long start;
    final long end;
    final int rawStart;
    final int rawEnd;
    /** The decoded bytes, kept only until the event is written (never without redaction). */
    byte[] decoded;
    /** Raw and decoded starts of each group (an escape or one plain byte), or null when plain. */
    final int @Nullable [] groupRaw;
    final int @Nullable [] groupDecoded;

    Piece(Choice choice, Event event, long start, int rawStart, int rawEnd, byte[] decoded,
        int @Nullable [] groupRaw, int @Nullable [] groupDecoded) {
      this.choice = choice;
      this.eventBase = event.base;
      this.start = start;
      this.end = start + decoded.length;
      this.rawStart = rawStart;
      this.rawEnd = rawEnd;
      this.decoded = decoded;
      this.groupRaw = groupRaw;
      this.groupDecoded = groupDecoded;
    }

    /** Returns the original offset of the decoded byte at {@code d}, or where it ends. */
    long original(long d, boolean end) {
      int i = (int) (d - start);
      int[] gr = groupRaw;
      int[] gd = groupDecoded;
      if (gr == null || gd == null) {
        return eventBase + rawStart + i;
      }
      if (end) {
        int g = group(gd, i - 1);
        return eventBase + rawStart + (g + 1 < gr.length ? gr[g + 1] : rawEnd - rawStart);
      }
      return eventBase + rawStart + gr[group(gd, i)];
    }

    private static int group(int[] starts, int i) {
      int g = Arrays.binarySearch(starts, i);
      return g >= 0 ? g : -g - 2;
    }
  }

  /** The reassembled text of one choice index. */
  private final class Choice {
    final StreamScanner stream;
    final String path;
    long fed;
    /** Redacted bytes released by the stream: {@code releasedLength} from {@link #releasedBase}. */
    byte[] released = new byte[256];
    int releasedLength;
    long releasedBase;
    final ArrayDeque<Piece> pieces = new ArrayDeque<>();

    Choice(int index, boolean completion) {
      this.path = "$.choices[" + index + "]" + (completion ? ".text" : ".delta.content");
      RedactionChoice r = redaction;
      this.stream = opener.open(ContentType.TEXT,
          r == null ? null : f -> masked(r.styleFor(moved(f))),
          output == null ? null : this::release);
    }

    long releasedEnd() {
      return releasedBase + releasedLength;
    }

    private void release(byte[] b, int offset, int length) {
      if (releasedLength + length > released.length) {
        released = Arrays.copyOf(released, Math.max(released.length * 2, releasedLength + length));
      }
      System.arraycopy(b, offset, released, releasedLength, length);
      releasedLength += length;
    }

    void add(Piece p) {
      pieces.add(p);
      fed = p.end;
      collect(stream.feed(p.decoded, 0, p.decoded.length));
      if (output == null) {
        p.decoded = NO_BYTES;
      }
      while (pieces.size() > 1 && pieces.peekFirst().end < fed - horizon) {
        pieces.pollFirst();
      }
    }

    void collect(List<Finding> inner) {
      for (Finding f : inner) {
        found.add(moved(f));
      }
    }

    Finding moved(Finding f) {
      return Finding.of(f.category(), f.detector(), original(f.start(), false),
          original(f.end(), true), path, f.confidence(), f.evidence(), f.allowedByRules(),
          f.qualifier());
    }

    private long original(long d, boolean end) {
      Piece last = null;
      for (Piece p : pieces) {
        if (end ? p.start < d && d <= p.end : p.start <= d && d < p.end) {
          return p.original(d, end);
        }
        last = p;
      }
      // Not retained (cannot happen within the horizon): the nearest known place.
      Piece first = pieces.peekFirst();
      return first == null ? 0 : end && last != null ? last.original(last.end, true) : first.original(first.start, false);
    }

    /** Returns the redacted bytes of {@code [from, to)}, released already. */
    byte[] redacted(long from, long to) {
      return Arrays.copyOfRange(released, (int) (from - releasedBase), (int) (to - releasedBase));
    }

    /** Forgets released bytes before {@code upTo}. */
    void forget(long upTo) {
      int skip = (int) Math.min(releasedLength, upTo - releasedBase);
      if (skip <= 0) {
        return;
      }
      System.arraycopy(released, skip, released, 0, releasedLength - skip);
      releasedLength -= skip;
      releasedBase += skip;
    }
  }

  private static @Nullable RedactionStyle masked(@Nullable RedactionStyle s) {
    return s == RedactionStyle.HASH ? RedactionStyle.MASK : s;
  }

  // ---- StreamScanner ----

  @Override
  public List<Finding> feed(byte[] bytes, int offset, int length) {
    Feeds.check(bytes, offset, length, closed, finished);
    int end = offset + length;
    for (int i = offset; i < end; i++) {
      StreamScanner f = fallback;
      if (f != null) {
        collectFallback(f.feed(bytes, i, end - i));
        position += end - i;
        break;
      }
      byte b = bytes[i];
      if (endAfterLf) {
        endAfterLf = false;
        if (b == '\n') {
          append(b);
          lastWasCr = false;
          endEvent();
          continue;
        }
        endEvent();
        if (fallback != null) {
          i--; // The byte goes to the text scan.
          continue;
        }
      }
      append(b);
      if (lastWasCr && b == '\n') {
        lastWasCr = false;
        continue;
      }
      if (b == '\r' || b == '\n') {
        lastWasCr = b == '\r';
        if (lineLength == 0) {
          if (b == '\r') {
            endAfterLf = true;
          } else {
            endEvent();
          }
        }
        lineLength = 0;
      } else {
        lastWasCr = false;
        lineLength++;
        if (eventLength > MAX_EVENT) {
          fallBack();
        }
      }
    }
    drain(false);
    return take();
  }

  private void append(byte b) {
    if (eventLength == event.length) {
      event = Arrays.copyOf(event, event.length * 2);
    }
    if (eventLength == 0) {
      eventBase = position;
    }
    event[eventLength++] = b;
    position++;
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
    if (fallback == null && eventLength > 0) {
      endAfterLf = false;
      endEvent();
    }
    for (Choice c : choices.values()) {
      c.collect(c.stream.finish());
      notes.addAll(c.stream.notes());
    }
    drain(true);
    StreamScanner f = fallback;
    if (f != null) {
      collectFallback(f.finish());
      notes.addAll(f.notes());
    }
    return take();
  }

  @Override
  public Set<ScanNote> notes() {
    EnumSet<ScanNote> all = EnumSet.copyOf(notes);
    for (Choice c : choices.values()) {
      all.addAll(c.stream.notes());
    }
    return all.isEmpty() ? Set.of() : Set.copyOf(all);
  }

  @Override
  public long bytesScanned() {
    return position;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      for (Choice c : choices.values()) {
        c.stream.close();
      }
      StreamScanner f = fallback;
      if (f != null) {
        f.close();
      }
    }
  }

  /** Returns how many bytes this stream holds (for tests of the memory bound). */
  long retainedBytes() {
    long n = eventLength;
    for (Event e : queue) {
      n += e.raw.length;
    }
    for (Choice c : choices.values()) {
      n += c.releasedLength + StreamScannerImpl.retainedBytesOf(c.stream);
      for (Piece p : c.pieces) {
        n += p.decoded.length;
      }
    }
    return n;
  }

  private List<Finding> take() {
    if (found.isEmpty()) {
      return List.of();
    }
    List<Finding> result = List.copyOf(found);
    found.clear();
    return result;
  }

  // ---- events ----

  private void endEvent() {
    byte[] raw = Arrays.copyOf(event, eventLength);
    Event e = new Event(eventBase, raw);
    eventLength = 0;
    lineLength = 0;
    if (!parse(e)) {
      scanAsText(e);
    }
    if (output != null) {
      queue.add(e);
      queued += raw.length;
      if (queued > MAX_HELD) {
        // Events that carry little text each: rather than hold more, release them and go on as text.
        eventBase = position;
        fallBack();
      }
    }
  }

  /** Scans an event that carries no choice text as text, on its own. */
  private void scanAsText(Event e) {
    RedactionChoice r = redaction;
    ByteArrayOutputStream out = output == null ? null : new ByteArrayOutputStream(e.raw.length);
    try (StreamScanner s = opener.open(ContentType.TEXT,
        r == null ? null : f -> r.styleFor(moveText(f, e.base)), out == null ? null : out::write)) {
      List<Finding> all = new ArrayList<>(s.feed(e.raw, 0, e.raw.length));
      all.addAll(s.finish());
      notes.addAll(s.notes());
      for (Finding f : all) {
        found.add(moveText(f, e.base));
      }
    }
    if (out != null) {
      e.rewritten = out.toByteArray();
    }
  }

  private static Finding moveText(Finding f, long base) {
    return Finding.of(f.category(), f.detector(), f.start() + base, f.end() + base, f.jsonPath(),
        f.confidence(), f.evidence(), f.allowedByRules(), f.qualifier());
  }

  /**
   * Parses an event's data as a chunk with choices and feeds their text; returns false when it is
   * not one (no data, {@code [DONE]}, not JSON, no {@code choices} array, too many choices).
   */
  private boolean parse(Event e) {
    // The data lines, joined with LF, and where each line's value starts in the event.
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    List<int[]> lines = new ArrayList<>(); // {joined start, raw start}
    byte[] raw = e.raw;
    int i = 0;
    boolean any = false;
    while (i < raw.length) {
      int lineEnd = i;
      while (lineEnd < raw.length && raw[lineEnd] != '\r' && raw[lineEnd] != '\n') {
        lineEnd++;
      }
      if (lineEnd - i >= 5 && raw[i] == 'd' && raw[i + 1] == 'a' && raw[i + 2] == 't' && raw[i + 3] == 'a'
          && raw[i + 4] == ':') {
        int v = i + 5;
        if (v < lineEnd && raw[v] == ' ') {
          v++;
        }
        if (any) {
          data.write('\n');
        }
        any = true;
        lines.add(new int[] {data.size(), v});
        data.write(raw, v, lineEnd - v);
      } else if (lineEnd - i == 4 && raw[i] == 'd' && raw[i + 1] == 'a' && raw[i + 2] == 't' && raw[i + 3] == 'a') {
        if (any) {
          data.write('\n');
        }
        any = true;
        lines.add(new int[] {data.size(), lineEnd});
      }
      i = lineEnd;
      if (i < raw.length && raw[i] == '\r') {
        i++;
      }
      if (i < raw.length && raw[i] == '\n') {
        i++;
      }
    }
    byte[] joined = data.toByteArray();
    if (!any || joined.length == 0 || joined[0] != '{') {
      return false;
    }
    List<long[]> found = new ArrayList<>(); // {choice index, joined offset of the opening quote, kind}
    try (JsonParser p = JSON.createParser(joined)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      boolean sawChoices = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        if ("choices".equals(name) && t == JsonToken.START_ARRAY) {
          sawChoices = true;
          int position = 0;
          while (p.nextToken() == JsonToken.START_OBJECT) {
            long index = position++;
            long quote = -1;
            int kind = 0;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String field = p.currentName();
              JsonToken v = p.nextToken();
              if ("index".equals(field) && v == JsonToken.VALUE_NUMBER_INT) {
                index = p.getLongValue();
              } else if ("text".equals(field) && v == JsonToken.VALUE_STRING) {
                quote = p.currentTokenLocation().getByteOffset();
                kind = 1;
              } else if ("delta".equals(field) && v == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                  String d = p.currentName();
                  JsonToken dv = p.nextToken();
                  if ("content".equals(d) && dv == JsonToken.VALUE_STRING) {
                    quote = p.currentTokenLocation().getByteOffset();
                    kind = 0;
                  } else {
                    p.skipChildren();
                  }
                }
              } else {
                p.skipChildren();
              }
            }
            if (quote >= 0) {
              found.add(new long[] {index, quote, kind});
            }
          }
        } else {
          p.skipChildren();
        }
      }
      if (!sawChoices) {
        return false;
      }
      // The whole document must be well formed: nothing may follow it.
      if (p.nextToken() != null) {
        return false;
      }
    } catch (IOException | RuntimeException ex) {
      return false;
    }
    for (long[] f : found) {
      if (f[0] < 0 || f[0] >= MAX_CHOICES || (choices.size() >= MAX_CHOICES && !choices.containsKey((int) f[0]))) {
        notes.add(ScanNote.EVENT_STREAM_FALLBACK);
        return false;
      }
    }
    for (long[] f : found) {
      int quote = (int) f[1];
      int rawQuote = rawOffset(lines, quote);
      piece(e, (int) f[0], f[2] == 1, rawQuote + 1);
    }
    return true;
  }

  private static int rawOffset(List<int[]> lines, int joined) {
    int[] line = lines.get(0);
    for (int[] l : lines) {
      if (l[0] <= joined) {
        line = l;
      }
    }
    return line[1] + (joined - line[0]);
  }

  /** Decodes the JSON string content starting at {@code from} of the event and feeds it. */
  private void piece(Event e, int index, boolean completion, int from) {
    byte[] raw = e.raw;
    ByteArrayOutputStream decoded = new ByteArrayOutputStream();
    int[] groupRaw = null;
    int[] groupDecoded = null;
    int groups = 0;
    boolean escaped = false;
    int i = from;
    while (i < raw.length && raw[i] != '"') {
      if (raw[i] == '\\') {
        escaped = true;
        break;
      }
      i++;
    }
    int end;
    if (!escaped) {
      end = i;
      decoded.write(raw, from, end - from);
    } else {
      groupRaw = new int[16];
      groupDecoded = new int[16];
      i = from;
      while (i < raw.length && raw[i] != '"') {
        if (groups == groupRaw.length) {
          groupRaw = Arrays.copyOf(groupRaw, groups * 2);
          groupDecoded = Arrays.copyOf(groupDecoded, groups * 2);
        }
        groupRaw[groups] = i - from;
        groupDecoded[groups] = decoded.size();
        groups++;
        if (raw[i] != '\\' || i + 1 >= raw.length) {
          decoded.write(raw[i]);
          i++;
          continue;
        }
        byte c = raw[i + 1];
        if (c == 'u' && i + 6 <= raw.length) {
          int unit = hex(raw, i + 2);
          int length = 6;
          int cp = unit;
          if (unit >= 0xD800 && unit < 0xDC00 && i + 12 <= raw.length && raw[i + 6] == '\\' && raw[i + 7] == 'u') {
            int low = hex(raw, i + 8);
            if (low >= 0xDC00 && low < 0xE000) {
              cp = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
              length = 12;
            }
          }
          if (cp < 0 || (cp >= 0xD800 && cp < 0xE000)) {
            cp = 0xFFFD;
          }
          byte[] utf8 = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
          decoded.write(utf8, 0, utf8.length);
          i += length;
        } else {
          decoded.write(switch (c) {
            case 'n' -> '\n';
            case 't' -> '\t';
            case 'r' -> '\r';
            case 'b' -> '\b';
            case 'f' -> '\f';
            default -> c;
          });
          i += 2;
        }
      }
      end = i;
      groupRaw = Arrays.copyOf(groupRaw, groups);
      groupDecoded = Arrays.copyOf(groupDecoded, groups);
    }
    Choice choice = choices.get(index);
    if (choice == null) {
      choice = new Choice(index, completion);
      choices.put(index, choice);
    }
    Piece p = new Piece(choice, e, choice.fed, from, end, decoded.toByteArray(), groupRaw, groupDecoded);
    e.pieces.add(p);
    choice.add(p);
  }

  private static int hex(byte[] b, int at) {
    int v = 0;
    for (int k = 0; k < 4; k++) {
      int d = Character.digit(b[at + k], 16);
      if (d < 0) {
        return -1;
      }
      v = v * 16 + d;
    }
    return v;
  }

  // ---- output ----

  /** Writes the events whose pieces have all been released, in order (all when finishing). */
  private void drain(boolean finishing) {
    RedactedOutput o = output;
    if (o == null) {
      return;
    }
    while (!queue.isEmpty()) {
      Event e = queue.peekFirst();
      for (Piece p : e.pieces) {
        if (p.choice.releasedEnd() < p.end) {
          if (!finishing) {
            return;
          }
        }
      }
      queue.pollFirst();
      queued -= e.raw.length;
      byte[] rewritten = e.rewritten;
      if (rewritten != null) {
        o.write(rewritten, 0, rewritten.length);
        continue;
      }
      byte[] raw = e.raw;
      for (Piece p : e.pieces) {
        long available = Math.min(p.end, p.choice.releasedEnd());
        if (available < p.end) {
          continue; // Only when the stream failed to release everything; left as it was.
        }
        byte[] red = p.choice.redacted(p.start, p.end);
        if (!Arrays.equals(red, p.decoded)) {
          if (raw == e.raw) {
            raw = raw.clone();
          }
          rewrite(raw, p, red);
        }
        p.choice.forget(p.end);
        p.decoded = NO_BYTES;
      }
      o.write(raw, 0, raw.length);
    }
  }

  /**
   * Rewrites a piece's JSON string content in place, keeping its length: a plain byte takes its
   * redacted byte; a group that changed is written as {@code \u002a} for each 6 raw bytes, or
   * {@code *} for each other raw byte.
   */
  private static void rewrite(byte[] raw, Piece p, byte[] red) {
    int[] gr = p.groupRaw;
    int[] gd = p.groupDecoded;
    if (gr == null || gd == null) {
      System.arraycopy(red, 0, raw, p.rawStart, red.length);
      return;
    }
    for (int g = 0; g < gr.length; g++) {
      int rs = p.rawStart + gr[g];
      int re = p.rawStart + (g + 1 < gr.length ? gr[g + 1] : p.rawEnd - p.rawStart);
      int ds = gd[g];
      int de = g + 1 < gd.length ? gd[g + 1] : red.length;
      if (Arrays.equals(red, ds, de, p.decoded, ds, de)) {
        continue;
      }
      if (re - rs == 1) {
        raw[rs] = red[ds];
        continue;
      }
      int k = rs;
      while (re - k >= 6 && raw[rs] == '\\') {
        System.arraycopy(ASTERISK_ESCAPE, 0, raw, k, 6);
        k += 6;
      }
      while (k < re) {
        raw[k++] = '*';
      }
    }
  }

  private static final byte[] ASTERISK_ESCAPE = "\\u002a".getBytes(StandardCharsets.US_ASCII);

  // ---- fallback ----

  /** Ends the structured scan: what is queued goes out, the rest is scanned as text. */
  private void fallBack() {
    notes.add(ScanNote.EVENT_STREAM_FALLBACK);
    for (Choice c : choices.values()) {
      c.collect(c.stream.finish());
      notes.addAll(c.stream.notes());
    }
    drain(true);
    fallbackBase = eventBase;
    StreamScanner f = opener.open(ContentType.TEXT,
        redaction == null ? null : f2 -> redaction.styleFor(moveText(f2, fallbackBase)), output);
    fallback = f;
    collectFallback(f.feed(event, 0, eventLength));
    eventLength = 0;
  }

  private void collectFallback(List<Finding> inner) {
    for (Finding f : inner) {
      found.add(moveText(f, fallbackBase));
    }
  }

  @Override
  public String toString() {
    return "EventStream{bytes=" + position + ", choices=" + choices.size() + ", queued=" + queue.size() + '}';
  }
}
