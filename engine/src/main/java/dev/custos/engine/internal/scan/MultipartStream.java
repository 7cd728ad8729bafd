package dev.custos.engine.internal.scan;

import dev.custos.engine.ContentType;
import dev.custos.engine.Finding;
import dev.custos.engine.RedactedOutput;
import dev.custos.engine.RedactionChoice;
import dev.custos.engine.ScanNote;
import dev.custos.engine.StreamScanner;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A {@code multipart/*} body (RFC 2046, RFC 7578), split on its boundary as it streams: each part's
 * header block is parsed (name, filename, {@code Content-Type}) and scanned as text, and each
 * part's body is scanned by a stream of its own content type (JSON, form, text, or a nested
 * multipart), decoded first when its {@code Content-Transfer-Encoding} is base64 or
 * quoted-printable ({@link EncodedStream}, which re-encodes a redaction in place), whose findings are moved to the part's place in the body and given the path
 * {@code $.parts['name']} (or {@code $.parts[index]} for a part without a name) followed by the
 * path within the part. The preamble and the epilogue are scanned as text.
 *
 * <p>A delimiter is {@code CRLF--boundary} (or {@code --boundary} at the very start) followed by
 * optional spaces or tabs and {@code CRLF}, or by {@code --} for the last one. The bytes that
 * might begin a delimiter are held until it is known whether they do (at most the delimiter's
 * length plus 64 bytes of padding), so a part's stream never sees the delimiter that ends it.
 * When redacting, every part's stream writes to the same output in order and the framing
 * (delimiters) is written as it came, so the body stays valid multipart; a header block is held
 * whole (up to {@link #MAX_HEADER_BLOCK} bytes) before it is parsed.
 *
 * <p>Malformed input ({@link ScanNote#MULTIPART_MALFORMED}): a header block past the limit, or a
 * body that ends inside a part, scans the rest as text; a body without any delimiter is all
 * preamble, scanned as text. Without a declared boundary, the first line, if it is {@code
 * --boundary}, gives it. Memory is the held bytes plus the open streams' own bound. Not
 * thread-safe.
 */
final class MultipartStream implements StreamScanner {
  /** The longest part header block, in bytes. */
  static final int MAX_HEADER_BLOCK = 16 * 1024;
  /** The longest boundary accepted; RFC 2046 allows 70 characters. */
  static final int MAX_BOUNDARY = 200;
  /** Nested multipart parts deeper than this are scanned as text. */
  static final int MAX_DEPTH = 4;
  private static final int MAX_PADDING = 64;

  /** Opens the stream of a part's body or another segment. */
  interface Opener {
    StreamScanner open(ContentType type, @Nullable Charset charset, @Nullable String boundary,
        int depth, @Nullable RedactionChoice redaction, @Nullable RedactedOutput output);
  }

  private enum State { DETECT, CONTENT, AFTER_DELIMITER, HEADERS, EPILOGUE, FALLBACK }

  /** Where a segment's findings go: its stream, its first byte's offset, its path prefix. */
  private final class Segment {
    final StreamScanner stream;
    final long base;
    final @Nullable String path;

    Segment(ContentType type, @Nullable Charset charset, @Nullable String boundary, long base,
        @Nullable String path) {
      this(type, charset, boundary, base, path, null);
    }

    /** A segment whose bytes are in {@code codec} (a part's transfer encoding) when not null. */
    Segment(ContentType type, @Nullable Charset charset, @Nullable String boundary, long base,
        @Nullable String path, EncodedStream.@Nullable Codec codec) {
      this.base = base;
      this.path = path;
      RedactionChoice r = redaction;
      RedactionChoice moving = r == null ? null : f -> r.styleFor(moved(f));
      this.stream = codec == null
          ? opener.open(type, charset, boundary, depth + 1, moving, output)
          : EncodedStream.of(codec, (c, o) -> opener.open(type, charset, boundary, depth + 1, c, o),
              (c, o) -> opener.open(ContentType.TEXT, null, null, depth + 1, c, o), moving, output);
    }

    Finding moved(Finding f) {
      return Finding.of(f.category(), f.detector(), f.start() + base, f.end() + base,
          joinPath(path, f.jsonPath()), f.confidence(), f.evidence(), f.allowedByRules(),
          f.qualifier());
    }

    void feed(byte[] b, int offset, int length) {
      if (length > 0) {
        collect(stream.feed(b, offset, length));
      }
    }

    void finish() {
      collect(stream.finish());
      notes.addAll(stream.notes());
      stream.close();
    }

    private void collect(List<Finding> inner) {
      for (Finding f : inner) {
        found.add(moved(f));
      }
    }
  }

  private final Opener opener;
  private final int depth;
  private final @Nullable RedactionChoice redaction;
  private final @Nullable RedactedOutput output;
  private final @Nullable Charset charset;

  private byte[] delimiter;
  private State state;
  /** How many bytes of the delimiter matched so far (the first two may be virtual, at the start). */
  private int matched;
  /** The real bytes of a possible delimiter, then its padding and line end, held until decided. */
  private byte[] held;
  private int heldLength;
  /** After a full delimiter: 0 first byte, 1 after one dash, 2 in padding, 3 after CR. */
  private int after;
  private int padding;

  private byte[] headers = new byte[256];
  private int headersLength;
  private long headersStart;

  private @Nullable Segment content;
  private boolean inPart;
  private int partIndex;
  private boolean closed;
  private boolean finished;
  private boolean released;
  private long position;

  private final List<Finding> found = new ArrayList<>();
  private final EnumSet<ScanNote> notes = EnumSet.noneOf(ScanNote.class);

  /**
   * Opens a multipart stream split on {@code boundary} (or on the one its first line gives, when
   * null), with nested streams opened by {@code opener} at {@code depth + 1}.
   */
  MultipartStream(Opener opener, @Nullable String boundary, @Nullable Charset charset, int depth,
      @Nullable RedactionChoice redaction, @Nullable RedactedOutput output) {
    this.opener = opener;
    this.charset = charset;
    this.depth = depth;
    this.redaction = redaction;
    this.output = output;
    if (boundary != null) {
      if (!isValidBoundary(boundary)) {
        throw new IllegalArgumentException("boundary: " + boundary.length()
            + " characters (expected: 1 to " + MAX_BOUNDARY + " characters of RFC 2046's bchars,"
            + " not ending with a space)");
      }
      this.delimiter = delimiterOf(boundary);
      this.state = State.CONTENT;
      this.matched = 2;
    } else {
      this.delimiter = new byte[0];
      this.state = State.DETECT;
    }
    this.held = new byte[MAX_BOUNDARY + MAX_PADDING + 8];
  }

  /**
   * Returns whether {@code boundary} is a valid multipart boundary: 1 to {@link #MAX_BOUNDARY}
   * characters of RFC 2046's {@code bchars}, the last not a space.
   */
  static boolean isValidBoundary(@Nullable String boundary) {
    if (boundary == null || boundary.isEmpty() || boundary.length() > MAX_BOUNDARY
        || boundary.endsWith(" ")) {
      return false;
    }
    for (int i = 0; i < boundary.length(); i++) {
      if (!isBoundaryChar(boundary.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isBoundaryChar(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || "'()+_,-./:=? ".indexOf(c) >= 0;
  }

  private static byte[] delimiterOf(String boundary) {
    return ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII);
  }

  // ---- StreamScanner ----

  @Override
  public List<Finding> feed(byte[] bytes, int offset, int length) {
    Feeds.check(bytes, offset, length, released, finished);
    process(bytes, offset, length);
    return take();
  }

  @Override
  public List<Finding> finish() {
    if (released) {
      throw new IllegalStateException("stream closed");
    }
    if (finished) {
      return List.of();
    }
    finished = true;
    switch (state) {
      case DETECT:
        fallBack(false);
        break;
      case CONTENT:
        if (heldLength > 0) {
          contentSegment().feed(held, 0, heldLength);
          heldLength = 0;
        }
        if (inPart || partIndex == 0) {
          notes.add(ScanNote.MULTIPART_MALFORMED);
        }
        break;
      case AFTER_DELIMITER:
        // A delimiter line cut short: its bytes are content.
        contentSegment().feed(held, 0, heldLength);
        heldLength = 0;
        notes.add(ScanNote.MULTIPART_MALFORMED);
        break;
      case HEADERS:
        fallBack(true);
        break;
      default:
        break;
    }
    Segment s = content;
    content = null;
    if (s != null) {
      s.finish();
    }
    return take();
  }

  @Override
  public Set<ScanNote> notes() {
    EnumSet<ScanNote> all = EnumSet.copyOf(notes);
    Segment s = content;
    if (s != null) {
      all.addAll(s.stream.notes());
    }
    return all.isEmpty() ? Set.of() : Set.copyOf(all);
  }

  @Override
  public long bytesScanned() {
    return position;
  }

  @Override
  public void close() {
    if (!released) {
      released = true;
      Segment s = content;
      content = null;
      if (s != null) {
        s.stream.close();
      }
    }
  }

  private List<Finding> take() {
    if (found.isEmpty()) {
      return List.of();
    }
    List<Finding> result = List.copyOf(found);
    found.clear();
    return result;
  }

  // ---- the state machine ----

  private void process(byte[] b, int offset, int length) {
    int i = offset;
    int end = offset + length;
    while (i < end) {
      switch (state) {
        case DETECT:
          i = detect(b, i, end);
          break;
        case CONTENT:
          i = content(b, i, end);
          break;
        case AFTER_DELIMITER:
          i = afterDelimiter(b, i);
          break;
        case HEADERS:
          i = headerBytes(b, i, end);
          break;
        case EPILOGUE:
        case FALLBACK:
          contentSegment().feed(b, i, end - i);
          position += end - i;
          i = end;
          break;
        default:
          throw new IllegalStateException(state.name());
      }
    }
  }

  /** Reads the first line for a boundary; then replays it as a body with that boundary. */
  private int detect(byte[] b, int i, int end) {
    while (i < end) {
      byte c = b[i++];
      append(c);
      if (c == '\n' || heldLength >= held.length) {
        int lineEnd = heldLength - (c == '\n' ? 1 : 0);
        if (lineEnd > 0 && held[lineEnd - 1] == '\r') {
          lineEnd--;
        }
        String line = new String(held, 0, lineEnd, StandardCharsets.ISO_8859_1);
        String boundary = line.startsWith("--") ? line.substring(2).stripTrailing() : null;
        byte[] replay = Arrays.copyOf(held, heldLength);
        heldLength = 0;
        if (c == '\n' && isValidBoundary(boundary)) {
          delimiter = delimiterOf(Objects.requireNonNull(boundary));
          state = State.CONTENT;
          matched = 2;
        } else {
          notes.add(ScanNote.MULTIPART_MALFORMED);
          state = State.FALLBACK;
        }
        process(replay, 0, replay.length);
        return i;
      }
    }
    return i;
  }

  private void append(byte c) {
    if (heldLength == held.length) {
      held = Arrays.copyOf(held, held.length * 2);
    }
    held[heldLength++] = c;
  }

  /** Preamble or part body: passes bytes on until a possible delimiter, which it holds. */
  private int content(byte[] b, int i, int end) {
    if (matched == 0) {
      int j = i;
      while (j < end && b[j] != '\r') {
        j++;
      }
      if (j > i) {
        contentSegment().feed(b, i, j - i);
        position += j - i;
      }
      if (j == end) {
        return end;
      }
      i = j;
    }
    byte c = b[i];
    if (c == delimiter[matched]) {
      append(c);
      position++;
      matched++;
      if (matched == delimiter.length) {
        state = State.AFTER_DELIMITER;
        after = 0;
        padding = 0;
      }
      return i + 1;
    }
    // Not a delimiter: the held bytes are content; the byte is looked at again from the start.
    notDelimiter();
    return i;
  }

  private void notDelimiter() {
    if (heldLength > 0) {
      contentSegment().feed(held, 0, heldLength);
      heldLength = 0;
    }
    matched = 0;
    state = State.CONTENT;
  }

  private int afterDelimiter(byte[] b, int i) {
    byte c = b[i];
    switch (after) {
      case 0:
        if (c == '-') {
          after = 1;
          break;
        }
        if (c == ' ' || c == '\t') {
          after = 2;
          padding = 1;
          break;
        }
        if (c == '\r') {
          after = 3;
          break;
        }
        notDelimiter();
        return i;
      case 1:
        if (c != '-') {
          notDelimiter();
          return i;
        }
        append(c);
        position++;
        endSegment();
        state = State.EPILOGUE;
        return i + 1;
      case 2:
        if ((c == ' ' || c == '\t') && padding < MAX_PADDING) {
          padding++;
          break;
        }
        if (c == '\r') {
          after = 3;
          break;
        }
        notDelimiter();
        return i;
      default:
        if (c != '\n') {
          notDelimiter();
          return i;
        }
        append(c);
        position++;
        endSegment();
        state = State.HEADERS;
        headersLength = 0;
        headersStart = position;
        return i + 1;
    }
    append(c);
    position++;
    return i + 1;
  }

  /** Ends the segment a delimiter closes and writes the delimiter line as it came. */
  private void endSegment() {
    Segment s = content;
    content = null;
    if (s != null) {
      s.finish();
    }
    RedactedOutput o = output;
    if (o != null && heldLength > 0) {
      o.write(held, 0, heldLength);
    }
    heldLength = 0;
    matched = 0;
  }

  private int headerBytes(byte[] b, int i, int end) {
    while (i < end) {
      byte c = b[i++];
      if (headersLength == headers.length) {
        headers = Arrays.copyOf(headers, headers.length * 2);
      }
      headers[headersLength++] = c;
      position++;
      if (c == '\n' && blockEnded()) {
        startPart();
        return i;
      }
      if (headersLength >= MAX_HEADER_BLOCK) {
        fallBack(true);
        return i;
      }
    }
    return i;
  }

  /** Returns whether the header block ends with an empty line (or is one). */
  private boolean blockEnded() {
    int n = headersLength;
    if (n == 2 && headers[0] == '\r') {
      return true;
    }
    return n >= 4 && headers[n - 4] == '\r' && headers[n - 3] == '\n' && headers[n - 2] == '\r';
  }

  /** Scans the rest as text, beginning with the header bytes held when {@code withHeaders}. */
  private void fallBack(boolean withHeaders) {
    notes.add(ScanNote.MULTIPART_MALFORMED);
    state = State.FALLBACK;
    if (withHeaders) {
      Segment s = new Segment(ContentType.TEXT, null, null, headersStart, null);
      content = s;
      s.feed(headers, 0, headersLength);
      headersLength = 0;
    } else if (heldLength > 0) {
      byte[] replay = Arrays.copyOf(held, heldLength);
      heldLength = 0;
      contentSegment().feed(replay, 0, replay.length);
      position += replay.length;
    }
  }

  private void startPart() {
    PartHeaders h = PartHeaders.parse(headers, headersLength);
    String path = partPath(h.name, partIndex);
    partIndex++;
    Segment block = new Segment(ContentType.TEXT, null, null, headersStart, path + ".headers");
    block.feed(headers, 0, headersLength);
    block.finish();
    headersLength = 0;
    if (headers.length > 4096) {
      headers = new byte[256];
    }

    String boundary = null;
    ContentType type = ContentType.TEXT;
    Charset partCharset = null;
    if (h.contentType != null && !h.contentType.isBlank() && !h.opaque()) {
      String media = h.contentType.toLowerCase(Locale.ROOT);
      try {
        type = ContentType.of(h.contentType);
      } catch (IllegalArgumentException e) {
        // Parameters without a media type ("; charset=utf-8"): read as the default, text.
        type = ContentType.TEXT;
      }
      partCharset = h.charset();
      if (media.startsWith("multipart/")) {
        boundary = h.parameter(h.contentType, "boundary");
        if (depth + 1 >= MAX_DEPTH || !isValidBoundary(boundary)) {
          type = ContentType.TEXT;
          boundary = null;
        } else {
          type = ContentType.MULTIPART;
        }
      } else if (type == ContentType.MULTIPART) {
        type = ContentType.TEXT;
      }
    }
    content = new Segment(type, partCharset, boundary, position, path,
        EncodedStream.forTransferEncoding(h.transferEncoding));
    inPart = true;
    state = State.CONTENT;
    matched = 0;
  }

  /** Returns the open content segment, opening the preamble's or epilogue's (as text) if none. */
  private Segment contentSegment() {
    Segment s = content;
    if (s == null) {
      s = new Segment(ContentType.TEXT, charset, null, position - (state == State.CONTENT || state == State.AFTER_DELIMITER ? heldLength : 0), null);
      content = s;
    }
    return s;
  }

  /** Returns {@code $.parts['name']}, or {@code $.parts[index]} for a part without a name. */
  static String partPath(@Nullable String name, int index) {
    if (name == null) {
      return "$.parts[" + index + "]";
    }
    return "$.parts['" + name.replace("\\", "\\\\").replace("'", "\\'") + "']";
  }

  /** Appends a path within a part ({@code $.user.ssn}, {@code $[0]}) to the part's path. */
  static @Nullable String joinPath(@Nullable String prefix, @Nullable String inner) {
    if (prefix == null) {
      return inner;
    }
    if (inner == null || inner.length() <= 1) {
      return prefix;
    }
    return prefix + inner.substring(1);
  }

  /** Returns how many bytes this stream and its open part hold (for tests of the memory bound). */
  long retainedBytes() {
    Segment s = content;
    return heldLength + headersLength + (s == null ? 0 : StreamScannerImpl.retainedBytesOf(s.stream));
  }

  @Override
  public String toString() {
    return "MultipartStream{bytes=" + position + ", parts=" + partIndex + ", state=" + state + '}';
  }

  /** The headers of one part that decide how it is scanned. Holds no body bytes. */
  static final class PartHeaders {
    @Nullable String name;
    @Nullable String filename;
    @Nullable String contentType;
    @Nullable String transferEncoding;

    /**
     * Returns whether the body is in a transfer encoding this stream does not decode (neither an
     * identity one nor base64 or quoted-printable): it is scanned as text, as written.
     */
    boolean opaque() {
      if (transferEncoding == null) {
        return false;
      }
      String t = transferEncoding.trim().toLowerCase(Locale.ROOT);
      return !(t.isEmpty() || t.equals("7bit") || t.equals("8bit") || t.equals("binary")
          || EncodedStream.forTransferEncoding(t) != null);
    }

    @Nullable Charset charset() {
      String c = contentType == null ? null : parameter(contentType, "charset");
      if (c == null) {
        return null;
      }
      try {
        return Charset.forName(c);
      } catch (RuntimeException e) {
        return null;
      }
    }

    /** Parses a header block (lines ending in CRLF or LF; folded lines joined). */
    static PartHeaders parse(byte[] block, int length) {
      PartHeaders h = new PartHeaders();
      String text = new String(block, 0, length, StandardCharsets.UTF_8);
      String[] lines = text.split("\r?\n", -1);
      List<String> unfolded = new ArrayList<>();
      for (String line : lines) {
        if (!line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t') && !unfolded.isEmpty()) {
          int last = unfolded.size() - 1;
          unfolded.set(last, unfolded.get(last) + ' ' + line.strip());
        } else if (!line.isEmpty()) {
          unfolded.add(line);
        }
      }
      for (String line : unfolded) {
        int colon = line.indexOf(':');
        if (colon <= 0) {
          continue;
        }
        String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
        String value = line.substring(colon + 1).strip();
        switch (name) {
          case "content-disposition":
            if (h.name == null) {
              h.name = parameter(value, "name");
              h.filename = parameter(value, "filename");
            }
            break;
          case "content-type":
            if (h.contentType == null) {
              h.contentType = value;
            }
            break;
          case "content-transfer-encoding":
            if (h.transferEncoding == null) {
              h.transferEncoding = value;
            }
            break;
          default:
            break;
        }
      }
      return h;
    }

    /**
     * Returns the value of parameter {@code name} of a header value ({@code form-data;
     * name="a"; filename=b.txt}), unquoted, or null when it is absent.
     */
    static @Nullable String parameter(String value, String name) {
      int i = value.indexOf(';');
      while (i >= 0 && i < value.length()) {
        i++;
        while (i < value.length() && (value.charAt(i) == ' ' || value.charAt(i) == '\t')) {
          i++;
        }
        int eq = i;
        while (eq < value.length() && value.charAt(eq) != '=' && value.charAt(eq) != ';') {
          eq++;
        }
        String key = value.substring(i, eq).strip();
        if (eq >= value.length() || value.charAt(eq) == ';') {
          i = eq;
          continue;
        }
        int v = eq + 1;
        while (v < value.length() && (value.charAt(v) == ' ' || value.charAt(v) == '\t')) {
          v++;
        }
        StringBuilder sb = new StringBuilder();
        int next;
        if (v < value.length() && value.charAt(v) == '"') {
          int k = v + 1;
          while (k < value.length() && value.charAt(k) != '"') {
            char ch = value.charAt(k);
            if (ch == '\\' && k + 1 < value.length()) {
              k++;
              ch = value.charAt(k);
            }
            sb.append(ch);
            k++;
          }
          next = value.indexOf(';', Math.min(k + 1, value.length()));
        } else {
          next = value.indexOf(';', v);
          sb.append(value, v, next < 0 ? value.length() : next);
        }
        if (key.equalsIgnoreCase(name)) {
          return sb.toString().strip();
        }
        i = next;
      }
      return null;
    }
  }
}
