package dev.custos.proxy.internal.inspect;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.common.stream.SubscriptionOption;
import com.linecorp.armeria.unsafe.PooledObjects;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.engine.Direction;
import dev.custos.engine.Rule;
import dev.custos.proxy.internal.inspect.MessageInspection.Step;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Moves a response from the service behind to the client through its {@link MessageInspection}.
 * While the body is held, the response headers are held too, so a refusal replaces the whole
 * response with a 403. Once headers went out, a refusal aborts the stream: Armeria resets an
 * HTTP/2 stream ({@code RST_STREAM}) and closes an HTTP/1.1 connection, so the client sees a
 * truncated response, never a complete one; a Server-Sent Events response instead ends with an
 * {@code event: error} naming the rule, after the events already sent. Callbacks run on the
 * request's event loop.
 */
final class ResponsePump implements Subscriber<HttpObject> {
  private final ServiceRequestContext ctx;
  private final Exchange ex;
  private final List<Rule> rules;
  private final HttpResponseWriter out = HttpResponse.streaming();
  /** The chunks one step lets through; reused, as every callback runs on one event loop. */
  private final List<HttpData> chunks = new ArrayList<>();
  private @Nullable MessageInspection inspection;
  private @Nullable ResponseHeaders headers;
  private boolean headersSent;
  private @Nullable FieldScan headerScan;
  private @Nullable HttpHeaders trailers;
  private @Nullable FieldScan trailerScan;
  private @Nullable Subscription subscription;
  private boolean finished;
  /** Lets a message held in case the next one continues a value go once the body is idle. */
  private final IdleRelease idle;

  private ResponsePump(ServiceRequestContext ctx, Exchange ex, List<Rule> rules) {
    this.ctx = ctx;
    this.ex = ex;
    this.rules = rules;
    this.idle = new IdleRelease(ctx.eventLoop(), () -> {
      MessageInspection i = inspection;
      if (!finished && headersSent && i != null) {
        List<HttpData> released = new ArrayList<>(1);
        i.release(released);
        write(released);
      }
    });
  }

  /** Returns {@code res} as the client will see it, inspected. */
  static HttpResponse inspect(
      ServiceRequestContext ctx, HttpResponse res, Exchange ex, List<Rule> rules) {
    ResponsePump pump = new ResponsePump(ctx, ex, rules);
    pump.out.whenComplete().handleAsync((unused, cause) -> {
      if (cause != null && !pump.finished) {
        pump.finished = true;
        pump.cancelUpstream();
        MessageInspection i = pump.inspection;
        if (i != null) {
          i.close();
        }
      }
      return null;
    }, ctx.eventLoop());
    // Pooled: the body's chunks come in Netty's buffers, not copied into arrays first; the pump
    // owns each and hands it on to the client or releases it.
    res.subscribe(pump, ctx.eventLoop(), SubscriptionOption.WITH_POOLED_OBJECTS);
    return pump.out;
  }

  @Override
  public void onSubscribe(Subscription s) {
    subscription = s;
    s.request(1);
  }

  @Override
  public void onNext(HttpObject obj) {
    if (finished || endRefusedGrpcCall()) {
      PooledObjects.close(obj);
      return;
    }
    if (obj instanceof ResponseHeaders && inspection == null) {
      ResponseHeaders h = (ResponseHeaders) obj;
      if (h.status().isInformational()) {
        if (informationalIsClean(h)) {
          out.tryWrite(h);
        }
        requestNext();
        return;
      }
      headers = h;
      RuleTally tally = new RuleTally(
          rules, ex.settings().budgetStore(), ex.identityHash(), ex.settings().clock());
      FieldScan scan = FieldScan.ofResponse(h);
      scan.scan(ex, tally);
      headerScan = scan;
      MessageInspection i = MessageInspection.of(
          ex, Direction.RESPONSE, tally, h, ex.settings().skippedMediaTypes());
      i.fieldNotes(scan.notes());
      inspection = i;
      if (handle(bodiless(h) ? i.beginWithoutBody() : i.begin(), List.of())) {
        requestNext();
      }
    } else if (obj instanceof HttpData && inspection != null) {
      chunks.clear();
      if (handle(inspection.onData((HttpData) obj, chunks), chunks)) {
        releaseWhenIdle(inspection);
        requestNext();
      }
    } else if (obj instanceof HttpHeaders && inspection != null) {
      HttpHeaders t = (HttpHeaders) obj;
      trailers = t;
      FieldScan scan = FieldScan.ofTrailers(t);
      trailerScan = scan;
      if (handle(inspection.onTrailers(scan), List.of())) {
        requestNext();
      }
    } else {
      PooledObjects.close(obj);
      requestNext();
    }
  }

  @Override
  public void onComplete() {
    if (finished || endRefusedGrpcCall()) {
      return;
    }
    MessageInspection i = inspection;
    if (i == null) {
      finished = true;
      out.close();
      return;
    }
    chunks.clear();
    if (handle(i.onEnd(chunks), chunks)) {
      finished = true;
      HttpHeaders t = releasedTrailers(i);
      if (t != null) {
        out.tryWrite(t);
      }
      out.close();
    }
  }

  @Override
  public void onError(Throwable t) {
    if (finished) {
      return;
    }
    finished = true;
    MessageInspection i = inspection;
    if (i != null) {
      i.close();
    }
    if (ex.grpcRequestBlockedBy() != null) {
      finished = false;
      endRefusedGrpcCall();
      return;
    }
    out.abort(t);
  }

