package dev.custos.proxy.internal.inspect;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import com.linecorp.armeria.common.MediaType;
import dev.custos.engine.Action;
import dev.custos.engine.ContentType;
import dev.custos.engine.Direction;
import dev.custos.engine.Finding;
import dev.custos.engine.Policy;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.Rule;
import dev.custos.engine.ScanNote;
import dev.custos.engine.Scanner;
import dev.custos.engine.StreamScanner;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.InspectionSettings;
import java.nio.charset.Charset;
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
 * A body whose type is on the skip list is first <b>sniffed</b>: its first bytes (at most {@link
 * MediaSignatures#MAX_PREFIX}, headers held meanwhile) must open a body of the claimed type, else
 * it is scanned as text like any other; a skippable type with a content coding is always scanned.
 * A message whose representation headers are ambiguous ({@link Representation}) is not inspected:
 * a request is refused with 400, a response takes the {@code on_uninspectable} decision.
 *
 * A compressed body is decoded for scanning; when it is rewritten, the decoded, redacted bytes go
 * on and {@code Content-Encoding} is dropped. A chunk given to {@link #onData} is owned by the
 * inspection: it is handed on in the output list (which then owns it), or released once scanned,
 * refused or dropped, so that pooled chunks go back to Netty's pool. Not thread-safe: the pump calls it from one event
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

  /** NONE: the message has no body, so nothing is scanned past its headers. */
  private enum Mode { SNIFF, HOLD, STREAM, PASS, NONE }

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
  /** Room kept beyond a chunk's length for what a redacting scan held back from the last one. */
  private static final int REDACT_SLACK = 1024;
  /** The uninspectable reason of a compressed gRPC message that could not be inflated. */
  static final String GRPC_MESSAGE = "grpc_message";
  private boolean grpcUninspectable;

  private final Exchange ex;
  private final Direction direction;
  private @Nullable ContentType contentType;
  /** The charset the message's media type declares, if any: a hint for the text's encoding. */
  private final @Nullable Charset charset;
  private final @Nullable String contentEncoding;
  /** The boundary a multipart body is split on, as its media type declares it, or null. */
  private @Nullable String boundary;
  private RuleTally tally;
  /** The tally as the body began, kept while the body is held. */
  private @Nullable RuleTally beforeBody;

  private Mode mode = Mode.PASS;
  private @Nullable BodyDecoder decoder;
  private @Nullable StreamScanner scanner;
  /** How many body scanners this message opened (a held body that is redacted opens two). */
  private int bodyScanners;
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
  /** The claimed type of a body skipped if its first bytes prove it, or null. */
  private @Nullable MediaType skippable;
  private final List<HttpData> sniffed = new ArrayList<>();
  private int sniffedBytes;
  /** Why the representation headers cannot be trusted, or null. */
  private @Nullable String ambiguity;
  private boolean badRequest;
  private String problem = "";
  /** The scan of the request's path, headers and query, checked for a redacted path value. */
  private @Nullable FieldScan pathScan;
  /** Where body findings are reported in the findings event. */
  private String location = "body";
  /** What carried the message, for the findings event: {@code grpc} for gRPC and gRPC-Web bodies. */
  private String protocol;

  MessageInspection(Exchange ex, Direction direction, RuleTally tally,
      @Nullable ContentType contentType, @Nullable Charset charset, @Nullable String contentEncoding) {
    this.ex = ex;
    this.direction = direction;
    this.tally = tally;
    this.contentType = contentType;
    this.charset = charset;
    this.contentEncoding = contentEncoding;
    this.protocol = isGrpc(contentType) ? "grpc" : "http";
  }

  /**
   * Returns the inspection of a message with these headers: its body scanned as its {@code
   * Content-Type} says and decoded as its {@code Content-Encoding} says, sniffed first when the
   * type is on {@code skipped}, not inspected when those headers are ambiguous.
   */
  static MessageInspection of(Exchange ex, Direction direction, RuleTally tally,
      com.linecorp.armeria.common.HttpHeaders headers, List<MediaType> skipped) {
    Representation r = Representation.of(headers);
    MessageInspection i = new MessageInspection(ex, direction, tally,
        Media.contentTypeOf(r.mediaType()), Media.charsetOf(r.mediaType()), r.contentEncoding());
    i.boundary = Media.boundaryOf(r.mediaType());
    if (r.ambiguous()) {
      i.ambiguous(Representation.AMBIGUOUS);
      i.problem = r.problem();
    }
    MediaType claimed = Media.skippable(r.mediaType(), skipped);
    if (claimed != null) {
      i.skipIfProved(claimed);
    }
    return i;
  }

  /** Returns what a 400 refusal says (which header was ambiguous), or an empty string. */
  String problem() {
    return problem;
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

  /**
   * Names where the body's findings are, for the findings event ({@code body} unless set): a
   * WebSocket message names its index. Rules still see the findings as in the body.
   */
  void location(String where) {
    this.location = java.util.Objects.requireNonNull(where, "where");
  }

  /** Names what carried the message for the findings event ({@code http} or {@code grpc} unless set). */
  void protocol(String carrier) {
    this.protocol = java.util.Objects.requireNonNull(carrier, "carrier");
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
   * Skips the body, before {@link #begin}, if its first bytes prove it is of {@code claimed} (a
   * type on the skip list with a known signature); else it is scanned.
   */
  void skipIfProved(MediaType claimed) {
    this.skippable = java.util.Objects.requireNonNull(claimed, "claimed");
  }

  /**
   * Marks the message's representation headers as ambiguous, before {@link #begin}: a request is
   * refused (see {@link #badRequest}), a response takes the {@code on_uninspectable} decision.
   */
  void ambiguous(String reason) {
    this.ambiguity = java.util.Objects.requireNonNull(reason, "reason");
  }

  /** Returns whether the message was refused as malformed (400) rather than by a rule (403). */
  boolean badRequest() {
    return badRequest;
  }

  /**
   * Starts the body, after any header or query findings were counted. Returns {@link Step#BLOCK}
   * when those already refuse the message, {@link Step#CONTINUE} when the body is held, and
   * {@link Step#RELEASE} when headers may go now.
   */
  Step begin() {
    return begin(false);
  }

  private Step begin(boolean bodiless) {
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
    String ambiguous = ambiguity;
    if (ambiguous != null) {
      return beginAmbiguous(ambiguous);
    }
    if (bodiless) {
      mode = Mode.NONE;
      return Step.RELEASE;
    }
    if (skippable != null && BodyDecoder.codings(contentEncoding).isEmpty()) {
      mode = Mode.SNIFF;
      return Step.CONTINUE;
    }
    return startBody();
  }

  /**
   * Starts a message that has no body (a request without one; a response to {@code HEAD}, or a
   * 204, 205 or 304): as {@link #begin} on what its headers, query and path held, then nothing
   * more is scanned: no body scanner or decoder is opened, and the end of the message only settles
   * the decisions. Returns {@link Step#BLOCK} or {@link Step#RELEASE}.
   */
  Step beginWithoutBody() {
    return begin(true);
  }

  private Step beginAmbiguous(String reason) {
    if (direction == Direction.REQUEST) {
      // Whatever the rules, a request the upstream could read otherwise than the proxy does is
      // malformed: refused unless in shadow mode.
      uninspectable = reason;
      ex.metrics().uninspectable(direction, reason, "block");
      if (ex.enforce()) {
        blockedBy = ON_UNINSPECTABLE;
        badRequest = true;
        return Step.BLOCK;
      }
      shadowBlockedBy = ON_UNINSPECTABLE;
    } else if (refuseUninspectable(reason)) {
      return Step.BLOCK;
    }
    mode = Mode.PASS;
    return Step.RELEASE;
  }

  /** Starts inspecting the body: holding, streaming or passing it. */
  private Step startBody() {
    if (contentType == null) {
      mode = Mode.PASS;
      return Step.RELEASE;
    }
    try {
      if (contentType == ContentType.MULTIPART && !Scanner.isValidBoundary(boundary)) {
        throw new UninspectableException(UninspectableException.MULTIPART_BOUNDARY);
      }
      decoder = newDecoder();
    } catch (UninspectableException e) {
      if (refuseUninspectable(e.reason())) {
        return Step.BLOCK;
      }
      mode = Mode.PASS;
      return Step.RELEASE;
    }
    // A gRPC body is a stream of messages, each decided as it ends (a call may wait for answers
    // before it sends more), and a Server-Sent Events body is read as it comes (each event waits
    // only until its choice text is final): both stream through a redacting scan, which holds back
    // no value that is not final, instead of being held whole.
    if (ex.enforce() && tally.needsWholeMessage() && !isGrpc(contentType)
        && contentType != ContentType.EVENT_STREAM) {
      mode = Mode.HOLD;
      beforeBody = tally.copy(); // Only a held body can start over (past the hold limit).
      scanner = Media.open(ex.scanner(), contentType, charset, boundary, null, null);
      bodyScanners++;
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
      scanner = openStream(ct, this::chooseWhileStreaming, redacted::write);
      if (decoder != null) {
        dropEncoding = true;
        contentLength = -2;
      } else if (!tally.redactionPreservesLength() || isGrpc(ct)) {
        // A compressed gRPC message is re-compressed when redacted.
        contentLength = -2;
      }
    } else {
      scanner = openStream(ct, null, null);
    }
    bodyScanners++;
  }

  /**
   * Opens the streaming body scanner: a gRPC body whose method the route's descriptors know is
   * read with its message type, anything else as {@link Media#open} opens it.
   */
  private StreamScanner openStream(ContentType ct, dev.custos.engine.@Nullable RedactionChoice choice,
      dev.custos.engine.@Nullable RedactedOutput output) {
    String grpcType = isGrpc(ct) ? ex.grpcMessageType(direction) : null;
    GrpcDescriptors grpc = ex.grpc();
    if (grpcType == null || grpc == null) {
      return Media.open(ex.scanner(), ct, charset, boundary, choice, output);
    }
    return choice == null || output == null
        ? ex.scanner().newStream(ct, grpc.schema(), grpcType)
        : ex.scanner().newRedactingStream(ct, grpc.schema(), grpcType, choice, output);
  }

  private @Nullable RedactionStyle chooseWhileStreaming(Finding f) {
    tally.record(f, location, "body");
    if (tally.has(Action.BLOCK) && tally.blockingRule() != null) {
      return RedactionStyle.MASK; // The stream is aborted after this feed; mask it meanwhile.
    }
    return counted(tally.styleFor(f, "body"), f);
  }

  private @Nullable RedactionStyle counted(@Nullable RedactionStyle style, Finding f) {
    if (style != null) {
      ex.metrics().redaction(direction, f.category(), style.id());
    }
    return style;
  }

  /** Returns whether {@link #applyHeaderChanges} would change anything. */
  boolean changesHeaders() {
    return dropEncoding || contentLength != -1;
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

  /**
   * How long a streaming gRPC body may sit idle while the redacting scan holds a message back only
   * in case the next message continues a value in it: then the message goes on (a call may wait
   * for an answer before it sends more), and a value that does continue is masked in the rest only.
   */
  static final long JOIN_WAIT_MILLIS = 250;

  /**
   * Returns whether the redacting body scan holds output back only in case the next chunk
   * continues a value in it (see {@link dev.custos.engine.StreamScanner#waiting()}); the pump
   * calls {@link #release} once the body has been idle {@link #JOIN_WAIT_MILLIS}.
   */
  boolean waiting() {
    StreamScanner s = scanner;
    return mode == Mode.STREAM && redacting && !done && s != null && s.waiting();
  }

  /** Lets what {@link #waiting()} holds go; appends it to {@code out}. */
  void release(List<HttpData> out) {
    if (!waiting()) {
      return;
    }
    java.util.Objects.requireNonNull(scanner).release();
    if (redacted.size() > 0) {
      out.add(redacted.take());
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
      case SNIFF:
        sniffed.add(data);
        sniffedBytes += data.length();
        MediaType claimed = java.util.Objects.requireNonNull(skippable);
        if (sniffedBytes < MediaSignatures.prefix(claimed)) {
          return Step.CONTINUE;
        }
        return endSniffing(out);
      case PASS:
        out.add(data);
        return Step.CONTINUE;
      case NONE:
        data.close(); // A message without a body: the receiving side would drop it too.
        return Step.CONTINUE;
      case HOLD:
        held.add(data);
        heldBytes += data.length();
        if (heldBytes > ex.settings().maxInspectedBody()) {
          return overHoldLimit(out);
        }
        try {
          scanHeld(bytesOf(data), data.length(), false);
        } catch (UninspectableException e) {
          return uninspectableWhileHolding(e.reason(), out);
        }
        if (refusedAfterScan(true)) {
          return Step.BLOCK;
        }
        return Step.CONTINUE;
      default:
        if (redacting && decoder == null) {
          // About what the feed writes: this chunk, and what the last one held back.
          redacted.reserve(data.length() + REDACT_SLACK);
        }
        try {
          feedStream(bytesOf(data), data.length(), false);
        } catch (UninspectableException e) {
          return uninspectableWhileStreaming(e.reason(), data, out);
        }
        if (refusedAfterScan(false)) {
          data.close();
          return Step.BLOCK;
        }
        if (redacting) {
          data.close(); // Scanned: what goes on is the rewritten copy.
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
   * Decides on the sniffed first bytes: the body passes when they prove the claimed type, else it
   * is scanned as text from its first byte.
   */
  private Step endSniffing(List<HttpData> out) {
    MediaType claimed = java.util.Objects.requireNonNull(skippable);
    byte[] head = new byte[Math.min(sniffedBytes, MediaSignatures.MAX_PREFIX)];
    int n = 0;
    for (HttpData d : sniffed) {
      if (n == head.length) {
        break;
      }
      int take = Math.min(d.length(), head.length - n);
      System.arraycopy(d.array(), 0, head, n, take);
      n += take;
    }
    List<HttpData> replay = new ArrayList<>(sniffed);
    sniffed.clear();
    sniffedBytes = 0;
    if (MediaSignatures.matches(claimed, head, n)) {
      mode = Mode.PASS;
      out.addAll(replay);
      return Step.RELEASE;
    }
    contentType = ContentType.TEXT;
    Step step = startBody();
    if (step == Step.BLOCK) {
      releaseAll(replay);
      return step;
    }
    for (int k = 0; k < replay.size(); k++) {
      Step s = data(replay.get(k), out);
      if (s == Step.BLOCK) {
        releaseAll(replay.subList(k + 1, replay.size()));
        return s;
      }
      if (s == Step.RELEASE) {
        step = Step.RELEASE;
      }
    }
    return step;
  }

  /**
   * Returns whether what was scanned refuses the message: a plugin error that blocks, or a block
   * rule that fired (noted in {@code blockedBy}). While streaming, rules block only when enforced.
   */
  private boolean refusedAfterScan(boolean holding) {
    if (refusePluginError(scannerNotes())) {
      return true;
    }
    if (!grpcUninspectable && scannerNotes().contains(ScanNote.GRPC_MESSAGE_UNINSPECTABLE)) {
      // A compressed gRPC message that could not be inflated went on unscanned in the scan's
      // output: unless on_uninspectable allows, that output is not sent.
      grpcUninspectable = true;
      if (refuseUninspectable(GRPC_MESSAGE)) {
        return true;
      }
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

  /**
   * Returns an array whose first {@code data.length()} bytes are the chunk's: a thread's scratch
   * array when it is pooled and read as it is (the scanner keeps nothing of what it is fed), a
   * copy of its own when a decoder reads it (an inflater may still read its input later).
   */
  private byte[] bytesOf(HttpData data) {
    return decoder == null ? Chunks.readable(data) : data.array();
  }

  /** Scans {@code bytes[0, length)} of a held body (and ends the scan when {@code last}). */
  private void scanHeld(byte[] bytes, int length, boolean last) throws UninspectableException {
    StreamScanner s = java.util.Objects.requireNonNull(scanner);
    record(feedDecoded(s, bytes, length, last));
    if (last) {
      record(s.finish());
    }
  }

  /** Scans {@code bytes[0, length)} of a streamed body (and ends the scan when {@code last}). */
  private void feedStream(byte[] bytes, int length, boolean last) throws UninspectableException {
    StreamScanner s = java.util.Objects.requireNonNull(scanner);
    List<Finding> found = feedDecoded(s, bytes, length, last);
    List<Finding> rest = last ? s.finish() : List.of();
    if (!redacting) {
      record(found);
      record(rest);
    }
  }

  /** Feeds {@code bytes[0, length)} to {@code s}, decoded first when the body is compressed. */
  private List<Finding> feedDecoded(StreamScanner s, byte[] bytes, int length, boolean last)
      throws UninspectableException {
    if (decoder == null) {
      inspected += length;
      return s.feed(bytes, 0, length);
    }
    byte[] plain = decode(bytes, length, last);
    inspected += plain.length;
    return s.feed(plain, 0, plain.length);
  }

  private byte[] decode(byte[] bytes, int length, boolean last) throws UninspectableException {
    BodyDecoder d = java.util.Objects.requireNonNull(decoder);
    byte[] plain = d.decode(bytes, 0, length);
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
      tally.record(f, location, "body");
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
    for (int k = 0; k < replay.size(); k++) {
      Step s = data(replay.get(k), out);
      if (s != Step.CONTINUE) {
        releaseAll(replay.subList(k + 1, replay.size()));
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
      data.close();
      return Step.BLOCK;
    }
    closeScanner();
    mode = Mode.PASS;
    out.add(data);
    return Step.CONTINUE;
  }

  /**
   * Counts an uninspectable part and returns whether it refuses the message (never in shadow
   * mode, where a refusal is only recorded). Unless the policy sets {@code on_uninspectable}, a
   * message is refused when a rule that applies to it blocks or redacts: passing it on
   * uninspected would let through what those rules protect.
   */
  private boolean refuseUninspectable(String reason) {
    Policy.OnUninspectable configured = ex.policy().onUninspectable();
    boolean block = configured != null
        ? configured == Policy.OnUninspectable.BLOCK
        : tally.has(Action.BLOCK) || tally.has(Action.REDACT);
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
      case SNIFF:
        // The body is shorter than the signature: it decides on what there is.
        if (endSniffing(out) == Step.BLOCK) {
          return Step.BLOCK;
        }
        return end(out);
      case PASS:
      case NONE:
        return Step.RELEASE;
      case HOLD:
        try {
          scanHeld(NO_BYTES, 0, true);
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
          feedStream(NO_BYTES, 0, true);
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
    if (decoder == null) {
      sink.reserve((int) Math.min(heldBytes + REDACT_SLACK, ByteSink.MAX_HINT));
    }
    bodyScanners++;
    try (StreamScanner s = Media.open(ex.scanner(),
        ct, charset, boundary, f -> counted(tally.styleFor(f, "body"), f), sink::write)) {
      BodyDecoder d = newDecoder();
      try {
        for (int i = 0; i < held.size(); i++) {
          HttpData chunk = held.get(i);
          byte[] bytes = d == null ? Chunks.readable(chunk) : chunk.array();
          if (d == null) {
            s.feed(bytes, 0, chunk.length());
          } else {
            byte[] plain = d.decode(bytes, 0, chunk.length());
            s.feed(plain, 0, plain.length);
          }
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
    releaseAll(held);
    HttpData body = sink.take();
    dropEncoding = decoder != null;
    contentLength = body.length();
    if (!body.isEmpty()) {
      out.add(body);
    }
    return Step.RELEASE;
  }

  /** Returns whether {@code type} is a gRPC body: binary, gRPC-Web, or gRPC-Web text. */
  static boolean isGrpc(@Nullable ContentType type) {
    return type == ContentType.GRPC || type == ContentType.GRPC_WEB_TEXT;
  }

  /** Returns whether the body is a Server-Sent Events stream. */
  boolean eventStream() {
    return contentType == ContentType.EVENT_STREAM;
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
    if (bodyScanners > 0) {
      ex.record().addBodyScanners(bodyScanners);
    }
    releaseAll(held);
    releaseAll(sniffed);
    boolean shadow = !ex.enforce();
    String refusedBy = blockedBy;
    ex.metrics().inspectedBytes(direction, inspected);
    ex.metrics().inspectionTime(direction, scanNanos);
    boolean delivered = refusedBy == null && !"cancelled".equals(stage);
    if (tally.findings() == 0 && refusedBy == null && uninspectable == null
        && shadowBlockedBy == null) {
      return; // Nothing to report or to add to a budget: no event, no lists built.
    }
    // The acting rules are read before the budgets take this message in: after, a budget this
    // message brought closer to its limit would count as acting on it.
    List<Rule> acting = tally.actingRules();
    // In shadow mode nothing is refused, but the event names what would have refused it, so
    // that the command plane can show what a shadow rollout would have blocked.
    String wouldBlock = null;
    if (shadow && refusedBy == null) {
      Rule r = tally.blockingRule();
      wouldBlock = r != null ? r.name() : shadowBlockedBy;
    }
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
    if (delivered || shadow) {
      tally.commitBudgets();
    }
    FindingsEvent event = new FindingsEvent(
        ex.settings().clock().instant(), ex.settings().route(), direction, ex.identityHash(),
        tally.categories(), tally.locations(), actions, rules,
        refusedBy != null ? refusedBy : wouldBlock, refusedBy == null ? null : stage, alert,
        shadow, uninspectable, inspected, protocol, List.copyOf(tally.paths()), tally.values(),
        ex.cluster(), ex.service());
    ex.record().add(event);
    try {
      ex.settings().findingsSink().accept(event);
    } catch (RuntimeException e) {
      logger.warn("Findings sink failed: {}", e.getClass().getName());
    }
  }

  /**
   * Releases the chunks {@code chunks} still holds (pooled ones return to Netty's pool) and
   * empties it: chunks that go on are handed to the output list instead, which then owns them.
   */
  private static void releaseAll(List<HttpData> chunks) {
    for (HttpData d : chunks) {
      d.close();
    }
    chunks.clear();
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
