package dev.custos.proxy.internal.inspect;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpRequestWriter;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.stream.StreamMessage;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.engine.Direction;
import dev.custos.proxy.internal.inspect.MessageInspection.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Moves a request body from the client to the service behind, through its {@link
 * MessageInspection}. The service is called only once the inspection releases the request, so a
 * refused request never reaches it. Backpressure: while streaming, the next chunk is asked for
 * once the service consumed the last; while holding, the hold limit bounds what is read ahead.
 * All callbacks run on the request's event loop.
 */
final class RequestPump implements Subscriber<HttpObject> {
  private final ServiceRequestContext ctx;
  private final HttpRequest req;
  private final MessageInspection inspection;
  private final FieldScan fields;
  private final Exchange ex;
  private final Function<HttpRequest, HttpResponse> forward;
  private final CompletableFuture<HttpResponse> response = new CompletableFuture<>();
  /** The chunks one step lets through; reused, as every callback runs on one event loop. */
  private final List<HttpData> out = new ArrayList<>();
  private @Nullable Subscription subscription;
  private @Nullable HttpRequestWriter writer;
  private @Nullable HttpHeaders trailers;
  private @Nullable FieldScan trailerScan;
  private boolean finished;
  /** Lets a message held in case the next one continues a value go once the body is idle. */
  private final IdleRelease idle;

  RequestPump(ServiceRequestContext ctx, HttpRequest req, MessageInspection inspection,
      FieldScan fields, Exchange ex, Function<HttpRequest, HttpResponse> forward) {
    this.ctx = ctx;
    this.req = req;
    this.inspection = inspection;
    this.fields = fields;
    this.ex = ex;
    this.forward = forward;
    this.idle = new IdleRelease(ctx.eventLoop(), () -> {
      if (!finished && writer != null) {
        List<HttpData> released = new ArrayList<>(1);
        inspection.release(released);
        write(released);
      }
    });
  }

  /** Starts inspecting and returns the response, known once the request is released or refused. */
  HttpResponse start() {
    // A request without a body ends at its headers, query and path: no body scanner is opened.
    boolean bodiless = req.isEmpty();
    Step step = bodiless ? inspection.beginWithoutBody() : inspection.begin();
    if (step == Step.BLOCK) {
      refuse();
      req.abort();
      return HttpResponse.of(response);
    }
    if (bodiless) {
      return forwardWithoutBody();
    }
    if (step == Step.RELEASE) {
      release(List.of());
    }
    req.subscribe(this, ctx.eventLoop());
    return HttpResponse.of(response);
  }

  /**
   * A request that has no body (a GET, most often) ends its inspection at once and goes to the
   * service whole. Sent as a stream it would reach an HTTP/1.1 upstream chunked, with its empty
   * last chunk in a write of its own.
   */
  private HttpResponse forwardWithoutBody() {
    finished = true;
    out.clear();
    if (inspection.onEnd(out) == Step.BLOCK) {
      refuse();
      return HttpResponse.of(response);
    }
    RequestHeaders headers = releasedHeaders();
    HttpRequest whole = out.isEmpty() ? HttpRequest.of(headers)
        : HttpRequest.of(headers, StreamMessage.of(out.toArray(new HttpData[0])));
    ctx.updateRequest(whole);
    try {
      return forward.apply(whole);
    } catch (Throwable t) {
      return HttpResponse.ofFailure(t);
    }
  }

  /** Returns the request's headers with the rules' redactions and the inspection's changes. */
  private RequestHeaders releasedHeaders() {
    RequestHeaders headers = req.headers();
    RequestHeaders rewritten =
        ex.enforce() ? fields.redact(ex, inspection.tally(), headers, Direction.REQUEST) : null;
    RequestHeaders kept = rewritten != null ? rewritten : headers;
    if (!inspection.changesHeaders()) {
      return kept; // Unchanged: not copied.
    }
    RequestHeadersBuilder b = kept.toBuilder();
    inspection.applyHeaderChanges(b);
    return b.build();
  }