  /**
   * Ends the call when its gRPC request was refused on its way upstream, which cut the upstream
   * call short (a reset, or the proxy's 502 for it): the client is told as gRPC does, status 7,
   * rather than by whatever the upstream answered. Returns whether it did.
   */
  private boolean endRefusedGrpcCall() {
    String rule = ex.grpcRequestBlockedBy();
    if (rule == null) {
      return false;
    }
    finished = true;
    cancelUpstream();
    MessageInspection i = inspection;
    if (i != null) {
      i.close();
    }
    out.tryWrite(headersSent ? GrpcRefusals.trailers(rule) : GrpcRefusals.trailersOnly(rule));
    out.close();
    return true;
  }

  /** Acts on a step; returns false once the response was refused. */
  private boolean handle(Step step, List<HttpData> chunks) {
    MessageInspection i = java.util.Objects.requireNonNull(inspection);
    switch (step) {
      case BLOCK:
        release(chunks);
        finished = true;
        cancelUpstream();
        boolean grpc = GrpcRefusals.isGrpc(java.util.Objects.requireNonNull(headers).contentType());
        if (!headersSent) {
          i.blocked("in_place");
          if (grpc) {
            out.tryWrite(GrpcRefusals.trailersOnly(i.blockedBy()));
          } else {
            HttpData body = Refusals.body(i.blockedBy());
            out.tryWrite(Refusals.headers(body));
            out.tryWrite(body);
          }
          out.close();
        } else if (grpc) {
          // A gRPC response ends with status 7 in its trailers instead of a reset.
          i.blocked("stream_aborted");
          out.tryWrite(GrpcRefusals.trailers(i.blockedBy()));
          out.close();
        } else if (i.eventStream()) {
          // An SSE client reads a last error event and a normal end rather than a broken stream.
          i.blocked("stream_ended");
          out.tryWrite(Refusals.event(i.blockedBy()));
          out.close();
        } else {
          i.blocked("stream_aborted");
          out.abort(new Refusals.StreamBlockedException());
        }
        return false;
      case RELEASE:
        sendHeaders(i);
        write(chunks);
        return true;
      default:
        if (headersSent) {
          write(chunks);
        } else {
          release(chunks);
        }
        return true;
    }
  }

  /**
   * Returns whether the response has no body: it ends with its headers, answers a {@code HEAD}, or
   * has a status whose content is always empty (204, 205, 304). Its inspection then opens no body
   * scanner.
   */
  private boolean bodiless(ResponseHeaders h) {
    return h.isEndOfStream() || h.status().isContentAlwaysEmpty()
        || ctx.method() == HttpMethod.HEAD;
  }

  /**
   * Returns whether an informational (1xx) response may go on as it is: it is scanned like the
   * final headers, and one holding anything the policy finds is not forwarded (1xx responses are
   * advisory; the final response follows).
   */
  private boolean informationalIsClean(ResponseHeaders h) {
    RuleTally scratch = new RuleTally(
        rules, ex.settings().budgetStore(), ex.identityHash(), ex.settings().clock());
    FieldScan.ofResponse(h).scan(ex, scratch);
    return scratch.findings() == 0;
  }

  /** Returns the trailers with the rules' redactions, or null when the response has none. */
  private @Nullable HttpHeaders releasedTrailers(MessageInspection i) {
    HttpHeaders t = trailers;
    FieldScan scan = trailerScan;
    if (t == null || scan == null || !ex.enforce()) {
      return t;
    }
    HttpHeaders rewritten = scan.redactTrailers(ex, i.tally(), t, Direction.RESPONSE);
    return rewritten != null ? rewritten : t;
  }

  private void sendHeaders(MessageInspection i) {
    if (headersSent) {
      return;
    }
    headersSent = true;
    ResponseHeaders h = java.util.Objects.requireNonNull(headers);
    FieldScan scan = headerScan;
    if (scan != null && ex.enforce()) {
      ResponseHeaders rewritten = scan.redact(ex, i.tally(), h);
      if (rewritten != null) {
        h = rewritten;
      }
    }
    if (!i.changesHeaders()) {
      out.tryWrite(h); // Unchanged: not copied.
      return;
    }
    ResponseHeadersBuilder b = h.toBuilder();
    i.applyHeaderChanges(b);
    out.tryWrite(b.build());
  }

  /** Writes {@code chunks} to the client; once a write is refused (closed), releases the rest. */
  private void write(List<HttpData> chunks) {
    for (int k = 0; k < chunks.size(); k++) {
      if (!out.tryWrite(chunks.get(k))) { // A refused chunk is released by the writer.
        release(chunks.subList(k + 1, chunks.size()));
        return;
      }
    }
  }

  private static void release(List<HttpData> chunks) {
    for (HttpData d : chunks) {
      d.close();
    }
  }

  /**
   * When the inspection holds a message back only in case the next one continues a value, lets it
   * go once no more data came for {@link MessageInspection#JOIN_WAIT_MILLIS}.
   */
  private void releaseWhenIdle(MessageInspection i) {
    if (i.waiting()) {
      idle.chunk();
    }
  }

  private void requestNext() {
    Subscription s = subscription;
    if (s == null || finished) {
      return;
    }
    if (!headersSent) {
      s.request(1);
    } else {
      Demand.requestWhenConsumed(out, s, ctx.eventLoop());
    }
  }

  private void cancelUpstream() {
    Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }
}
