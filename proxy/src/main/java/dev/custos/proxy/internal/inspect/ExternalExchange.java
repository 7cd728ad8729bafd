package dev.custos.proxy.internal.inspect;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import dev.custos.engine.Action;
import dev.custos.engine.Direction;
import dev.custos.engine.Policy;
import dev.custos.engine.Rule;
import dev.custos.proxy.InspectionSettings;
import dev.custos.proxy.internal.identity.IdentityResolver;
import dev.custos.proxy.internal.inspect.MessageInspection.Step;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Inspects one exchange whose parts arrive one call at a time instead of as Armeria streams: the
 * way Envoy's external processing filter hands a request and its response over (headers, body
 * chunks, trailers, each answered before the next). Each part goes through the same {@link
 * MessageInspection} as in the proxy, so rules, hold limits, redaction, budgets, metrics and
 * findings events are the proxy's; only the carrier differs.
 *
 * <p>A body chunk is answered with the bytes that may go on in its place: while a body is held
 * (a block rule or a per-message redaction applies), nothing until its end; while it streams
 * through a redacting scan, what the scan made final, so a value that may go on in the next chunk
 * is held back (the scanner's window) and sent with a later answer. Not thread-safe: calls must
 * not overlap (a gRPC stream delivers its messages one after another). Memory is the proxy's:
 * the hold limit, the decoder's slice and the scanner's window.
 */
public final class ExternalExchange implements AutoCloseable {
  /** How a refused message is answered. */
  public record Refusal(AggregatedHttpResponse response, boolean grpc, String rule, String stage) {
    /** Checks the parts. */
    public Refusal {
      requireNonNull(response, "response");
      requireNonNull(rule, "rule");
      requireNonNull(stage, "stage");
    }

    @Override
    public String toString() {
      return "Refusal{" + response.status().code() + ", rule=" + rule + ", stage=" + stage + "}";
    }
  }

  /**
   * The answer to one part of a message.
   *
   * @param refusal set when the message is refused; the other fields are then null
   * @param headers the headers (or trailers) as they must go on, or null when unchanged
   * @param body the bytes that go on in place of the chunk, or null when the chunk goes on as it
   *     is
   * @param problem why the part cannot be answered faithfully (no value in it), or null
   */
  public record Answer(@Nullable Refusal refusal, @Nullable HttpHeaders headers,
      byte @Nullable [] body, @Nullable String problem) {
    static final Answer UNCHANGED = new Answer(null, null, null, null);

    @Override
    public String toString() {
      // Headers and bodies may hold the values inspected: never printed.
      return "Answer{refusal=" + refusal + ", headers=" + (headers != null)
          + ", body=" + (body == null ? "unchanged" : body.length + " bytes")
          + ", problem=" + problem + "}";
    }
  }

  /** One message of the exchange: the request or the response. */
  private final class Part {
    final Direction direction;
    final HttpHeaders headers;
    final FieldScan fields;
    final MessageInspection inspection;
    final boolean grpc;
    /** Whether a body rewrite may happen, so Content-Length was removed from the headers. */
    boolean bodyMayChange;
    boolean firstChunk = true;
    boolean ended;
    /** Whether body bytes were let go (the message can no longer be replaced whole). */
    boolean released;

    Part(Direction direction, HttpHeaders headers, FieldScan fields, RuleTally tally) {
      this.direction = direction;
      this.headers = headers;
      this.fields = fields;
      fields.scan(ex, tally);
      this.inspection = MessageInspection.of(ex, direction, tally, headers,
          ex.settings().skippedMediaTypes());
      inspection.fieldNotes(fields.notes());
      inspection.protocol(protocol);
      this.grpc = GrpcRefusals.isGrpc(headers.contentType());
    }
  }

  private final Exchange ex;
  private final String protocol;
  private final RequestHeaders requestHeaders;
  private final List<Rule> responseRules;
  private final Part request;
  private @Nullable Part response;

  private ExternalExchange(InspectionPlan plan, RequestHeaders headers, String identity,
      String protocol) {
    InspectionSettings settings = plan.settings();
    String path = pathOf(headers.path());
    this.ex = new Exchange(settings, plan.metrics(), identity, plan.grpc(), path, null, null);
    this.protocol = protocol;
    this.requestHeaders = headers;
    Policy policy = settings.policy();
    String method = headers.method().name();
    String host = Inspector.hostOf(headers.authority());
    List<Rule> requestRules = policy.rulesFor(Direction.REQUEST, method, host, path);
    this.responseRules = policy.rulesFor(Direction.RESPONSE, method, host, path);
    RuleTally tally = new RuleTally(
        requestRules, settings.budgetStore(), ex.identityHash(), settings.clock());
    FieldScan fields = FieldScan.ofRequest(headers);
    this.request = new Part(Direction.REQUEST, headers, fields, tally);
    request.inspection.pathScan(fields);
  }

  /**
   * Starts the inspection of a request with these headers, from a caller whose connection comes
   * from {@code peer}; {@code protocol} names the carrier in findings events.
   */
  public static ExternalExchange begin(InspectionPlan plan, RequestHeaders headers,
      InetAddress peer, String protocol) {
    requireNonNull(plan, "plan");
    requireNonNull(headers, "headers");
    requireNonNull(peer, "peer");
    requireNonNull(protocol, "protocol");
    InspectionSettings s = plan.settings();
    String identity = new IdentityResolver(s.policy().identitySources(), s.identityKey())
        .resolve(headers, peer).key();
    return new ExternalExchange(plan, headers, identity, protocol);
  }

  /** Returns the route the exchange is inspected under. */
  public String route() {
    return ex.settings().route();
  }

  /**
   * Answers the request's headers; {@code endOfStream} when the request has no body (nor
   * trailers).
   */
  public Answer requestHeaders(boolean endOfStream) {
    return headers(request, endOfStream, false);
  }

  /** Answers a chunk of the request's body; {@code endOfStream} on its last one. */
  public Answer requestBody(byte[] chunk, boolean endOfStream) {
    return body(request, chunk, endOfStream);
  }

  /** Answers the request's trailers, which end it. */
  public Answer requestTrailers(HttpHeaders trailers) {
    return trailers(request, trailers);
  }

  /**
   * Starts the response and answers its headers; {@code endOfStream} when it has no body (nor
   * trailers).
   */
  public Answer responseHeaders(ResponseHeaders headers, boolean endOfStream) {
    requireNonNull(headers, "headers");
    if (response != null) {
      throw new IllegalStateException("response headers already taken");
    }
    RuleTally tally = new RuleTally(responseRules, ex.settings().budgetStore(), ex.identityHash(),
        ex.settings().clock());
    Part p = new Part(Direction.RESPONSE, headers, FieldScan.ofResponse(headers), tally);
    response = p;
    boolean bodiless = endOfStream || headers.status().isContentAlwaysEmpty()
        || requestHeaders.method() == HttpMethod.HEAD;
    return headers(p, endOfStream, bodiless);
  }

  /** Answers a chunk of the response's body; {@code endOfStream} on its last one. */
  public Answer responseBody(byte[] chunk, boolean endOfStream) {
    return body(requireNonNull(response, "response"), chunk, endOfStream);
  }

  /** Answers the response's trailers, which end it. */
  public Answer responseTrailers(HttpHeaders trailers) {
    return trailers(requireNonNull(response, "response"), trailers);
  }

  private Answer headers(Part p, boolean endOfStream, boolean bodiless) {
    MessageInspection i = p.inspection;
    Step step = bodiless || endOfStream ? i.beginWithoutBody() : i.begin();
    if (step != Step.BLOCK && endOfStream) {
      p.ended = true;
      step = i.onEnd(new ArrayList<>());
    }
    if (step == Step.BLOCK) {
      return refuse(p);
    }
    HttpHeaders h = p.headers;
    if (ex.enforce()) {
      HttpHeaders rewritten = p.direction == Direction.REQUEST
          ? p.fields.redact(ex, i.tally(), (RequestHeaders) h, Direction.REQUEST)
          : p.fields.redact(ex, i.tally(), (ResponseHeaders) h);
      if (rewritten != null) {
        h = rewritten;
      }
    }
    HttpHeadersBuilder b = h.toBuilder();
    i.applyHeaderChanges(b);
    // The headers go on before the body is seen: when a rule may rewrite it, its length is not
    // known (Envoy then frames the body itself).
    p.bodyMayChange = !bodiless && !endOfStream && ex.enforce()
        && (i.tally().has(Action.REDACT) || i.tally().has(Action.BLOCK));
    if (p.bodyMayChange) {
      b.remove(HttpHeaderNames.CONTENT_LENGTH);
    }
    HttpHeaders out = b.build();
    return out.equals(p.headers) ? Answer.UNCHANGED : new Answer(null, out, null, null);
  }

  private Answer body(Part p, byte[] chunk, boolean endOfStream) {
    requireNonNull(chunk, "chunk");
    MessageInspection i = p.inspection;
    boolean whole = p.firstChunk && endOfStream;
    p.firstChunk = false;
    List<HttpData> out = new ArrayList<>();
    Step step = i.onData(HttpData.wrap(chunk), out);
    if (step != Step.BLOCK && endOfStream) {
      p.ended = true;
      step = i.onEnd(out);
    } else if (step != Step.BLOCK) {
      // A gRPC message held in case the next one continues a value goes on now: nothing here
      // answers Envoy later unless another chunk comes, and a call may wait for an answer first.
      i.release(out);
    }
    if (step == Step.BLOCK) {
      return refuse(p);
    }
    byte[] joined = join(out);
    if (joined.length > 0) {
      p.released = true;
    }
    HttpHeaders headers = null;
    if (whole) {
      // The body came whole (Envoy's BUFFERED mode holds the headers meanwhile): the headers may
      // still change to fit it (a decoded, rewritten body loses its Content-Encoding).
      HttpHeadersBuilder b = p.headers.toBuilder();
      if (p.bodyMayChange) {
        b.remove(HttpHeaderNames.CONTENT_LENGTH);
      }
      HttpHeaders before = b.build();
      i.applyHeaderChanges(b);
      HttpHeaders after = b.build();
      if (!after.equals(before)) {
        headers = after;
      }
    }
    byte[] body = Arrays.equals(joined, chunk) ? null : joined;
    return body == null && headers == null ? Answer.UNCHANGED
        : new Answer(null, headers, body, null);
  }

  private Answer trailers(Part p, HttpHeaders trailers) {
    requireNonNull(trailers, "trailers");
    MessageInspection i = p.inspection;
    if (p.ended && trailers.isEmpty()) {
      // Envoy sends empty trailers after a body that ended when its configuration asks for them.
      return Answer.UNCHANGED;
    }
    FieldScan scan = FieldScan.ofTrailers(trailers);
    Step step = i.onTrailers(scan);
    List<HttpData> out = new ArrayList<>();
    if (step != Step.BLOCK && !p.ended) {
      p.ended = true;
      step = i.onEnd(out);
    }
    if (step == Step.BLOCK) {
      return refuse(p);
    }
    int left = join(out).length;
    String problem = left == 0 ? null : left + " bytes of the " + p.direction.name()
        .toLowerCase(java.util.Locale.ROOT) + " body that were held back (a value that may"
        + " continue, or a held body) could not be sent: its last chunk was answered before the"
        + " trailers came (expected: a body that ends at its last chunk, or trailers not sent"
        + " to the processor)";
    HttpHeaders rewritten = ex.enforce()
        ? scan.redactTrailers(ex, i.tally(), trailers, p.direction) : null;
    return rewritten == null && problem == null ? Answer.UNCHANGED
        : new Answer(null, rewritten, null, problem);
  }

  private Answer refuse(Part p) {
    MessageInspection i = p.inspection;
    String stage = p.released ? "stream_aborted"
        : p.direction == Direction.REQUEST ? "before_upstream" : "in_place";
    i.blocked(stage);
    String rule = i.blockedBy() == null ? MessageInspection.ON_UNINSPECTABLE : i.blockedBy();
    boolean grpc = request.grpc;
    AggregatedHttpResponse res;
    if (i.badRequest()) {
      res = Refusals.badRequest(i.problem()).aggregate().join();
    } else if (grpc) {
      res = AggregatedHttpResponse.of(GrpcRefusals.trailersOnly(rule));
    } else {
      HttpData body = Refusals.body(rule);
      res = AggregatedHttpResponse.of(Refusals.headers(body), body);
    }
    p.ended = true;
    return new Answer(new Refusal(res, grpc, rule, stage), null, null, null);
  }

  /** Returns the message gRPC clients read for a refusal by {@code rule} (not percent-encoded). */
  public static String grpcMessage(String rule) {
    return "blocked by the data protection policy (rule " + requireNonNull(rule, "rule") + ")";
  }

  /**
   * Ends what has not ended: a message whose end the processor never saw (its trailers not sent
   * to it, or the stream closed early) is settled as it stands, so its findings are reported and
   * counted. Returns how many bytes held back could not be sent.
   */
  public long finish() {
    long lost = 0;
    for (Part p : new Part[] {request, response}) {
      if (p != null && !p.ended) {
        p.ended = true;
        List<HttpData> out = new ArrayList<>();
        if (p.inspection.onEnd(out) == Step.BLOCK) {
          p.inspection.blocked("stream_aborted");
        }
        lost += join(out).length;
      }
    }
    return lost;
  }

  /** Ends the inspections cut short (a cancelled stream): reported as cancelled. */
  @Override
  public void close() {
    request.inspection.close();
    Part r = response;
    if (r != null) {
      r.inspection.close();
    }
  }

  private static byte[] join(List<HttpData> out) {
    if (out.isEmpty()) {
      return new byte[0];
    }
    if (out.size() == 1) {
      return out.get(0).array();
    }
    // Held gRPC messages released with the current one: copied once, into an array of the sum.
    int length = 0;
    for (HttpData d : out) {
      length = Math.addExact(length, d.length());
    }
    byte[] joined = new byte[length];
    int at = 0;
    for (HttpData d : out) {
      System.arraycopy(d.array(), 0, joined, at, d.length());
      at += d.length();
    }
    return joined;
  }

  private static String pathOf(String pathAndQuery) {
    int q = pathAndQuery.indexOf('?');
    return q >= 0 ? pathAndQuery.substring(0, q) : pathAndQuery;
  }
}