  /** Returns the request's trailers with the rules' redactions, or null when it has none. */
  private @Nullable HttpHeaders releasedTrailers() {
    HttpHeaders t = trailers;
    FieldScan scan = trailerScan;
    if (t == null || scan == null || !ex.enforce()) {
      return t;
    }
    HttpHeaders rewritten = scan.redactTrailers(ex, inspection.tally(), t, Direction.REQUEST);
    return rewritten != null ? rewritten : t;
  }

  private void release(List<HttpData> out) {
    HttpRequestWriter w = HttpRequest.streaming(releasedHeaders());
    writer = w;
    ctx.updateRequest(w);
    w.whenComplete().handleAsync((unused, cause) -> {
      if (cause != null && !finished) {
        finished = true;
        cancelUpstream();
        inspection.close();
      }
      return null;
    }, ctx.eventLoop());
    try {
      response.complete(forward.apply(w));
    } catch (Throwable t) {
      response.completeExceptionally(t);
    }
    write(out);
  }

  private void write(List<HttpData> out) {
    HttpRequestWriter w = writer;
    if (w == null) {
      return;
    }
    for (HttpData d : out) {
      if (!w.tryWrite(d)) {
        return;
      }
    }
  }

  @Override
  public void onSubscribe(Subscription s) {
    subscription = s;
    s.request(1);
  }

  @Override
  public void onNext(HttpObject obj) {
    if (finished) {
      return;
    }
    if (obj instanceof HttpData) {
      out.clear();
      Step step = inspection.onData((HttpData) obj, out);
      if (handle(step, out)) {
        releaseWhenIdle();
        requestNext();
      }
    } else if (obj instanceof HttpHeaders) {
      HttpHeaders t = (HttpHeaders) obj;
      trailers = t;
      FieldScan scan = FieldScan.ofTrailers(t);
      trailerScan = scan;
      if (handle(inspection.onTrailers(scan), List.of())) {
        requestNext();
      }
    } else {
      requestNext();
    }
  }

  @Override
  public void onComplete() {
    if (finished) {
      return;
    }
    out.clear();
    Step step = inspection.onEnd(out);
    if (handle(step, out)) {
      finished = true;
      HttpRequestWriter w = writer;
      if (w != null) {
        HttpHeaders t = releasedTrailers();
        if (t != null) {
          w.tryWrite(t);
        }
        w.close();
      }
    }
  }

  @Override
  public void onError(Throwable t) {
    if (finished) {
      return;
    }
    finished = true;
    inspection.close();
    HttpRequestWriter w = writer;
    if (w != null) {
      w.abort(t);
    } else {
      response.completeExceptionally(t);
    }
  }

  /** Acts on a step; returns false once the message was refused. */
  private boolean handle(Step step, List<HttpData> out) {
    switch (step) {
      case BLOCK:
        finished = true;
        cancelUpstream();
        HttpRequestWriter w = writer;
        if (w == null) {
          refuse();
        } else {
          inspection.blocked("stream_aborted");
          if (GrpcRefusals.isGrpc(req.contentType())) {
            // The response answers gRPC status 7 once the upstream call ends.
            ex.grpcRequestBlocked(String.valueOf(inspection.blockedBy()));
          }
          w.abort(new Refusals.StreamBlockedException());
        }
        return false;
      case RELEASE:
        if (writer == null) {
          release(out);
        } else {
          write(out);
        }
        return true;
      default:
        write(out);
        return true;
    }
  }

  private void refuse() {
    inspection.blocked("before_upstream");
    response.complete(inspection.badRequest()
        ? Refusals.badRequest(inspection.problem())
        : GrpcRefusals.isGrpc(req.contentType())
            ? HttpResponse.of(GrpcRefusals.trailersOnly(inspection.blockedBy()))
            : Refusals.response(inspection.blockedBy()));
  }

  /**
   * When the inspection holds a message back only in case the next one continues a value, lets it
   * go once no more data came for {@link MessageInspection#JOIN_WAIT_MILLIS}.
   */
  private void releaseWhenIdle() {
    if (inspection.waiting()) {
      idle.chunk();
    }
  }

  private void requestNext() {
    Subscription s = subscription;
    if (s == null || finished) {
      return;
    }
    HttpRequestWriter w = writer;
    if (w == null) {
      s.request(1);
    } else {
      Demand.requestWhenConsumed(w, s, ctx.eventLoop());
    }
  }

  private void cancelUpstream() {
    Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }
}
