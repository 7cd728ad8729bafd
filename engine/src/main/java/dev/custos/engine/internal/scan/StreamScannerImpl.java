package dev.custos.engine.internal.scan;

import dev.custos.engine.Confidence;
import dev.custos.engine.DetectorDefinition.Normalization;
import dev.custos.engine.Finding;
import dev.custos.engine.PluginDetectorDefinition;
import dev.custos.engine.PluginMatch;
import dev.custos.engine.RedactedOutput;
import dev.custos.engine.RedactionChoice;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.ScanNote;
import dev.custos.engine.StreamScanner;
import dev.custos.engine.internal.match.EndSink;
import dev.custos.engine.internal.match.MatchStream;
import dev.custos.engine.internal.match.PackedDfa;
import dev.custos.engine.internal.pattern.ByteDfa;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The streaming pipeline of one stream.
 *
 * <ol>
 *   <li>For a form ({@code application/x-www-form-urlencoded}), a {@link FormDecoder} decodes the
 *       bytes first; everything below runs on the decoded bytes, and offsets of findings and the
 *       redacted output are mapped back to the original ones.
 *   <li>The backend reports end events {@code (detector, e)}: some match of the detector's
 *       (relaxed) pattern ends at {@code e}.
 *   <li>Once byte {@code e} is known (for the end boundary), the detector's exact reverse DFA walks
 *       back from {@code e} over the retained window to the longest match starting on a boundary:
 *       a candidate {@code [s, e)}.
 *   <li>For JSON, the candidate waits until the parser has passed {@code e}; it must lie inside one
 *       string, field name or number, whose path and key it takes. Past a parse failure, text rules.
 *       For a form, the walk back stops at the start of the name or value holding {@code e - 1},
 *       whose path and key the candidate takes at once.
 *   <li>Once the context window after {@code e} is known, filters run (validator, exclusions,
 *       entropy, keyword gate, context) and evidence is made.
 *   <li>Plugin detectors get windows of the same bytes, placed by offset only: window {@code k}
 *       covers {@code [k * stride, k * stride + window)} ({@code stride = window - maxLength}), is
 *       run once all of it has arrived (the last one at the end), and gives the candidates that
 *       start before the next window does and are at most {@code maxLength} long, so each is taken
 *       exactly once. They skip the filters but otherwise go through the steps below: the JSON
 *       tracker and the frontier wait for the next window to run.
 *   <li>A candidate becomes final when no unknown candidate can precede or overlap it (its start
 *       plus twice the longest match is behind the frontier); it is dropped if an overlapping
 *       candidate dominates it (higher confidence, then longer, then earlier, then detector order).
 * </ol>
 *
 * Every decision depends only on the bytes, never on where chunks begin or end.
 */
final class StreamScannerImpl implements StreamScanner, EndSink {
  private static Confidence detected(Candidate c) {
    return c.detected != null ? c.detected : Objects.requireNonNull(c.confidence);
  }

  private static final Finding[] NO_FINDINGS = new Finding[0];
  private static final byte[] NO_BYTES = new byte[0];

  /** Orders plugin candidates as {@link #order} does, the most confident first among equals. */
  private static final java.util.Comparator<Candidate> BY_ORDER_THEN_CONFIDENCE =
      ((java.util.Comparator<Candidate>) StreamScannerImpl::order)
          .thenComparing(c -> Objects.requireNonNull(c.confidence), java.util.Comparator.reverseOrder());

  /** What {@link #pluginNext} holds once the last window of a plugin has run. */
  private static final long DONE = Long.MAX_VALUE / 4;

  private final CompiledDetector[] detectors;
  private final PluginRunner[] plugins;
  /** Per plugin, the start of the next window to run. */
  private final long[] pluginNext;
  private final MatcherLayout layout;
  /** The arrays below; the thread's kept ones (see {@link WindowPool}) until the stream closes. */
  private final WindowPool.Regions regions;
  private final long[] regionPos;
  private final long[] regionEnd;
  /**
   * The scratch arrays below (segments, pending keywords, events, deferred ends); the thread's kept
   * ones (see {@link WindowPool}) until the stream closes, each read only below its count.
   */
  private final WindowPool.Scratch scratch;
  /** Region scans queued for {@link #runRegions}: detector, buffer indices, first row, kept or not. */
  private int[] segmentDetector;
  private int[] segmentFrom;
  private int[] segmentTo;
  private int[] segmentRow;
  private boolean[] segmentKeep;
  private int segmentCount;
  /** Keywords ending where the bytes end so far, held until the next byte arrives. */
  private int[] pendingPattern;
  private long[] pendingEnd;
  private int pendingCount;
  /** Scratch rows for {@link PackedDfa#runPair}. */
  private final int[] regionRows = new int[3];
  /** Per gated detector: the row its packed automaton reached at regionPos; -1 for its initial row. */
  private final int[] regionState;
  private final int jsonLag;
  private long jsonFed;
  private final int maxLength;
  private final int contextWindow;
  private final MatchStream matches;
  private final @Nullable JsonTracker json;
  /** For a form or protobuf: decodes the fields, and maps back. */
  private final @Nullable FieldDecoder form;
  /** For text and JSON: decodes UTF-16/UTF-32 and JSON escapes, and maps back. */
  private final @Nullable TextDecoder text;
  private final @Nullable RedactionChoice redaction;
  private final @Nullable RedactedOutput output;
  private final EvidenceMaker evidence;
  private final EnumSet<ScanNote> notes = EnumSet.noneOf(ScanNote.class);
  /** What the JSON tracker asks about the candidates. */
  private final JsonTracker.Interest interest = this::nextEnd;

  /** The retained window; the thread's kept one (see {@link WindowPool}) until the stream closes. */
  private byte[] buf;
  private long bufStart;
  private int bufLen;
  private long total;

  private long[] eventEnd;
  private int[] eventDetector;
  private int eventCount;
  /** Scratch for {@link #sortEvents}, kept so that a chunk's sort allocates nothing. */
  private long[] packed;

  private long[] deferredEnd;
  private int[] deferredDetector;
  private int deferredCount;

  private final ArrayList<Candidate> unresolved = new ArrayList<>();
  private int unresolvedHead;
  private int interestCursor;

  private final ArrayList<Candidate> active = new ArrayList<>();
  private int finalizedCount;

  private final ArrayDeque<Candidate> toRedact = new ArrayDeque<>();
  private long emitted;
  /** With a text decoder: how many original bytes went to the output. */
  private long emittedOriginal;

  private final List<Finding> out = new ArrayList<>();
  /** The policy's global allowlist, or null. */
  private final @Nullable AllowFilter allow;
  private boolean finished;
  private boolean closed;

