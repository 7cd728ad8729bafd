package dev.custos.proxy.internal.inspect;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.engine.ContentType;
import dev.custos.engine.Direction;
import dev.custos.engine.Policy;
import dev.custos.engine.Rule;
import dev.custos.proxy.InspectionSettings;
import dev.custos.proxy.internal.inspect.MessageInspection.Step;
import io.netty.util.AttributeKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The inspection of one WebSocket session: its opening handshake is scanned as a request without
 * a body (path, query, headers), then every message, in either direction, is inspected as a
 * message of its own: its own rule tally (so {@code per_message} means per WebSocket message),
 * its own findings event (protocol {@code websocket}, location {@code websocket:$.messages[N]},
 * N counted from 0 per direction), its own contribution to the budgets. A text message whose first fragment's first
 * non-blank byte is {@code &#123;} or {@code [} is scanned as JSON (the JSON decoder falls back to
 * text when it is not JSON), any other text message as UTF-8 text (also one whose first fragment
 * is all blank), a binary message as text of unknown charset.
 *
 * <p>A message is fed fragment by fragment through {@link MessageInspection}: held up to the
 * route's {@code max_inspected_body} when a block or per-message redaction rule applies, else
 * streamed; past that limit {@code on_uninspectable} decides (refused, or the rest streamed
 * through the scanner). Not thread-safe: the relay drives it from one event loop.
 */
public final class WebSocketInspection {
  /** The request context attribute holding the session's inspection, set after the handshake. */
  public static final AttributeKey<WebSocketInspection> KEY =
      AttributeKey.valueOf(WebSocketInspection.class, "WEBSOCKET_INSPECTION");

  private final Exchange ex;
  private final List<Rule> requestRules;
  private final List<Rule> responseRules;
  private int requestMessages;
  private int responseMessages;

  private WebSocketInspection(Exchange ex, List<Rule> requestRules, List<Rule> responseRules) {
    this.ex = ex;
    this.requestRules = requestRules;
    this.responseRules = responseRules;
  }

  /**
   * Scans the handshake of a WebSocket upgrade: refused (403) when a rule blocks on it, else
   * passed to {@code delegate} with redacted header and query values, with the session's
   * inspection stored under {@link #KEY}.
   */
  static HttpResponse serve(InspectionPlan plan, ServiceRequestContext ctx, HttpRequest req,
      HttpService delegate) {
    InspectionSettings settings = plan.settings();
    Exchange ex = new Exchange(settings, plan.metrics(), settings.callerIdentity().identify(ctx),
        null, ctx.path(), ctx, req.headers());
    ctx.setAttr(InspectionRecord.KEY, ex.record());
    RequestHeaders h = req.headers();
    Policy policy = settings.policy();
    // The session's rules are those of the GET that opened it, whatever the HTTP version.
    String host = Inspector.hostOf(h.authority());
    String path = ctx.path();
    List<Rule> requestRules = policy.rulesFor(Direction.REQUEST, "GET", host, path);
    List<Rule> responseRules = policy.rulesFor(Direction.RESPONSE, "GET", host, path);

    RuleTally tally = new RuleTally(
        requestRules, settings.budgetStore(), ex.identityHash(), settings.clock());
    FieldScan fields = FieldScan.ofRequest(h);
    fields.scan(ex, tally);
    MessageInspection handshake =
        new MessageInspection(ex, Direction.REQUEST, tally, null, null, null);
    handshake.fieldNotes(fields.notes());
    handshake.pathScan(fields);
    Step step = handshake.beginWithoutBody();
    if (step != Step.BLOCK) {
      step = handshake.onEnd(new ArrayList<>());
    }
    if (step == Step.BLOCK) {
      handshake.blocked("before_upstream");
      req.abort();
      return Refusals.response(handshake.blockedBy());
    }
    RequestHeaders rewritten =
        ex.enforce() ? fields.redact(ex, handshake.tally(), h, Direction.REQUEST) : null;
    HttpRequest forwarded = req;
    if (rewritten != null) {
      forwarded = req.withHeaders(rewritten);
      ctx.updateRequest(forwarded);
    }
    ctx.setAttr(KEY, new WebSocketInspection(ex, requestRules, responseRules));
    try {
      return delegate.serve(ctx, forwarded);
    } catch (Exception e) {
      return HttpResponse.ofFailure(e);
    }
  }

