package dev.custos.proxy.internal.inspect;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import dev.custos.engine.Action;
import dev.custos.engine.ContentType;
import dev.custos.engine.Direction;
import dev.custos.engine.Finding;
import dev.custos.engine.Policy;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.Rule;
import dev.custos.engine.ScanNote;
import dev.custos.engine.StreamScanner;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.InspectionSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inspects the body of one message (a request or a response) chunk by chunk and decides what
 * becomes of it. Three modes:
 *
 * <ul>
 *   <li><b>hold</b> (a block rule or a per-message redaction could apply, and the policy is
 *       enforced): chunks are kept, up to {@link InspectionSettings#maxInspectedBody()}, and
 *       scanned; at the end the message is refused, released as it was, or released redacted
 *       (a second pass over the held bytes). Past the limit {@code on_uninspectable} decides:
 *       block, or carry on streaming (held bytes replayed through the stream mode);
 *   <li><b>stream</b>: each chunk is scanned (and rewritten by a redacting stream when a redact
 *       rule applies) and handed on at once; a block that arises now can only abort the stream;
 *   <li><b>pass</b>: bytes go through unscanned (skipped media type, or uninspectable and
 *       allowed).
 * </ul>
 *
 * A compressed body is decoded for scanning; when it is rewritten, the decoded, redacted bytes go
 * on and {@code Content-Encoding} is dropped. Not thread-safe: the pump calls it from one event
 * loop. Memory is bounded by the hold limit, the decoder's slice, and the scanner's window.
 */
final class MessageInspection implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(MessageInspection.class);

  /** What the pump does next. */
  enum Step {
    /** Keep reading. */
    CONTINUE,
    /** Send the headers (changed as {@link #applyHeaderChanges} says) if not yet, then the output. */
    RELEASE,
    /** Refuse the message: 403 if nothing was sent yet, else abort the stream. */
    BLOCK
  }

  private enum Mode { HOLD, STREAM, PASS }

  static final String ON_UNINSPECTABLE = "on_uninspectable";
  /** The refusing "rule" when a plugin detector with {@code on_error: block} failed. */
  static final String ON_ERROR = "on_error";
  /** The uninspectable reason counted when a plugin detector failed. */
  static final String PLUGIN_ERROR = "plugin_error";
  /**
   * The refusing "rule" when a redact rule acts on a value in the URL path: a path names the
   * resource and is never rewritten, so the request is refused instead.
   */
  static final String PATH_REDACTION = "path_redaction";
  /** The pseudo-rules that can refuse a message, as they are reported. */
  private static final List<String> PSEUDO_RULES =
      List.of(ON_UNINSPECTABLE, ON_ERROR, PATH_REDACTION);
  private static final byte[] NO_BYTES = new byte[0];

  private final Exchange ex;
  private final Direction direction;
  private final @Nullable ContentType contentType;
  private final @Nullable String contentEncoding;
  private RuleTally tally;
  /** The tally as the body began, kept while the body is held. */
  private @Nullable RuleTally beforeBody;

  private Mode mode = Mode.PASS;
  private @Nullable BodyDecoder decoder;
  private @Nullable StreamScanner scanner;
  private boolean redacting;
  private final ByteSink redacted = new ByteSink();
  private final List<HttpData> held = new ArrayList<>();
  private long heldBytes;

  private boolean dropEncoding;
  private long contentLength = -1; // -1 keep, -2 remove, >= 0 set

  private @Nullable String blockedBy;
  private @Nullable String uninspectable;
  private @Nullable String shadowBlockedBy;
  private long inspected;
  private long scanNanos;
  private boolean done;
  /** How far plugin failures were counted: 0 none, 1 allowed, 2 refusing. */
  private int pluginFailure;
  private Set<ScanNote> fieldNotes = Set.of();
  /** The scan of the request's path, headers and query, checked for a redacted path value. */
  private @Nullable FieldScan pathScan;

  MessageInspection(Exchange ex, Direction direction, RuleTally tally,
      @Nullable ContentType contentType, @Nullable String contentEncoding) {
    this.ex = ex;
    this.direction = direction;
    this.tally = tally;
    this.contentType = contentType;
    this.contentEncoding = contentEncoding;
  }

  RuleTally tally() {
    return tally;
  }

  @Nullable String blockedBy() {
    return blockedBy;
  }

  /** Takes the notes of the scan of the message's header and query fields, before {@link #begin}. */
  void fieldNotes(Set<ScanNote> notes) {
    this.fieldNotes = java.util.Objects.requireNonNull(notes, "notes");
  }

  /** Takes the scan of the request's fields, so that a redacted path value refuses it. */
  void pathScan(FieldScan scan) {
    this.pathScan = java.util.Objects.requireNonNull(scan, "scan");
  }

  /**
   * Takes the message's trailers, scanned into the tally, and returns {@link Step#BLOCK} when
   * they refuse the message (a block rule, or a failing plugin detector that blocks), else
   * {@link Step#CONTINUE}. Redactions of the trailers are applied by the pump.
   */
  Step onTrailers(FieldScan trailers) {
    long t0 = System.nanoTime();
    try {
      trailers.scan(ex, tally);
      if (refusePluginError(trailers.notes())) {
        return Step.BLOCK;
      }
      if (ex.enforce()) {
        Rule r = tally.blockingRule();
        if (r != null) {
          blockedBy = r.name();
          return Step.BLOCK;
        }
      }
      return Step.CONTINUE;
    } finally {
      scanNanos += System.nanoTime() - t0;
    }
  }

  /**
   * Returns whether a redact rule now acts on a value in the path, which refuses the request
   * (only recorded in shadow mode).
   */
  private boolean refusePathRedaction() {
    FieldScan scan = pathScan;
    if (scan == null || !scan.redactsPath(tally)) {
      return false;
    }
    if (!ex.enforce()) {
      shadowBlockedBy = PATH_REDACTION;
      return false;
    }
    blockedBy = PATH_REDACTION;
    return true;
  }

  /**
   * Starts the body, after any header or query findings were counted. Returns {@link Step#BLOCK}
   * when those already refuse the message, {@link Step#CONTINUE} when the body is held, and
   * {@link Step#RELEASE} when headers may go now.
   */
  Step begin() {
    if (refusePluginError(fieldNotes)) {
      return Step.BLOCK;
    }
    if (ex.enforce()) {
      Rule r = tally.blockingRule();
      if (r != null) {
        blockedBy = r.name();
        return Step.BLOCK;
      }
    }
    if (refusePathRedaction()) {
      return Step.BLOCK;
    }
    if (contentType == null) {
      mode = Mode.PASS;
      return Step.RELEASE;
    }
    try {
      decoder = newDecoder();
    } catch (UninspectableException e) {
      if (refuseUninspectable(e.reason())) {
        return Step.BLOCK;
      }
      mode = Mode.PASS;
      return Step.RELEASE;
    }
    if (ex.enforce() && tally.needsWholeMessage()) {
      mode = Mode.HOLD;
      beforeBody = tally.copy(); // Only a held body can start over (past the hold limit).
      scanner = ex.scanner().newStream(contentType);
      return Step.CONTINUE;
    }
    startStream();
    return Step.RELEASE;
  }

  private @Nullable BodyDecoder newDecoder() throws UninspectableException {
    InspectionSettings s = ex.settings();
    return BodyDecoder.forEncoding(
        contentEncoding, s.maxDecodedBody(), s.maxDecodeRatio(), InspectionSettings.DECODE_SLICE);
  }

  private void startStream() {
    mode = Mode.STREAM;
    ContentType ct = java.util.Objects.requireNonNull(contentType);
    // A block rule here means the hold limit was passed: the bytes still go through the
    // redacting stream, whose hold-back keeps a value from going out before it is final, so a
    // block arising from it aborts the stream before any of its bytes left.
    redacting = ex.enforce() && (tally.has(Action.REDACT) || tally.has(Action.BLOCK));
    if (redacting) {
      scanner = ex.scanner().newRedactingStream(ct, this::chooseWhileStreaming, redacted::write);
      if (decoder != null) {
        dropEncoding = true;
        contentLength = -2;
      } else if (!tally.redactionPreservesLength()) {
        contentLength = -2;
      }
    } else {
      scanner = ex.scanner().newStream(ct);
    }
  }

  private @Nullable RedactionStyle chooseWhileStreaming(Finding f) {
    tally.record(f, "body");
    if (tally.has(Action.BLOCK) && tally.blockingRule() != null) {
      return RedactionStyle.MASK; // The stream is aborted after this feed; mask it meanwhile.
    }
    return counted(tally.styleFor(f.category()), f);
  }

  private @Nullable RedactionStyle counted(@Nullable RedactionStyle style, Finding f) {
    if (style != null) {
      ex.metrics().redaction(direction, f.category(), style.id());
    }
    return style;
  }

  /** Changes the message's headers to fit the body that goes on. */
  void applyHeaderChanges(HttpHeadersBuilder headers) {
    if (dropEncoding) {
      headers.remove(HttpHeaderNames.CONTENT_ENCODING);
    }
    if (contentLength == -2) {
      headers.remove(HttpHeaderNames.CONTENT_LENGTH);
    } else if (contentLength >= 0) {
      headers.setLong(HttpHeaderNames.CONTENT_LENGTH, contentLength);
    }
  }

  /** Takes the next chunk; appends what may go on to {@code out}. */
  Step onData(HttpData data, List<HttpData> out) {
    long t0 = System.nanoTime();
    try {
      return data(data, out);
    } finally {
      scanNanos += System.nanoTime() - t0;
    }
  }

  private Step data(HttpData data, List<HttpData> out) {
    switch (mode) {
      case PASS:
        out.add(data);
        return Step.CONTINUE;
      case HOLD:
        held.add(data);
        heldBytes += data.length();
        if (heldBytes > ex.settings().maxInspectedBody()) {
          return overHoldLimit(out);
        }
        try {
          scanHeld(data.array(), false);
        } catch (UninspectableException e) {
          return uninspectableWhileHolding(e.reason(), out);
        }
        if (refusedAfterScan(true)) {
          return Step.BLOCK;
        }
        return Step.CONTINUE;
      default:
        try {
          feedStream(data.array(), false);
        } catch (UninspectableException e) {
          return uninspectableWhileStreaming(e.reason(), data, out);
        }
        if (refusedAfterScan(false)) {
          return Step.BLOCK;
        }
        if (redacting) {
          if (redacted.size() > 0) {
            out.add(redacted.take());
          }
        } else {
          out.add(data);
        }
        return Step.CONTINUE;
    }
  }

  /**
   * Returns whether what was scanned refuses the message: a plugin error that blocks, or a block
   * rule that fired (noted in {@code blockedBy}). While streaming, rules block only when enforced.
   */
  private boolean refusedAfterScan(boolean holding) {
    if (refusePluginError(scannerNotes())) {
      return true;
    }
    if (!holding && !ex.enforce()) {
      return false;
    }
    Rule r = tally.blockingRule();
    if (r != null) {
      blockedBy = r.name();
      return true;
    }
    return refusePathRedaction();
  }

  private void scanHeld(byte[] bytes, boolean last) throws UninspectableException {
    StreamScanner s = java.util.Objects.requireNonNull(scanner);
    byte[] plain = decode(bytes, last);
    inspected += plain.length;
    record(s.feed(plain, 0, plain.length));
    if (last) {
      record(s.finish());
    }
  }

  private void feedStream(byte[] bytes, boolean last) throws UninspectableException {
    StreamScanner s = java.util.Objects.requireNonNull(scanner);
    byte[] plain = decode(bytes, last);
    inspected += plain.length;
    List<Finding> found = s.feed(plain, 0, plain.length);
    List<Finding> rest = last ? s.finish() : List.of();
    if (!redacting) {
      record(found);
      record(rest);
    }
  }

  private byte[] decode(byte[] bytes, boolean last) throws UninspectableException {
    BodyDecoder d = decoder;
    if (d == null) {
      return bytes;
    }
    byte[] plain = d.decode(bytes, 0, bytes.length);
    if (!last) {
      return plain;
    }
    byte[] tail = d.finish();
    if (tail.length == 0) {
      return plain;
    }
    byte[] all = new byte[plain.length + tail.length];
    System.arraycopy(plain, 0, all, 0, plain.length);
    System.arraycopy(tail, 0, all, plain.length, tail.length);
    return all;
  }

  private void record(List<Finding> findings) {
    for (Finding f : findings) {
      tally.record(f, "body");
    }
  }

  private Step overHoldLimit(List<HttpData> out) {
    if (refuseUninspectable(UninspectableException.BODY_TOO_LARGE)) {
      return Step.BLOCK;
    }
    // Allowed past the limit: scan again from the start in stream mode, so redaction still
    // applies to every byte, and let the held bytes go.
    closeScanner();
    try {
      decoder = newDecoder();
    } catch (UninspectableException e) {
      decoder = null; // Cannot happen: the same encoding was accepted when the body began.
    }
    tally = java.util.Objects.requireNonNull(beforeBody).copy();
    startStream();
    List<HttpData> replay = new ArrayList<>(held);
    held.clear();
    heldBytes = 0;
    for (HttpData d : replay) {
      Step s = data(d, out);
      if (s != Step.CONTINUE) {
        return s;
      }
    }
    return Step.RELEASE;
  }

  private Step uninspectableWhileHolding(String reason, List<HttpData> out) {
    if (refuseUninspectable(reason)) {
      return Step.BLOCK;
    }
    closeScanner();
    mode = Mode.PASS;
    out.addAll(held);
    held.clear();
    heldBytes = 0;
    return Step.RELEASE;
  }

  private Step uninspectableWhileStreaming(String reason, HttpData data, List<HttpData> out) {
    boolean refuse = refuseUninspectable(reason);
    if (refuse || (redacting && decoder != null)) {
      // A decoded, rewritten body cannot go on once decoding failed: the rest is cut off.
      if (blockedBy == null) {
        blockedBy = ON_UNINSPECTABLE;
      }
      return Step.BLOCK;
    }
    closeScanner();
    mode = Mode.PASS;
    out.add(data);
    return Step.CONTINUE;
  }

  /**
   * Counts an uninspectable part and returns whether it refuses the message (never in shadow
   * mode, where a refusal is only recorded).
   */
  private boolean refuseUninspectable(String reason) {
    Policy.OnUninspectable configured = ex.policy().onUninspectable();
    boolean block = configured != null
        ? configured == Policy.OnUninspectable.BLOCK
        : tally.has(Action.BLOCK);
    uninspectable = reason;
    ex.metrics().uninspectable(direction, reason, block ? "block" : "allow");
    if (!block) {
      return false;
    }
    if (!ex.enforce()) {
      shadowBlockedBy = ON_UNINSPECTABLE;
      return false;
    }
    blockedBy = ON_UNINSPECTABLE;
    return true;
  }

  private Set<ScanNote> scannerNotes() {
    StreamScanner s = scanner;
    return s == null ? Set.of() : s.notes();
  }

  /**
   * Counts a plugin detector's failure noted in {@code notes} (once per decision) and returns
   * whether it refuses the message: when a failing detector says {@code on_error: block} and the
   * policy is enforced. Like a block rule firing: 403 before headers went out, an aborted stream
   * after.
   */
  private boolean refusePluginError(Set<ScanNote> notes) {
    if (!notes.contains(ScanNote.PLUGIN_ERROR)) {
      return false;
    }
    boolean block = notes.contains(ScanNote.PLUGIN_ERROR_BLOCK);
    int state = block ? 2 : 1;
    if (state <= pluginFailure) {
      return false;
    }
    pluginFailure = state;
    ex.metrics().uninspectable(direction, PLUGIN_ERROR, block ? "block" : "allow");
    if (uninspectable == null) {
      uninspectable = PLUGIN_ERROR;
    }
    if (!block) {
      return false;
    }
    if (!ex.enforce()) {
      shadowBlockedBy = ON_ERROR;
      return false;
    }
    blockedBy = ON_ERROR;
    return true;
  }

  /** Ends the body; appends what may go on to {@code out}. */
  Step onEnd(List<HttpData> out) {
    long t0 = System.nanoTime();
    try {
      Step s = end(out);
      if (s == Step.RELEASE) {
        complete(null);
      }
      return s;
    } finally {
      scanNanos += System.nanoTime() - t0;
    }
  }

  private Step end(List<HttpData> out) {
    switch (mode) {
      case PASS:
        return Step.RELEASE;
      case HOLD:
        try {
          scanHeld(NO_BYTES, true);
        } catch (UninspectableException e) {
          return uninspectableWhileHolding(e.reason(), out);
        }
        if (refusedAfterScan(true)) {
          return Step.BLOCK;
        }
        if (tally.anyRedaction()) {
          return releaseRedacted(out);
        }
        out.addAll(held);
        held.clear();
        return Step.RELEASE;
      default:
        try {
          feedStream(NO_BYTES, true);
        } catch (UninspectableException e) {
          Step s = uninspectableWhileStreaming(e.reason(), HttpData.empty(), out);
          return s == Step.CONTINUE ? Step.RELEASE : s;
        }
        if (refusedAfterScan(false)) {
          return Step.BLOCK;
        }
        if (redacting && redacted.size() > 0) {
          out.add(redacted.take());
        }
        return Step.RELEASE;
    }
  }

  /** Second pass over the held body with the decisions of the whole message. */
  private Step releaseRedacted(List<HttpData> out) {
    ContentType ct = java.util.Objects.requireNonNull(contentType);
    ByteSink sink = new ByteSink();
    try (StreamScanner s = ex.scanner().newRedactingStream(
        ct, f -> counted(tally.styleFor(f.category()), f), sink::write)) {
      BodyDecoder d = newDecoder();
      try {
        for (int i = 0; i < held.size(); i++) {
          byte[] bytes = held.get(i).array();
          byte[] plain = d == null ? bytes : d.decode(bytes, 0, bytes.length);
          s.feed(plain, 0, plain.length);
        }
        if (d != null) {
          byte[] tail = d.finish();
          s.feed(tail, 0, tail.length);
        }
      } finally {
        if (d != null) {
          d.close();
        }
      }
      s.finish();
      // The second pass runs the plugins again; one that fails now leaves its values unredacted.
      if (refusePluginError(s.notes())) {
        return Step.BLOCK;
      }
    } catch (UninspectableException e) {
      // The first pass decoded the same bytes, so this does not happen; refuse rather than leak.
      blockedBy = ON_UNINSPECTABLE;
      return Step.BLOCK;
    }
    held.clear();
    HttpData body = sink.take();
    dropEncoding = decoder != null;
    contentLength = body.length();
    if (!body.isEmpty()) {
      out.add(body);
    }
    return Step.RELEASE;
  }

  /** Records that the message was refused, at {@code stage}, and ends it. */
  void blocked(String stage) {
    if (done) {
      return;
    }
    ex.metrics().blocked(direction, stage);
    complete(stage);
  }

  /** Ends an inspection cut short by a failure or a cancellation on either side. */
  @Override
  public void close() {
    if (!done) {
      complete("cancelled");
    }
  }

  private void complete(@Nullable String stage) {
    if (done) {
      return;
    }
    done = true;
    closeScanner();
    held.clear();
    boolean shadow = !ex.enforce();
    List<Rule> acting = tally.actingRules();
    List<String> actions = new ArrayList<>();
    List<String> rules = new ArrayList<>();
    boolean alert = false;
    for (Rule r : acting) {
      String a = (shadow ? "would_" : "") + r.action().id();
      if (!actions.contains(a)) {
        actions.add(a);
      }
      rules.add(r.name());
      alert |= r.action() == Action.ALERT;
    }
    String refusedBy = blockedBy;
    for (String pseudo : PSEUDO_RULES) {
      if (pseudo.equals(refusedBy) || pseudo.equals(shadowBlockedBy)) {
        String a = (shadow ? "would_" : "") + "block";
        if (!actions.contains(a)) {
          actions.add(a);
        }
        rules.add(pseudo);
      }
    }
    for (Map.Entry<String, Integer> e : tally.categories().entrySet()) {
      Action a = tally.actionFor(e.getKey(), acting);
      String id = a == Action.OBSERVE ? "observe" : (shadow ? "would_" : "") + a.id();
      ex.metrics().findings(direction, e.getKey(), id, e.getValue());
    }
    ex.metrics().inspectedBytes(direction, inspected);
    ex.metrics().inspectionTime(direction, scanNanos);
    boolean delivered = refusedBy == null && !"cancelled".equals(stage);
    if (delivered || shadow) {
      tally.commitBudgets();
    }
    if (tally.findings() > 0 || refusedBy != null || uninspectable != null
        || shadowBlockedBy != null) {
      FindingsEvent event = new FindingsEvent(
          ex.settings().clock().instant(), ex.settings().route(), direction, ex.identityHash(),
          tally.categories(), tally.locations(), actions, rules, refusedBy,
          refusedBy == null ? null : stage, alert, shadow, uninspectable, inspected);
      ex.record().add(event);
      try {
        ex.settings().findingsSink().accept(event);
      } catch (RuntimeException e) {
        logger.warn("Findings sink failed: {}", e.getClass().getName());
      }
    }
  }

  private void closeScanner() {
    StreamScanner s = scanner;
    scanner = null;
    if (s != null) {
      s.close();
    }
    BodyDecoder d = decoder;
    if (d != null) {
      d.close(); // The reference stays: it tells the body was compressed.
    }
  }
}