  StreamScannerImpl(
      CompiledDetector[] detectors,
      PluginRunner[] plugins,
      MatcherLayout layout,
      int maxLength,
      int contextWindow,
      MatchStream matches,
      @Nullable JsonTracker json,
      @Nullable FieldDecoder form,
      @Nullable TextDecoder text,
      EvidenceMaker evidence,
      @Nullable RedactionChoice redaction,
      @Nullable RedactedOutput output,
      @Nullable AllowFilter allow) {
    this.allow = allow;
    this.detectors = detectors;
    this.plugins = plugins;
    this.pluginNext = new long[plugins.length];
    this.layout = layout;
    WindowPool.Kept kept = WindowPool.kept();
    this.buf = kept.takeWindow();
    this.regions = kept.takeRegions(detectors.length);
    this.regionPos = regions.pos;
    this.regionEnd = regions.end;
    this.regionState = regions.state;
    WindowPool.Scratch s = kept.takeScratch();
    this.scratch = s;
    this.segmentDetector = s.segmentDetector;
    this.segmentFrom = s.segmentFrom;
    this.segmentTo = s.segmentTo;
    this.segmentRow = s.segmentRow;
    this.segmentKeep = s.segmentKeep;
    this.pendingPattern = s.pendingPattern;
    this.pendingEnd = s.pendingEnd;
    this.eventEnd = s.eventEnd;
    this.eventDetector = s.eventDetector;
    this.packed = s.packed;
    this.deferredEnd = s.deferredEnd;
    this.deferredDetector = s.deferredDetector;
    this.jsonLag = contextWindow + layout.maxKeywordLength() + 2;
    this.maxLength = maxLength;
    this.contextWindow = contextWindow;
    this.matches = matches;
    this.json = json;
    this.form = form;
    this.text = text;
    this.evidence = evidence;
    this.redaction = redaction;
    this.output = output;
  }

  /**
   * A candidate match; holds offsets, once evaluated its confidence, and once final and not
   * dominated its finding — never the value.
   */
  static final class Candidate {
    /** The built-in or custom detector, or null for a plugin's candidate. */
    final @Nullable CompiledDetector detector;
    /** The detector's rank among all detectors, for ties. */
    final int index;
    final String id;
    final String category;
    final Normalization normalization;
    /** Where the candidate starts; a credential's moves to its value once evaluated. */
    long start;
    final long end;
    JsonTracker.@Nullable Token token;
    boolean jsonResolved;
    @Nullable Confidence confidence;
    /**
     * The confidence the detector gave before a sample value lowered it to low; breaks ties
     * between detectors that report the same value.
     */
    @Nullable Confidence detected;
    /** The rules whose allowlist patterns the value satisfies. */
    Set<String> allowedByRules = Set.of();
    /** What the validator recognised beyond the category (a phone number's region), or null. */
    @Nullable String qualifier;
    @Nullable Finding finding;
    /** How a redacting stream rewrites this finding; set when it is final. */
    @Nullable RedactionStyle style;

    Candidate(CompiledDetector detector, long start, long end) {
      this.detector = detector;
      this.index = detector.index;
      this.id = detector.id;
      this.category = detector.category;
      this.normalization = detector.normalization;
      this.start = start;
      this.end = end;
    }

    /** A plugin's candidate, whose confidence the plugin gave. */
    Candidate(PluginRunner plugin, String category, Confidence confidence, long start, long end) {
      this.detector = null;
      this.index = plugin.index;
      this.id = plugin.id;
      this.category = category;
      this.normalization = plugin.definition.normalization();
      this.confidence = confidence;
      this.start = start;
      this.end = end;
    }

    /** Where a redaction of this candidate begins: a whole JSON number is rewritten as a string. */
    long replaceStart() {
      return token != null && token.number ? Math.min(start, token.first) : start;
    }

    long replaceEnd() {
      return token != null && token.number ? Math.max(end, token.end) : end;
    }

    @Override
    public String toString() {
      return "Candidate{" + id + " [" + start + ", " + end + ")}";
    }
  }

  // ---- StreamScanner ----

  @Override
  public List<Finding> feed(byte[] bytes, int offset, int length) {
    Objects.requireNonNull(bytes, "bytes");
    Objects.checkFromIndexSize(offset, length, bytes.length);
    checkOpen();
    if (finished) {
      throw new IllegalStateException("stream finished (expected: no feed after finish())");
    }
    if (length == 0) {
      return List.of();
    }
    // Large chunks are taken in slices so that the window and event buffers stay small.
    int slice = 64 * 1024;
    for (int from = offset; from < offset + length; from += slice) {
      int n = Math.min(slice, offset + length - from);
      if (form != null) {
        int decoded = form.decode(bytes, from, n);
        scanSlice(form.decoded(), 0, decoded);
      } else if (text != null) {
        int decoded = text.decode(bytes, from, n);
        scanSlice(text.decodedArray(), text.decodedOffset(), decoded);
      } else {
        scanSlice(bytes, from, n);
      }
    }
    return takeOutput();
  }

  /** Runs the pipeline over the next bytes it scans (decoded ones for a form). */
  private void scanSlice(byte[] bytes, int from, int n) {
    if (n == 0) {
      return;
    }
    append(bytes, from, n);
    eventCount = 0;
    matches.scan(bytes, from, n, this);
    runRegions();
    sortEvents();
    locateCandidates(false);
    runPlugins(false);
    if (json != null) {
      feedJson(Math.min(total - jsonLag, pluginFrom()));
    }
    if (form != null) {
      form.addNotes(notes);
    }
    advance(false);
    compact();
  }

  /** Feeds the JSON tracker up to {@code upTo}; it lags behind so that late candidates find their tokens. */
  private void feedJson(long upTo) {
    JsonTracker j = Objects.requireNonNull(json);
    if (upTo > jsonFed) {
      interestCursor = unresolvedHead;
      j.feed(buf, (int) (jsonFed - bufStart), (int) (upTo - jsonFed), interest);
      jsonFed = upTo;
      noteJsonFailure();
    }
  }

  @Override
  public List<Finding> finish() {
    checkOpen();
    if (finished) {
      return List.of();
    }
    finished = true;
    if (form != null) {
      int decoded = form.finish();
      scanSlice(form.decoded(), 0, decoded);
    }
    if (text != null) {
      int decoded = text.finish();
      scanSlice(text.decodedArray(), text.decodedOffset(), decoded);
    }
    eventCount = 0;
    matches.finish(this);
    runRegions();
    sortEvents();
    locateCandidates(true);
    runPlugins(true);
    if (json != null) {
      feedJson(total);
      interestCursor = unresolvedHead;
      json.finish(interest);
      noteJsonFailure();
    }
    advance(true);
    if (text != null && !text.transparent() && output != null && text.fed() > emittedOriginal) {
      text.writeOriginal(output, emittedOriginal, text.fed());
      emittedOriginal = text.fed();
    }
    return takeOutput();
  }

  @Override
  public Set<ScanNote> notes() {
    return notes.isEmpty() ? Set.of() : Set.copyOf(notes);
  }