  /**
   * Returns the inspection of a session opened by {@code identity} whose handshake passed: the
   * rules are those of a GET to {@code host} and {@code path}.
   */
  static WebSocketInspection of(InspectionPlan plan, String identity, String host, String path) {
    InspectionSettings settings = plan.settings();
    Exchange ex = new Exchange(settings, plan.metrics(), identity);
    Policy policy = settings.policy();
    return new WebSocketInspection(ex, policy.rulesFor(Direction.REQUEST, "GET", host, path),
        policy.rulesFor(Direction.RESPONSE, "GET", host, path));
  }

  /** Returns the largest message (all its fragments) inspected whole, in bytes. */
  public long maxInspectedMessage() {
    return ex.settings().maxInspectedBody();
  }

  /**
   * Starts the inspection of the next message in {@code direction} ({@link Direction#REQUEST}:
   * from the client to the upstream). {@code first} is its first fragment, read only to choose
   * how a text message is scanned.
   */
  public Message message(Direction direction, boolean text, byte[] first) {
    requireNonNull(direction, "direction");
    int index = direction == Direction.REQUEST ? requestMessages++ : responseMessages++;
    List<Rule> rules = direction == Direction.REQUEST ? requestRules : responseRules;
    RuleTally tally = new RuleTally(
        rules, ex.settings().budgetStore(), ex.identityHash(), ex.settings().clock());
    MessageInspection mi = new MessageInspection(ex, direction, tally,
        text && looksLikeJson(first) ? ContentType.JSON : ContentType.TEXT,
        text ? StandardCharsets.UTF_8 : null, null);
    mi.location("websocket:$.messages[" + index + "]");
    mi.protocol("websocket");
    return new Message(mi, direction, ex.settings().maxInspectedBody());
  }

  /** Returns whether the first non-blank byte opens a JSON object or array. */
  static boolean looksLikeJson(byte[] b) {
    for (byte c : b) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        continue;
      }
      return c == '{' || c == '[';
    }
    return false;
  }

  /**
   * The inspection of one WebSocket message. Each call appends what may go on to the peer (the
   * message as it was, or rewritten) to {@code out}, and returns false when the message is
   * refused: then {@link #refused} must be called.
   */
  public static final class Message {
    private final MessageInspection inspection;
    private final Direction direction;
    private final long limit;
    private long bytes;
    private boolean started;
    private boolean ended;

    private Message(MessageInspection inspection, Direction direction, long limit) {
      this.inspection = inspection;
      this.direction = direction;
      this.limit = limit;
    }

    /** Takes the next fragment of the message. */
    public boolean fragment(byte[] payload, List<byte[]> out) {
      if (!started) {
        started = true;
        if (inspection.begin() == Step.BLOCK) {
          return false;
        }
      }
      bytes += payload.length;
      List<HttpData> data = new ArrayList<>(2);
      Step step = inspection.onData(HttpData.wrap(payload), data);
      drain(data, out);
      return step != Step.BLOCK;
    }

    /** Ends the message, after its last fragment. */
    public boolean end(List<byte[]> out) {
      ended = true;
      List<HttpData> data = new ArrayList<>(2);
      Step step = inspection.onEnd(data);
      drain(data, out);
      return step != Step.BLOCK;
    }

    /**
     * Returns whether the message was refused for its size: longer than the inspection limit,
     * with {@code on_uninspectable} refusing it.
     */
    public boolean tooBig() {
      return bytes > limit && MessageInspection.ON_UNINSPECTABLE.equals(inspection.blockedBy());
    }

    /**
     * Records that the message was refused and the session closed; {@code partlySent} when some
     * of its fragments had already gone on.
     */
    public void refused(boolean partlySent) {
      ended = true;
      inspection.blocked(partlySent ? "stream_aborted"
          : direction == Direction.REQUEST ? "before_upstream" : "in_place");
    }

    /** Ends an inspection cut short because the session ended mid-message. */
    public void cancel() {
      if (!ended) {
        ended = true;
        inspection.close();
      }
    }

    private static void drain(List<HttpData> data, List<byte[]> out) {
      for (HttpData d : data) {
        if (!d.isEmpty()) {
          out.add(d.array());
        }
        d.close();
      }
    }
  }
}