  @Override
  public long bytesScanned() {
    return form != null ? form.fed() : text != null ? text.fed() : total;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      byte[] window = buf;
      buf = NO_BYTES;
      WindowPool.Kept kept = WindowPool.kept();
      kept.giveWindow(window);
      kept.giveRegions(regions);
      WindowPool.Scratch s = scratch;
      s.segmentDetector = segmentDetector;
      s.segmentFrom = segmentFrom;
      s.segmentTo = segmentTo;
      s.segmentRow = segmentRow;
      s.segmentKeep = segmentKeep;
      s.pendingPattern = pendingPattern;
      s.pendingEnd = pendingEnd;
      s.eventEnd = eventEnd;
      s.eventDetector = eventDetector;
      s.packed = packed;
      s.deferredEnd = deferredEnd;
      s.deferredDetector = deferredDetector;
      kept.giveScratch(s);
      if (json != null) {
        json.release();
      }
      if (text != null) {
        text.release();
      }
      matches.close();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("stream closed");
    }
  }

  private List<Finding> takeOutput() {
    if (out.isEmpty()) {
      return List.of();
    }
    List<Finding> result = List.copyOf(out);
    out.clear();
    return result;
  }

  private void noteJsonFailure() {
    if (json != null && json.failed() && json.failure() != null) {
      notes.add(json.failure());
    }
  }

  // ---- window ----

  private void append(byte[] bytes, int offset, int length) {
    if (bufLen + length > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, bufLen + length));
    }
    System.arraycopy(bytes, offset, buf, bufLen, length);
    bufLen += length;
    total += length;
  }

  private int at(long offset) {
    return buf[(int) (offset - bufStart)] & 0xff;
  }

  private void compact() {
    // Later candidates end past this, and a gated region reaches back no further.
    long horizon = Math.min(total - maxLength - contextWindow - 2, pluginFrom());
    long keepFrom = horizon;
    if (json != null) {
      keepFrom = Math.min(keepFrom, jsonFed);
    }
    for (int i = unresolvedHead; i < unresolved.size(); i++) {
      keepFrom = Math.min(keepFrom, unresolved.get(i).replaceStart() - contextWindow - 1);
    }
    // Candidates not yet final keep their bytes: their evidence (and redaction) needs them.
    for (int i = finalizedCount; i < active.size(); i++) {
      keepFrom = Math.min(keepFrom, active.get(i).replaceStart());
    }
    if (output != null) {
      keepFrom = Math.min(keepFrom, emitted);
      for (Candidate c : toRedact) {
        keepFrom = Math.min(keepFrom, c.replaceStart());
      }
    }
    long drop = keepFrom - bufStart;
    if (drop >= 4096 && drop >= bufLen / 2) {
      int d = (int) drop;
      System.arraycopy(buf, d, buf, 0, bufLen - d);
      bufLen -= d;
      bufStart += d;
      if (buf.length > 65536 && bufLen < buf.length / 4) {
        buf = Arrays.copyOf(buf, Math.max(8192, buf.length / 2));
      }
    }
    if (form != null) {
      // Escapes map only what is still needed (keepFrom), not all the window's bytes kept until
      // the next drop: a form's escape costs eight bytes where its decoded byte costs one.
      form.forgetBefore(horizon, Math.max(bufStart, keepFrom));
      if (output != null) {
        form.dropOriginalBefore(form.originalOffset(emitted));
      }
    }
    if (text != null) {
      text.forgetBefore(bufStart);
      if (output != null) {
        text.dropOriginalBefore(emittedOriginal);
      }
    }
    if (unresolvedHead > 256 && unresolvedHead > unresolved.size() / 2) {
      unresolved.subList(0, unresolvedHead).clear();
      interestCursor = Math.max(0, interestCursor - unresolvedHead);
      unresolvedHead = 0;
    }
  }

  // ---- events and candidates ----

  @Override
  public void onEnd(int pattern, long end) {
    int detector = layout.detectorOf(pattern);
    if (detector >= 0) {
      addEvent(detector, end);
      return;
    }
    openPendingKeywords();
    long keywordStart = end - layout.keywordLength(pattern);
    if (layout.alphanumericFirst(pattern) && !mayStartWord(keywordStart)) {
      // Inside a word ("arc" in "search", "sin" in "using"): the keyword gate takes keywords
      // only as whole words of the text or of a key name, so this one vouches for nothing.
      return;
    }
    if (layout.alphanumericLast(pattern)) {
      if (end >= total && !finished) {
        // The byte after it, which tells whether a word may end here, has not arrived: decide
        // once it has (or the stream ends), so chunking changes nothing.
        if (pendingCount == pendingPattern.length) {
          pendingPattern = Arrays.copyOf(pendingPattern, pendingCount * 2);
          pendingEnd = Arrays.copyOf(pendingEnd, pendingCount * 2);
        }
        pendingPattern[pendingCount] = pattern;
        pendingEnd[pendingCount] = end;
        pendingCount++;
        return;
      }
      if (end < total && !mayEndWord(end)) {
        // "ship" in "shipment", "arc" in "archive".
        return;
      }
    }
    openRegions(pattern, keywordStart, end);
  }

  private void openRegions(int pattern, long keywordStart, long keywordEnd) {
    for (int g : layout.gatedBy(pattern)) {
      openRegion(g, keywordStart, keywordEnd);
    }
  }

  /**
   * Opens the regions of keywords held back for the byte after them, now that it has arrived (or
   * the stream has ended); they end before any keyword reported since, so regions still open in
   * keyword order.
   */
  private void openPendingKeywords() {
    if (pendingCount == 0 || (pendingEnd[0] >= total && !finished)) {
      return;
    }
    int count = pendingCount;
    pendingCount = 0;
    for (int i = 0; i < count; i++) {
      long end = pendingEnd[i];
      if (end >= total || mayEndWord(end)) {
        openRegions(pendingPattern[i], end - layout.keywordLength(pendingPattern[i]), end);
      }
    }
  }

  /**
   * Returns whether a word may end at {@code offset} (before byte {@code offset}, which has
   * arrived), as {@link #mayStartWord} tells where one may start: before a byte other than an ASCII
   * letter or digit, or before an upper-case letter.
   */
  private boolean mayEndWord(long offset) {
    int next = at(offset);
    return !isAlphanumeric(next) || (next >= 'A' && next <= 'Z');
  }

  /**
   * Returns whether a word may start at {@code offset}, as the keyword gate ({@link #containsAny})
   * and key names ({@link KeyName}) split words: after a byte other than an ASCII letter or digit
   * (a non-ASCII letter counts too: a key name splits at none, so this errs on the side of a
   * word), or at an upper-case letter (camel case, or the last capital of an acronym). A JSON
   * escape before a keyword needs no case of its own: the text decoder hands a control character
   * on as a space, a quote or backslash in its short form, and a lone surrogate as U+FFFD. Looks only at bytes before {@code offset + 1}, which have all
   * arrived, so the answer does not depend on chunking.
   */
  private boolean mayStartWord(long offset) {
    if (offset - 1 < bufStart) {
      return true;
    }
    int first = at(offset);
    return !isAlphanumeric(at(offset - 1)) || (first >= 'A' && first <= 'Z');
  }

  /**
   * Opens (or extends) the region around a keyword where detector {@code g} must run. A candidate
   * passes the keyword gate only if a keyword lies within the context window of it, so every such
   * candidate lies within {@code [keywordEnd - window - maxLength, keywordStart + window +
   * maxLength]}; running the detector's searching DFA over that region finds all of them.
   */
  private void openRegion(int g, long keywordStart, long keywordEnd) {
    CompiledDetector d = detectors[g];
    long start = Math.max(0, keywordEnd - contextWindow - d.maxLength - 1);
    long end = keywordStart + contextWindow + d.maxLength + 1;
    if (regionEnd[g] == 0) {
      // Its first region in this stream (an opened region ends past 0): runRegions scans it.
      regions.touch(g);
    }
    if (start <= regionEnd[g]) {
      regionEnd[g] = Math.max(regionEnd[g], end);
      return;
    }
    if (regionPos[g] < regionEnd[g]) {
      // The open region ended before this one starts, so all of it has arrived (keyword events
      // come in while the backend scans a chunk): it is queued to be scanned with the others.
      addSegment(g, regionPos[g], regionEnd[g], regionState[g], false);
    }
    regionPos[g] = start;
    regionEnd[g] = end;
    regionState[g] = -1;
  }

  /** Queues {@code [from, to)} to be scanned for detector {@code g} from {@code row} (-1: initial). */
  private void addSegment(int g, long from, long to, int row, boolean keep) {
    if (segmentCount == segmentDetector.length) {
      int n = segmentCount * 2;
      segmentDetector = Arrays.copyOf(segmentDetector, n);
      segmentFrom = Arrays.copyOf(segmentFrom, n);
      segmentTo = Arrays.copyOf(segmentTo, n);
      segmentRow = Arrays.copyOf(segmentRow, n);
      segmentKeep = Arrays.copyOf(segmentKeep, n);
    }
    segmentDetector[segmentCount] = g;
    segmentFrom[segmentCount] = (int) (from - bufStart);
    segmentTo[segmentCount] = (int) (to - bufStart);
    segmentRow[segmentCount] = row;
    segmentKeep[segmentCount] = keep;
    segmentCount++;
  }

  /**
   * Runs every gated detector over the part of its regions that has arrived: the regions closed
   * while the backend scanned this chunk and the part of each open one. The scans are independent
   * (each starts from a known state), so they run two at a time, their table reads overlapped.
   */
  private void runRegions() {
    openPendingKeywords();
    // Only detectors whose region has opened can have bytes to scan; the queue's order does not
    // matter, as sortEvents orders what the scans report.
    int[] touched = regions.touched;
    for (int k = 0, n = regions.touchedCount; k < n; k++) {
      int g = touched[k];
      long to = Math.min(regionEnd[g], total);
      if (regionPos[g] < to) {
        // The open region goes on: its scan's last state is kept for the next chunk.
        addSegment(g, regionPos[g], to, regionState[g], true);
        regionPos[g] = to;
      }
    }
    int count = segmentCount;
    segmentCount = 0;
    if (count == 0) {
      return;
    }
    // Two lanes; each takes the next segment when its own is done.
    int next = 0;
    int a = -1;
    int b = -1;
    int[] rows = regionRows;
    int posA = 0;
    int posB = 0;
    PackedDfa dfaA = null;
    PackedDfa dfaB = null;
    while (true) {
      if (a < 0 && next < count) {
        a = next++;
        dfaA = layout.regionDfa(segmentDetector[a]);
        posA = segmentFrom[a];
        rows[0] = segmentRow[a] < 0 ? dfaA.initialRow() : segmentRow[a];
      }
      if (b < 0 && next < count) {
        b = next++;
        dfaB = layout.regionDfa(segmentDetector[b]);
        posB = segmentFrom[b];
        rows[1] = segmentRow[b] < 0 ? dfaB.initialRow() : segmentRow[b];
      }
      if (a < 0 || b < 0) {
        break;
      }
      int k = PackedDfa.runPair(Objects.requireNonNull(dfaA), Objects.requireNonNull(dfaB), buf,
          posA, posB, Math.min(segmentTo[a] - posA, segmentTo[b] - posB), rows);
      posA += k;
      posB += k;
      if ((rows[2] & 1) != 0) {
        addEvent(segmentDetector[a], bufStart + posA);
      }
      if ((rows[2] & 2) != 0) {
        addEvent(segmentDetector[b], bufStart + posB);
      }
      if (posA == segmentTo[a]) {
        endSegment(a, rows[0]);
        a = -1;
      }
      if (posB == segmentTo[b]) {
        endSegment(b, rows[1]);
        b = -1;
      }
    }
    // At most one segment is left, part way through.
    if (a >= 0) {
      runSegment(a, Objects.requireNonNull(dfaA), posA, rows[0]);
    }
    if (b >= 0) {
      runSegment(b, Objects.requireNonNull(dfaB), posB, rows[1]);
    }
  }

  /** Runs the rest of segment {@code s} alone, from buffer index {@code i} and {@code row}. */
  private void runSegment(int s, PackedDfa dfa, int i, int row) {
    int g = segmentDetector[s];
    int stop = segmentTo[s];
    while (i < stop) {
      long r = dfa.run(buf, i, stop, row);
      i = (int) (r >>> 32);
      row = (int) r;
      if (i < stop) {
        // The automaton accepts after byte i: a match ends just past it.
        addEvent(g, bufStart + i + 1);
        i++;
      }
    }
    endSegment(s, row);
  }

  private void endSegment(int s, int row) {
    if (segmentKeep[s]) {
      regionState[segmentDetector[s]] = row;
    }
  }

  /**
   * Adds an end event, except a key_value detector's in a form where the byte after it shows no
   * field value ends there: its candidate is a whole value (isWholeValueUnderKey), which ends
   * before a separator ('&' or '=') or where the input ends, while its pattern accepts after every
   * value byte; locating each such end back to its start was most of a form scan. An end whose
   * next byte has not arrived is kept, and {@link #locate} checks it once it has.
   */
  private void addEvent(int detector, long end) {
    if (form != null && end < total && detectors[detector].keyValue) {
      if (!form.mayEndField(at(end))) {
        return;
      }
    }
    if (eventCount == eventEnd.length) {
      eventEnd = Arrays.copyOf(eventEnd, eventCount * 2);
      eventDetector = Arrays.copyOf(eventDetector, eventCount * 2);
    }
    eventEnd[eventCount] = end;
    eventDetector[eventCount] = detector;
    eventCount++;
  }

  /** Sorts this chunk's events by end, then detector. */
  private void sortEvents() {
    if (eventCount < 2) {
      return;
    }
    boolean sorted = true;
    for (int i = 1; i < eventCount && sorted; i++) {
      sorted = eventEnd[i - 1] < eventEnd[i]
          || (eventEnd[i - 1] == eventEnd[i] && eventDetector[i - 1] <= eventDetector[i]);
    }
    if (sorted) {
      return;
    }
    if (packed.length < eventCount) {
      packed = new long[eventEnd.length];
    }
    long[] packed = this.packed;
    for (int i = 0; i < eventCount; i++) {
      packed[i] = (eventEnd[i] << 16) | eventDetector[i];
    }
    Arrays.sort(packed, 0, eventCount);
    for (int i = 0; i < eventCount; i++) {
      eventEnd[i] = packed[i] >>> 16;
      eventDetector[i] = (int) (packed[i] & 0xffff);
    }
  }

  /** Turns events whose end boundary can be judged into candidates, in end order. */
  private void locateCandidates(boolean finishing) {
    int previouslyDeferred = deferredCount;
    deferredCount = 0;
    for (int i = 0; i < previouslyDeferred; i++) {
      locate(deferredDetector[i], deferredEnd[i], finishing);
    }
    for (int i = 0; i < eventCount; i++) {
      locate(eventDetector[i], eventEnd[i], finishing);
    }
  }

  private void locate(int detectorIndex, long end, boolean finishing) {
    if (!finishing && end >= total) {
      if (deferredCount == deferredEnd.length) {
        deferredEnd = Arrays.copyOf(deferredEnd, deferredCount * 2);
        deferredDetector = Arrays.copyOf(deferredDetector, deferredCount * 2);
      }
      deferredEnd[deferredCount] = end;
      deferredDetector[deferredCount] = detectorIndex;
      deferredCount++;
      return;
    }
    if (isWord(at(end - 1)) && end < total && isWord(at(end))) {
      return;
    }
    CompiledDetector detector = detectors[detectorIndex];
    if (detector.keyValue && form != null && end < total && form.fieldStart(end) >= 0) {
      // A key_value candidate is a whole field value (isWholeValueUnderKey), so it ends at a
      // separator or at the end of the body (addEvent let an end through on its byte alone).
      return;
    }
    long limit = Math.max(bufStart, end - detector.maxLength);
    long fieldStart = -1;
    if (form != null) {
      // A form match lies in one name or value; the byte before either is a separator.
      fieldStart = form.fieldStart(end - 1);
      if (fieldStart < 0) {
        return;
      }
      limit = Math.max(limit, fieldStart);
    }
    PackedDfa reverse = layout.reverseDfa(detectorIndex);
    int row = reverse.initialRow();
    int dead = reverse.deadRow();
    long best = -1;
    byte[] buf = this.buf;
    int stop = (int) (limit - bufStart);
    for (int i = (int) (end - 1 - bufStart); i >= stop; i--) {
      int e = reverse.entry(row, buf[i] & 0xff);
      row = e & PackedDfa.ROW;
      if (row == dead) {
        break;
      }
      long p = bufStart + i;
      if (e < 0 && (p == 0 || p == fieldStart || !isWord(at(p)) || !isWord(at(p - 1)))) {
        best = p;
      }
    }
    if (best >= 0) {
      Candidate c = new Candidate(detector, best, end);
      if (form != null) {
        c.token = form.tokenAt(end - 1);
        c.jsonResolved = true;
      }
      insertUnresolved(c);
    }
  }

  /** Keeps the unresolved candidates in end order; region scans may find earlier ends late. */
  private void insertUnresolved(Candidate c) {
    int size = unresolved.size();
    if (size == unresolvedHead || unresolved.get(size - 1).end <= c.end) {
      unresolved.add(c);
      return;
    }
    int lo = unresolvedHead;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (unresolved.get(mid).end <= c.end) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    unresolved.add(lo, c);
  }

  private static boolean isWord(int b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '_';
  }

  /**
   * Tells the JSON tracker the smallest end of a candidate (or pending event) after {@code first};
   * asked with increasing {@code first} from {@link #interestCursor} on.
   */
  private long nextEnd(long first) {
    while (interestCursor < unresolved.size() && unresolved.get(interestCursor).end <= first) {
      interestCursor++;
    }
    long next = interestCursor < unresolved.size() ? unresolved.get(interestCursor).end : Long.MAX_VALUE;
    for (int i = 0; i < deferredCount; i++) {
      if (deferredEnd[i] > first && deferredEnd[i] < next) {
        next = deferredEnd[i];
      }
    }
    return next;
  }

  // ---- plugin detectors ----

  /** Returns where the earliest window not yet run starts; no plugin candidate starts before it. */
  private long pluginFrom() {
    long from = DONE;
    for (long next : pluginNext) {
      from = Math.min(from, next);
    }
    return from;
  }

  /** Runs every window that has arrived in full and, when finishing, the last ones. */
  private void runPlugins(boolean finishing) {
    for (int p = 0; p < plugins.length; p++) {
      PluginRunner r = plugins[p];
      while (pluginNext[p] != DONE && pluginNext[p] + r.window <= total) {
        long from = pluginNext[p];
        runWindow(r, from, from + r.window, from + r.stride);
        pluginNext[p] = from + r.stride;
      }
      if (finishing) {
        if (pluginNext[p] < total) {
          runWindow(r, pluginNext[p], total, total);
        }
        pluginNext[p] = DONE;
      }
    }
  }

  /**
   * Runs a plugin over {@code [from, to)} and adds the candidates that start before {@code owned}
   * (where the next window takes over). A failure drops the whole window's matches and is noted.
   */
  private void runWindow(PluginRunner r, long from, long to, long owned) {
    int length = (int) (to - from);
    List<Candidate> found = new ArrayList<>();
    try {
      for (PluginMatch m : r.detect(buf, (int) (from - bufStart), length)) {
        if (m == null) {
          throw new IllegalStateException("match: null (expected: a match)");
        }
        if (m.end() > length) {
          throw new IllegalStateException("match end: " + m.end()
              + " (expected: at most the window length, " + length + ")");
        }
        String category = r.categoryOf(m);
        long start = from + m.start();
        long end = from + m.end();
        Confidence confidence = r.confidenceOf(m);
        if (start >= owned || end - start > r.maxLength || confidence == null) {
          continue;
        }
        found.add(new Candidate(r, category, confidence, start, end));
      }
    } catch (RuntimeException e) {
      // The exception is not kept: a plugin's message might quote the payload.
      notes.add(ScanNote.PLUGIN_ERROR);
      if (r.definition.onError() == PluginDetectorDefinition.OnError.BLOCK) {
        notes.add(ScanNote.PLUGIN_ERROR_BLOCK);
      }
      return;
    }
    // Of equal matches the most confident is kept.
    found.sort(BY_ORDER_THEN_CONFIDENCE);
    Candidate previous = null;
    for (Candidate c : found) {
      if (previous != null && order(previous, c) == 0) {
        continue;
      }
      previous = c;
      if (form != null) {
        // Like a built-in match, a plugin's lies within one name or value.
        long fieldStart = form.fieldStart(c.end - 1);
        if (fieldStart < 0 || fieldStart > c.start) {
          continue;
        }
        c.token = form.tokenAt(c.end - 1);
        c.jsonResolved = true;
      }
      insertUnresolved(c);
    }
  }

  // ---- resolution, evaluation, finalization ----

  private void advance(boolean finishing) {
    while (unresolvedHead < unresolved.size()) {
      Candidate c = unresolved.get(unresolvedHead);
      if (json != null && !c.jsonResolved) {
        if (json.failed() && c.end > json.failedAt()) {
          c.jsonResolved = true;
        } else if (json.completedUpTo() >= c.end || json.finished() || json.failed()) {
          c.token = json.find(c.start, c.end);
          c.jsonResolved = true;
          if (c.token == null) {
            unresolvedHead++;
            continue;
          }
        } else {
          break;
        }
      }
      if (!finishing && c.end + contextWindow + 2 > total) {
        break;
      }
      unresolvedHead++;
      if (evaluate(c)) {
        insertActive(c);
      }
    }
    long frontier = finishing ? Long.MAX_VALUE / 4 : total;
    if (deferredCount > 0) {
      frontier = Math.min(frontier, deferredEnd[0]);
    }
    // A plugin's candidate not yet known starts at or after its next window.
    frontier = Math.min(frontier, pluginFrom());
    if (unresolvedHead < unresolved.size()) {
      frontier = Math.min(frontier, unresolved.get(unresolvedHead).end);
    }
    if (json != null) {
      long forget = frontier - maxLength;
      for (int i = unresolvedHead; i < unresolved.size(); i++) {
        forget = Math.min(forget, unresolved.get(i).start);
      }
      json.forgetBefore(forget);
    }
    finalizeUpTo(frontier, finishing);
    if (output != null) {
      long safe = finishing ? total : frontier - maxLength - contextWindow - 2;
      if (finalizedCount < active.size()) {
        safe = Math.min(safe, active.get(finalizedCount).replaceStart());
      }
      for (int i = unresolvedHead; i < unresolved.size(); i++) {
        safe = Math.min(safe, unresolved.get(i).replaceStart());
      }
      emitUpTo(Math.min(safe, total));
    }
  }

  /**
   * Returns how far behind the frontier a candidate must start to be final: a candidate not yet
   * known ends at or after the frontier, so it starts at most one match length before it (a
   * region around a keyword reaches back the context window more).
   */
  private long horizon() {
    return 2L * maxLength + contextWindow + 2;
  }

  private void insertActive(Candidate c) {
    int lo = finalizedCount;
    int hi = active.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (order(active.get(mid), c) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    active.add(lo, c);
  }

  private static int order(Candidate a, Candidate b) {
    if (a.start != b.start) {
      return Long.compare(a.start, b.start);
    }
    if (a.end != b.end) {
      return Long.compare(a.end, b.end);
    }
    if (a.index != b.index) {
      return Integer.compare(a.index, b.index);
    }
    return a.category.compareTo(b.category);
  }

  private void finalizeUpTo(long frontier, boolean finishing) {
    long horizon = horizon();
    while (finalizedCount < active.size()) {
      Candidate x = active.get(finalizedCount);
      if (!finishing && x.start + horizon > frontier) {
        break;
      }
      finalizedCount++;
      boolean dominated = isDominated(x);
      if (!dominated || output != null) {
        x.finding = finding(x);
        if (!dominated) {
          out.add(x.finding);
        }
        if (output != null) {
          // A candidate dominated by an overlapping one is not reported, but its bytes are
          // rewritten as its own finding would be: masking only the part the dominating finding
          // covers could leave the rest of this value readable (and found again).
          x.style = Objects.requireNonNull(redaction).styleFor(x.finding);
          if (x.style != null) {
            toRedact.add(x);
          }
        }
      }
    }
    int removable = 0;
    while (removable < finalizedCount
        && (finishing || active.get(removable).end + horizon <= frontier)) {
      removable++;
    }
    if (removable > 0 && (removable > 64 || finishing || removable == active.size())) {
      active.subList(0, removable).clear();
      finalizedCount -= removable;
    }
  }

  private boolean isDominated(Candidate x) {
    Confidence xc = Objects.requireNonNull(x.confidence);
    long xLength = x.end - x.start;
    // Only candidates starting after x.start - maxLength can overlap x; the list is sorted by start.
    long from = x.start - maxLength;
    int lo = 0;
    int hi = active.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (active.get(mid).start <= from) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    for (int i = lo; i < active.size(); i++) {
      Candidate y = active.get(i);
      if (y.start >= x.end) {
        break;
      }
      if (y == x || y.end <= x.start) {
        continue;
      }
      int byConfidence = Objects.requireNonNull(y.confidence).compareTo(xc);
      if (byConfidence > 0) {
        return true;
      }
      if (byConfidence < 0) {
        continue;
      }
      long yLength = y.end - y.start;
      if (yLength != xLength) {
        if (yLength > xLength) {
          return true;
        }
        continue;
      }
      if (y.start == x.start) {
        // The same value found by two detectors, both lowered to low as a sample: the one that
        // was more confident of the format (a connection string over a keyword) keeps it.
        int byDetected = detected(y).compareTo(detected(x));
        if (byDetected != 0) {
          if (byDetected > 0) {
            return true;
          }
          continue;
        }
      }
      if (y.start < x.start || (y.start == x.start && order(y, x) < 0)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Runs the filters and sets the confidence; returns false when the candidate is not a finding.
   * The evidence waits for {@link #finding}: many candidates (every frame of a long stack trace,
   * say) are dominated by a longer one, and hashing each would cost more than finding them.
   */
  private boolean evaluate(Candidate c) {
    CompiledDetector d = c.detector;
    if (d == null) {
      return true;
    }
    int offset = (int) (c.start - bufStart);
    int length = (int) (c.end - c.start);
    String qualifier = null;
    if (d.validator != null) {
      Latin1View value = new Latin1View(buf, offset, length);
      if (d.validator.qualifiesEveryValidValue()) {
        // One call validates and qualifies (a telephone number's region costs a parse).
        qualifier = d.validator.qualifier(value);
        if (qualifier == null) {
          return false;
        }
      } else if (!d.validator.isValid(value)) {
        return false;
      }
    }
    if (!d.excludedValues.isEmpty() && d.excludedValues.contains(d.normalize(buf, offset, length))) {
      return false;
    }
    for (ByteDfa excluded : d.excludedPatterns) {
      if (excluded.matchesFully(buf, offset, length)) {
        return false;
      }
    }
    int stop = offset + length;
    if (Surroundings.rejects(d.category, d.normalization, buf, bufLen, offset, stop)) {
      return false;
    }
    JsonTracker.Token token = c.token;
    if (d.normalization == Normalization.DIGITS && token != null && token.number
        && Surroundings.isNonIntegerNumber(
            buf, bufLen, (int) (token.first - bufStart), (int) (token.end - bufStart))) {
      return false;
    }
    KeyName key = token == null ? null : token.keyName();
    if (d.keyValue && !isWholeValueUnderKey(c, key, d.keywords)) {
      return false;
    }
    boolean sample = false;
    int valueOffset = offset;
    if (d.secret) {
      int valueStart = d.keyValue ? offset : SecretValues.valueStart(buf, offset, stop);
      int keyEnd = d.keyValue ? -1 : SecretValues.keyEnd(buf, offset, stop);
      // The match is an assignment when it spans the key name itself (generic_secret) or is a
      // structured field's whole value (key_value). Only then do the "is this assigned value a
      // credential at all" rules apply (cursor keys, code, URLs, cuts); a vendor token is judged
      // by the sample and placeholder rules alone, whatever key it sits under.
      boolean assignment = d.keyValue || (keyEnd > offset && keyEnd <= valueStart);
      if (assignment) {
        String joinedKey = d.keyValue
            ? key != null ? key.joined() : ""
            : SecretValues.joinedKey(buf, offset, keyEnd);
        if (SecretValues.isCursorKey(joinedKey)) {
          return false;
        }
      }
      boolean quoted = d.keyValue
          || (valueStart > 0 && (buf[valueStart - 1] == '"' || buf[valueStart - 1] == '\''));
      // A whole value under a key is not cut from a longer one, whatever byte follows it (a
      // form's '&' is a value byte in other syntaxes).
      int next = !d.keyValue && stop < bufLen ? buf[stop] & 0xff : -1;
      SecretValues.Verdict verdict =
          SecretValues.judge(buf, valueStart, stop, quoted, assignment, next);
      if (verdict == SecretValues.Verdict.DROP) {
        return false;
      }
      sample = verdict == SecretValues.Verdict.LOW;
      valueOffset = valueStart;
      int valueLength = stop - valueStart;
      if (d.minEntropy > 0
          && CompiledDetector.entropy(buf, valueStart, valueLength)
              < SecretValues.entropyFloor(d.minEntropy, valueLength)) {
        return false;
      }
    } else if (d.minEntropy > 0 && CompiledDetector.entropy(buf, offset, length) < d.minEntropy) {
      return false;
    }
    long from = Math.max(bufStart, c.start - contextWindow);
    long to = Math.min(total, c.end + contextWindow);
    if (d.keywords.size() > 0 && !passesKeywordGate(d, token, from, to, key)) {
      return false;
    }
    Confidence confidence = d.confidence;
    if ((d.validator != null && d.validator.confirms())
        || (d.context.size() > 0 && containsAny(d.context, from, to, key))) {
      confidence = Confidence.HIGH;
    }
    if (allow != null && allow.allows(buf, valueOffset, stop - valueOffset,
        c.token == null ? null : c.token.path(), d, evidence)) {
      return false;
    }
    if (allow != null) {
      c.allowedByRules = allow.rulesAllowing(buf, valueOffset, stop - valueOffset);
    }
    if (d.validator != null) {
      c.qualifier = d.validator.qualifiesEveryValidValue()
          ? qualifier
          : d.validator.qualifier(new Latin1View(buf, offset, length));
    }
    // A documented sample credential or a value spelled EXAMPLE is reported, at low confidence.
    c.confidence = sample ? Confidence.LOW : confidence;
    c.detected = confidence;
    if (valueOffset > offset) {
      // The value is the finding, not the name it is assigned to: the redacted output keeps the
      // name, the evidence hashes the value, and a vendor detector's equal span takes precedence.
      c.start = bufStart + valueOffset;
    }
    return true;
  }

  /**
   * Returns whether a candidate is the whole content of a JSON string value, or the whole decoded
   * value of a form field, whose key (field) name ends with one of the words ({@code slackToken},
   * {@code client_secret}, {@code db.password}).
   */
  private boolean isWholeValueUnderKey(
      Candidate c, @Nullable KeyName key, CompiledDetector.Words words) {
    JsonTracker.Token token = c.token;
    if (token == null || key == null || token.number || c.start != token.contentStart) {
      return false;
    }
    if (form != null) {
      // A form value ends at the next separator, or at the end of the body (a candidate ends at
      // the end of what has arrived only once the stream finishes).
      if (c.end != total && form.fieldStart(c.end) >= 0) {
        return false;
      }
    } else if (c.end != token.contentEnd) {
      return false;
    }
    for (String word : words.joined) {
      if (key.endsWithWord(word)) {
        return true;
      }
    }
    return false;
  }

  /** Makes the finding of a candidate that is final and not dominated; its bytes are retained. */
  private Finding finding(Candidate c) {
    int offset = (int) (c.start - bufStart);
    int length = (int) (c.end - c.start);
    long start = form != null ? form.originalOffset(c.start) : text != null ? text.originalStart(c.start) : c.start;
    long end = form != null ? form.originalOffset(c.end) : text != null ? text.originalEnd(c.end) : c.end;
    return Finding.of(
        c.category,
        c.id,
        start,
        end,
        c.token == null ? null : c.token.path(),
        Objects.requireNonNull(c.confidence),
        evidence.evidence(
            buf, offset, length, CompiledDetector.normalize(c.normalization, buf, offset, length)),
        c.allowedByRules,
        c.qualifier);
  }

  /**
   * Returns whether a keyword vouches for the candidate. A JSON number takes its meaning from its
   * keys ({@code $.dist.unpackedSize}, {@code $.passport.number}), not from neighbouring tokens (a
   * {@code "passport"} dependency next to a size, a {@code "license"} next to an id), so its
   * keyword must be a word of its JSON path. Elsewhere a keyword counts within the context window,
   * except, for detectors that are not credentials, one that is a segment of a URL or file path
   * ({@code /sub-ex-driver/actions/runs/1145708286}, {@code https://example.com/dl/12345678}).
   */
  private boolean passesKeywordGate(
      CompiledDetector d, JsonTracker.@Nullable Token token, long from, long to, @Nullable KeyName key) {
    if (token != null && token.number && form == null) {
      KeyName path = token.pathName();
      for (String word : d.keywords.joined) {
        if (path.containsWord(word)) {
          return true;
        }
      }
      return false;
    }
    return containsAny(d.keywords, from, to, key, !d.secret);
  }

  private boolean containsAny(
      CompiledDetector.Words words, long from, long to, @Nullable KeyName key) {
    return containsAny(words, from, to, key, false);
  }

  /**
   * Returns whether one of {@code words} occurs as whole words in the JSON key name ({@code
   * birthDate} holds {@code birth}, {@code drivers} does not hold {@code driver}), or as a whole
   * word within {@code [from, to)}, ignoring ASCII case. "Whole" means that a word starting or
   * ending with a letter or digit is not preceded or followed by one, so {@code dl} does not occur
   * in "handling" and {@code driver} does not occur in "drivers".
   */
  private boolean containsAny(CompiledDetector.Words words, long from, long to,
      @Nullable KeyName key, boolean notInPaths) {
    int start = (int) (from - bufStart);
    int end = (int) (to - bufStart);
    for (int w = 0; w < words.size(); w++) {
      byte[] word = words.bytes[w];
      if (key != null && key.containsWord(words.joined[w])) {
        return true;
      }
      boolean checkBefore = isAlphanumeric(word[0] & 0xff);
      boolean checkAfter = isAlphanumeric(word[word.length - 1] & 0xff);
      outer:
      for (int i = start; i <= end - word.length; i++) {
        for (int k = 0; k < word.length; k++) {
          if (lower(buf[i + k] & 0xff) != (word[k] & 0xff)) {
            continue outer;
          }
        }
        if (checkBefore && i > 0 && isAlphanumeric(buf[i - 1] & 0xff)) {
          continue;
        }
        if (checkAfter) {
          int after = i + word.length;
          if (after < bufLen && isAlphanumeric(buf[after] & 0xff)) {
            continue;
          }
        }
        if (notInPaths && ((i > 0 && buf[i - 1] == '/')
            || (i + word.length < bufLen && buf[i + word.length] == '/'))) {
          continue;
        }
        return true;
      }
    }
    return false;
  }

  private static int lower(int b) {
    return b >= 'A' && b <= 'Z' ? b + 32 : b;
  }

  private static boolean isAlphanumeric(int b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
  }

  // ---- redaction ----

  private void emitUpTo(long safe) {
    RedactedOutput o = Objects.requireNonNull(output);
    while (!toRedact.isEmpty()) {
      Candidate c = toRedact.peek();
      RedactionStyle s = Objects.requireNonNull(c.style);
      long rs = c.replaceStart();
      if (rs >= safe) {
        break;
      }
      toRedact.poll();
      long re = c.replaceEnd();
      boolean wholeNumber = c.token != null && c.token.number;
      if (rs < emitted) {
        if (re <= emitted) {
          continue;
        }
        rs = emitted;
        wholeNumber = false;
      }
      writeRaw(o, emitted, rs);
      Finding f = Objects.requireNonNull(c.finding);
      int offset = (int) (rs - bufStart);
      int length = (int) (re - rs);
      // Only the hash style writes the label; the others need not build it.
      @Nullable String label =
          s == RedactionStyle.HASH ? Rewriter.label(f.category(), f.evidence().hash()) : null;
      if (text != null && !text.transparent()) {
        redactText(o, text, c, rs, re, wholeNumber, s, label);
        emitted = re;
        continue;
      }
      byte[] replacement;
      if (form != null) {
        replacement = form.rewrite(form.originalOffset(rs), form.originalOffset(re), s, label);
      } else if (wholeNumber) {
        replacement = Rewriter.numberToken(buf, offset, length, s, label);
      } else if (label != null) {
        replacement = label.getBytes(StandardCharsets.US_ASCII);
      } else {
        boolean inJsonString = c.token != null && !c.token.number;
        replacement =
            Rewriter.maskInPlace(buf, offset, length, s == RedactionStyle.PARTIAL, inJsonString);
        if (c.token != null && c.token.number) {
          for (int i = 0; i < replacement.length; i++) {
            if (replacement[i] == '*') {
              replacement[i] = '0';
            }
          }
        }
      }
      o.write(replacement, 0, replacement.length);
      emitted = re;
    }
    if (safe > emitted) {
      writeRaw(o, emitted, safe);
      emitted = safe;
    }
  }

  /**
   * Writes the rewrite of decoded {@code [rs, re)} in the original encoding, in place of the
   * original bytes it came from (whole escape sequences and code units).
   */
  private void redactText(RedactedOutput o, TextDecoder t, Candidate c, long rs, long re,
      boolean wholeNumber, RedactionStyle s, @Nullable String label) {
    long os = t.originalStart(rs);
    long oe = t.originalEnd(re);
    int offset = (int) (rs - bufStart);
    int length = (int) (re - rs);
    byte @Nullable [] replacement = null;
    if (wholeNumber) {
      replacement = t.encodeAscii(Rewriter.numberToken(buf, offset, length, s, label));
      // A number written with escapes (a malformed document) is masked as written instead, so
      // the masking styles keep the length.
      if (s != RedactionStyle.HASH && replacement.length != oe - os) {
        replacement = null;
      }
    }
    if (replacement == null && label != null) {
      replacement = t.encodeAscii(label.getBytes(StandardCharsets.US_ASCII));
    }
    if (replacement == null) {
      boolean inJsonString = c.token != null && !c.token.number;
      boolean partial = s == RedactionStyle.PARTIAL;
      replacement = t.plain(rs, re)
          ? Rewriter.maskInPlace(buf, offset, length, partial, inJsonString)
          : t.mask(buf, offset, rs, re, partial, inJsonString);
      if (c.token != null && c.token.number) {
        for (int i = 0; i < replacement.length; i++) {
          if (replacement[i] == '*') {
            replacement[i] = '0';
          }
        }
      }
    }
    int skip = (int) Math.max(0, emittedOriginal - os);
    if (skip < replacement.length) {
      o.write(replacement, skip, replacement.length - skip);
    }
    emittedOriginal = Math.max(emittedOriginal, oe);
  }

  private void writeRaw(RedactedOutput o, long from, long to) {
    if (text != null && !text.transparent()) {
      long end = text.originalStart(to);
      if (end > emittedOriginal) {
        text.writeOriginal(o, emittedOriginal, end);
        emittedOriginal = end;
      }
      return;
    }
    if (to > from) {
      if (form != null) {
        form.writeOriginal(o, form.originalOffset(from), form.originalOffset(to));
      } else {
        o.write(buf, (int) (from - bufStart), (int) (to - from));
      }
    }
  }

  /** Returns how many bytes a stream of this engine holds right now (for tests of its memory bound). */
  static long retainedBytesOf(StreamScanner stream) {
    if (stream instanceof TranscodedStream) {
      return ((TranscodedStream) stream).retainedBytes();
    }
    if (stream instanceof GrpcStream) {
      return ((GrpcStream) stream).retainedBytes();
    }
    if (stream instanceof EventStream) {
      return ((EventStream) stream).retainedBytes();
    }
    if (stream instanceof MultipartStream) {
      return ((MultipartStream) stream).retainedBytes();
    }
    if (stream instanceof EncodedStream) {
      return ((EncodedStream) stream).retainedBytes();
    }
    return ((StreamScannerImpl) stream).retainedBytes();
  }

  /** Returns how many bytes this stream holds right now (for tests of its memory bound). */
  long retainedBytes() {
    return bufLen + (form != null ? form.retainedBytes() : 0) + (text != null ? text.retainedBytes() : 0);
  }

  @Override
  public String toString() {
    return "StreamScanner{bytes="
        + bytesScanned()
        + ", json="
        + (json != null)
        + ", form="
        + (form != null)
        + ", redacting="
        + (output != null)
        + '}';
  }
}
