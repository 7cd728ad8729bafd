package dev.custos.proxy.internal.wasm;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpRequestWriter;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.common.stream.StreamWriter;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.proxy.internal.Selection;
import dev.custos.proxy.internal.wasm.WasmFilterRuntime.FilterFailure;
import dev.custos.wasm.proxywasm.Action;
import dev.custos.wasm.proxywasm.Direction;
import dev.custos.wasm.proxywasm.HeaderMapType;
import dev.custos.wasm.proxywasm.ProxyWasmStream;
import dev.custos.wasm.proxywasm.ProxyWasmVm;
import dev.custos.wasm.proxywasm.StreamHost;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one proxy-wasm filter over one exchange, on the request's event loop: request headers,
 * body chunks and trailers through the filter and on to the next service, then the response the
 * same way back to the client.
 *
 * <p>Bodies stream with backpressure: a chunk the filter lets through ({@code CONTINUE}) is
 * written on, and the next one asked for once it was consumed; a chunk it holds back ({@code
 * PAUSE}, stop-and-buffer) stays in the stream's buffer and the next one is read at once, up to
 * the filter's {@code max_buffered_body}. Response headers a filter holds are sent with the first
 * body it lets through. {@code content-length} is dropped from a direction whose body callback
 * the module exports, since the filter may change the body's length.
 *
 * <p>The filter may act on this stream outside its own callbacks — from a tick, an HTTP call
 * response (delivered to the root context, as in Envoy) or a queue notice, after {@code
 * proxy_set_effective_context}: a continue or local response made then is applied on the event
 * loop right after that call returns. The filter sees {@code :authority}, never {@code host}.
 *
 * <p>A failure (trap, timeout, memory limit, a VM backing off, a replaced VM, too much body held)
 * takes the filter's {@code fail_open} decision: open, the filter is skipped for the rest of the
 * exchange and what it held goes on; closed, the client gets a JSON 500 (503 when the filter is
 * unavailable) if the response has not started, else the response is aborted. Not thread-safe:
 * confined to the event loop.
 */
final class FilterExchange implements StreamHost {
  private static final Logger logger = LoggerFactory.getLogger(FilterExchange.class);
  private static final byte[] NO_BYTES = new byte[0];
  private static final Set<String> UNAVAILABLE =
      Set.of("backoff", "unavailable", "instantiation", "link", "vm_replaced");

  private record Local(int status, byte[] body, List<Map.Entry<String, String>> headers) {}

  private final WasmFilterRuntime rt;
  private final WasmFilterRuntime.Loop loop;
  private final ServiceRequestContext ctx;
  private final HttpRequest req;
  private final Function<HttpRequest, HttpResponse> next;
  private final HttpResponseWriter out = HttpResponse.streaming();

  private @Nullable ProxyWasmStream stream;
  private @Nullable ProxyWasmVm vm;
  private boolean bypass;
  private boolean done;

  private List<Map.Entry<String, String>> requestHeaders;
  private List<Map.Entry<String, String>> requestTrailers = List.of();
  private List<Map.Entry<String, String>> responseHeaders = List.of();
  private List<Map.Entry<String, String>> responseTrailers = List.of();

  private @Nullable Local local;
  private boolean continueRequest;
  private boolean continueResponse;
  /** Whether this exchange is calling the filter now (its effects are applied on return). */
  private boolean inCall;
  private boolean effectsPosted;

  private boolean requestHeadersSent;
  private @Nullable HttpRequestWriter upstreamRequest;
  private @Nullable Subscription requestSubscription;
  private @Nullable HttpHeaders clientTrailers;
  private boolean requestPausedAtEnd;
  private boolean requestFinished;

  private @Nullable Subscription responseSubscription;
  private @Nullable ResponseHeaders upstreamHeaders;
  private boolean responseHeadersSent;
  private @Nullable HttpHeaders upstreamTrailers;
  private boolean responsePausedAtEnd;

  FilterExchange(WasmFilterRuntime rt, ServiceRequestContext ctx, HttpRequest req,
      Function<HttpRequest, HttpResponse> next) {
    this.rt = rt;
    this.loop = rt.loop(ctx.eventLoop().withoutContext());
    this.ctx = ctx;
    this.req = req;
    this.next = next;
    this.requestHeaders = Headers.withAuthority(Headers.list(req.headers()));
  }

  /** Returns the VM this exchange's stream is on, or null before it has one. */
  @Nullable ProxyWasmVm vm() {
    return vm;
  }

  /**
   * Takes the filter's failure decision because the VM of this exchange's stream went (it
   * crashed in another exchange or a tick, or a reload replaced it): without this a stream the
   * filter paused would wait for a continue that can no longer come. Call on the event loop.
   */
  void vmLost() {
    if (!done && !bypass && stream != null) {
      failed("vm_replaced");
    }
  }

  /** Starts the exchange and returns the response the client will see. */
  HttpResponse start() {
    out.whenComplete().handleAsync((unused, cause) -> {
      finish(cause);
      return null;
    }, ctx.eventLoop());
    boolean endOfStream = req.isEmpty();
    Action action = guarded(v -> {
      ProxyWasmStream s = v.newStream(this);
      stream = s;
      vm = v;
      loop.exchanges.add(this);
      return s.onRequestHeaders(endOfStream);
    });
    if (action == Action.CONTINUE) {
      releaseRequest();
    }
    return out;
  }

  // ---- calling the filter

  /**
   * Calls the filter unless it is bypassed, then acts on what it asked for (local response,
   * continue); returns null when the filter was not called, failed, or the exchange ended.
   */
  private @Nullable Action guarded(Function<ProxyWasmVm, Action> body) {
    if (bypass || done) {
      return null;
    }
    Action action;
    inCall = true;
    try {
      action = rt.call(loop, vm, body);
    } catch (FilterFailure f) {
      failed(f.kind);
      return null;
    } finally {
      inCall = false;
    }
    effects();
    return done || bypass ? null : action;
  }

  private Action onStream(Function<ProxyWasmStream, Action> call) {
    Action a = guarded(v -> call.apply(java.util.Objects.requireNonNull(stream)));
    return a == null ? Action.PAUSE : a;
  }

  /**
   * Applies, after the current call into the VM returns, what the filter asked of this stream
   * outside the stream's own callbacks: from a tick, an HTTP call response or a queue notice.
   */
  private void postEffects() {
    if (inCall || effectsPosted) {
      return;
    }
    effectsPosted = true;
    ctx.eventLoop().execute(() -> {
      effectsPosted = false;
      if (!bypass) {
        effects();
      }
    });
  }

  /** Acts on what the filter asked for during the last call. */
  private void effects() {
    Local l = local;
    if (l != null) {
      local = null;
      answerLocally(l);
      return;
    }
    if (continueRequest) {
      continueRequest = false;
      resumeRequest();
    }
    if (continueResponse) {
      continueResponse = false;
      resumeResponse();
    }
  }

  private void failed(String kind) {
    if (rt.failOpen()) {
      bypass = true;
      resumeRequest();
      resumeResponse();
      return;
    }
    HttpStatus status = UNAVAILABLE.contains(kind) ? HttpStatus.SERVICE_UNAVAILABLE
        : HttpStatus.INTERNAL_SERVER_ERROR;
    String error = "wasm filter " + rt.name() + (status == HttpStatus.SERVICE_UNAVAILABLE
        ? " unavailable" : " failed") + " (" + kind + ")";
    refuse(status, error);
  }

  /** Ends the exchange with an error response, or aborts it when the response has started. */
  private void refuse(HttpStatus status, String error) {
    if (done) {
      return;
    }
    done = true;
    cancelUpstream();
    if (responseHeadersSent) {
      out.abort(new WasmFilterAbortedException(rt.name()));
      return;
    }
    HttpData body = HttpData.ofUtf8("{\"error\":\"" + error.replace("\"", "'")
        + "\",\"status\":" + status.code() + "}");
    out.tryWrite(ResponseHeaders.builder(status).contentType(MediaType.JSON_UTF_8)
        .contentLength(body.length()).build());
    out.tryWrite(body);
    out.close();
  }

  private void answerLocally(Local l) {
    if (done) {
      return;
    }
    if (responseHeadersSent) {
      done = true;
      cancelUpstream();
      out.abort(new WasmFilterAbortedException(rt.name()));
      return;
    }
    done = true;
    cancelUpstream();
    ResponseHeadersBuilder b = ResponseHeaders.builder(HttpStatus.valueOf(l.status()));
    for (Map.Entry<String, String> h : l.headers()) {
      if (!h.getKey().startsWith(":") && !h.getKey().equals("content-length")) {
        b.add(h.getKey(), h.getValue());
      }
    }
    // The details string is the module's: log the status only.
    logger.debug("wasm filter {} on route {}: local response {}", rt.name(), rt.route(),
        l.status());
    b.contentLength(l.body().length);
    out.tryWrite(b.build());
    if (l.body().length > 0) {
      out.tryWrite(HttpData.wrap(l.body()));
    }
    out.close();
  }

  private void cancelUpstream() {
    Subscription s = requestSubscription;
    if (s != null) {
      s.cancel();
    }
    HttpRequestWriter w = upstreamRequest;
    if (w != null) {
      w.abort();
    }
    Subscription r = responseSubscription;
    if (r != null) {
      r.cancel();
    }
  }

  private void finish(@Nullable Throwable cause) {
    if (cause != null) {
      done = true;
      cancelUpstream();
    }
    ProxyWasmStream s = stream;
    ProxyWasmVm v = vm;
    stream = null;
    loop.exchanges.remove(this);
    if (s != null && v != null && loop.vm == v) {
      try {
        rt.call(loop, v, unused -> {
          s.close();
          return null;
        });
      } catch (FilterFailure ignored) {
        // Counted; the exchange is over.
      }
    }
  }

  // ---- request

  private void releaseRequest() {
    if (requestHeadersSent || done) {
      return;
    }
    requestHeadersSent = true;
    boolean filtered = !bypass && stream != null;
    HttpRequestWriter w = HttpRequest.streaming(filtered
        ? Headers.request(req.headers(), requestHeaders, rt.exports("proxy_on_request_body"))
        : req.headers());
    upstreamRequest = w;
    ctx.updateRequest(w);
    HttpResponse upstream;
    try {
      upstream = next.apply(w);
    } catch (Throwable t) {
      upstream = HttpResponse.ofFailure(t);
    }
    upstream.subscribe(new ResponseSubscriber(), ctx.eventLoop());
    req.subscribe(new RequestSubscriber(), ctx.eventLoop());
  }

  /** Forwards what the filter released after it continued the request, or after a bypass. */
  private void resumeRequest() {
    if (done) {
      return;
    }
    if (!requestHeadersSent) {
      releaseRequest();
      return;
    }
    writeRequest();
    if (requestPausedAtEnd) {
      requestPausedAtEnd = false;
      endRequest();
    }
  }

  private void writeRequest() {
    HttpRequestWriter w = upstreamRequest;
    if (w != null) {
      forwardBody(Direction.REQUEST, w);
    }
  }

  /** Writes what the filter released of the direction's body, if anything. */
  private void forwardBody(Direction direction, StreamWriter<HttpObject> w) {
    ProxyWasmStream s = stream;
    if (s == null) {
      return;
    }
    byte[] body = s.takeBody(direction);
    if (body.length > 0) {
      w.tryWrite(HttpData.wrap(body));
    }
  }

  private void endRequest() {
    if (requestFinished) {
      return;
    }
    requestFinished = true;
    HttpRequestWriter w = java.util.Objects.requireNonNull(upstreamRequest);
    writeRequest();
    HttpHeaders t = clientTrailers;
    if (t != null) {
      w.tryWrite(bypass || stream == null ? t : Headers.trailers(requestTrailers));
    }
    w.close();
  }

  private final class RequestSubscriber implements Subscriber<HttpObject> {
    @Override
    public void onSubscribe(Subscription s) {
      requestSubscription = s;
      s.request(1);
    }

    @Override
    public void onNext(HttpObject obj) {
      try {
        if (done) {
          return;
        }
        if (obj instanceof HttpHeaders h) {
          clientTrailers = h;
          requestNext(false);
          return;
        }
        HttpData data = (HttpData) obj;
        ProxyWasmStream s = stream;
        if (bypass || s == null) {
          java.util.Objects.requireNonNull(upstreamRequest).tryWrite(data);
          requestNext(true);
          return;
        }
        Action a = onStream(st -> st.onRequestBody(data.array(), false));
        if (done) {
          return;
        }
        if (bypass) {
          requestNext(true);
        } else if (a == Action.CONTINUE) {
          writeRequest();
          requestNext(true);
        } else if (s.bufferedBytes(Direction.REQUEST) > rt.maxBufferedBody()) {
          failed("body_too_large");
          requestNext(true);
        } else {
          requestNext(false);
        }
      } catch (RuntimeException e) {
        bug(e);
      }
    }

    @Override
    public void onComplete() {
      try {
        if (done) {
          return;
        }
        if (bypass || stream == null) {
          endRequest();
          return;
        }
        Action a = onStream(st -> st.onRequestBody(NO_BYTES, true));
        if (done || bypass) {
          if (!done) {
            endRequest();
          }
          return;
        }
        if (a == Action.CONTINUE && clientTrailers != null) {
          requestTrailers = Headers.list(clientTrailers);
          a = onStream(ProxyWasmStream::onRequestTrailers);
          if (done) {
            return;
          }
        }
        if (a == Action.CONTINUE || bypass) {
          endRequest();
        } else {
          requestPausedAtEnd = true;
        }
      } catch (RuntimeException e) {
        bug(e);
      }
    }

    @Override
    public void onError(Throwable t) {
      if (done) {
        return;
      }
      HttpRequestWriter w = upstreamRequest;
      if (w != null) {
        w.abort(t);
      }
    }
  }

  private void requestNext(boolean whenConsumed) {
    Subscription s = requestSubscription;
    HttpRequestWriter w = upstreamRequest;
    if (s == null || done) {
      return;
    }
    if (whenConsumed && w != null) {
      w.whenConsumed().thenRun(() -> ctx.eventLoop().execute(() -> s.request(1)));
    } else {
      s.request(1);
    }
  }

  // ---- response

  /** Sends what the filter released after it continued the response, or after a bypass. */
  private void resumeResponse() {
    if (done || upstreamHeaders == null) {
      return;
    }
    sendResponseHeaders();
    writeResponse();
    if (responsePausedAtEnd) {
      responsePausedAtEnd = false;
      endResponse();
    }
  }

  private void sendResponseHeaders() {
    if (responseHeadersSent) {
      return;
    }
    responseHeadersSent = true;
    ResponseHeaders h = java.util.Objects.requireNonNull(upstreamHeaders);
    boolean mayChangeBody = rt.exports("proxy_on_response_body");
    if (stream == null) {
      out.tryWrite(h);
    } else {
      out.tryWrite(Headers.response(bypass ? Headers.list(h) : responseHeaders, h.status(),
          mayChangeBody));
    }
  }

  private void writeResponse() {
    forwardBody(Direction.RESPONSE, out);
  }

  private void endResponse() {
    if (done) {
      return;
    }
    done = true;
    sendResponseHeaders();
    writeResponse();
    HttpHeaders t = upstreamTrailers;
    if (t != null) {
      out.tryWrite(bypass || stream == null ? t : Headers.trailers(responseTrailers));
    }
    out.close();
  }

  private final class ResponseSubscriber implements Subscriber<HttpObject> {
    @Override
    public void onSubscribe(Subscription s) {
      responseSubscription = s;
      s.request(1);
    }

    @Override
    public void onNext(HttpObject obj) {
      try {
        if (done) {
          return;
        }
        if (obj instanceof ResponseHeaders h && upstreamHeaders == null) {
          if (h.status().isInformational()) {
            out.tryWrite(h);
            responseNext(false);
            return;
          }
          upstreamHeaders = h;
          if (bypass || stream == null) {
            sendResponseHeaders();
            responseNext(false);
            return;
          }
          responseHeaders = Headers.list(h);
          Action a = onStream(st -> st.onResponseHeaders(false));
          if (done) {
            return;
          }
          if (a == Action.CONTINUE || bypass) {
            sendResponseHeaders();
          }
          responseNext(false);
        } else if (obj instanceof HttpHeaders h) {
          upstreamTrailers = h;
          responseNext(false);
        } else if (obj instanceof HttpData data) {
          ProxyWasmStream s = stream;
          if (bypass || s == null) {
            sendResponseHeaders();
            writeResponse();
            out.tryWrite(data);
            responseNext(true);
            return;
          }
          Action a = onStream(st -> st.onResponseBody(data.array(), false));
          if (done) {
            return;
          }
          if (bypass) {
            responseNext(true);
          } else if (a == Action.CONTINUE) {
            sendResponseHeaders();
            writeResponse();
            responseNext(true);
          } else if (s.bufferedBytes(Direction.RESPONSE) > rt.maxBufferedBody()) {
            failed("body_too_large");
            responseNext(true);
          } else {
            responseNext(false);
          }
        }
      } catch (RuntimeException e) {
        bug(e);
      }
    }

    @Override
    public void onComplete() {
      try {
        if (done) {
          return;
        }
        if (upstreamHeaders == null) {
          refuse(HttpStatus.BAD_GATEWAY, "upstream response ended without headers");
          return;
        }
        if (bypass || stream == null) {
          endResponse();
          return;
        }
        Action a = onStream(st -> st.onResponseBody(NO_BYTES, true));
        if (done) {
          return;
        }
        if (!bypass && a == Action.CONTINUE && upstreamTrailers != null) {
          responseTrailers = Headers.list(upstreamTrailers);
          a = onStream(ProxyWasmStream::onResponseTrailers);
          if (done) {
            return;
          }
        }
        if (a == Action.CONTINUE || bypass) {
          endResponse();
        } else {
          responsePausedAtEnd = true;
        }
      } catch (RuntimeException e) {
        bug(e);
      }
    }

    @Override
    public void onError(Throwable t) {
      if (done) {
        return;
      }
      done = true;
      out.abort(t);
    }
  }

  private void responseNext(boolean whenConsumed) {
    Subscription s = responseSubscription;
    if (s == null || done) {
      return;
    }
    if (whenConsumed && responseHeadersSent) {
      out.whenConsumed().thenRun(() -> ctx.eventLoop().execute(() -> s.request(1)));
    } else {
      s.request(1);
    }
  }

  private void bug(RuntimeException e) {
    // The exception's message may hold a header value a filter set: log where, not what.
    logger.warn("wasm filter {} on route {}: exchange failed: {} at {}", rt.name(), rt.route(),
        e.getClass().getName(), e.getStackTrace().length > 0 ? e.getStackTrace()[0] : "?");
    refuse(HttpStatus.INTERNAL_SERVER_ERROR, "wasm filter " + rt.name() + " failed (host_error)");
  }

  // ---- StreamHost: called by the filter during a call, on this loop

  @Override
  public List<Map.Entry<String, String>> headers(HeaderMapType type) {
    return switch (type) {
      case REQUEST_HEADERS -> requestHeaders;
      case REQUEST_TRAILERS -> requestTrailers;
      case RESPONSE_HEADERS -> responseHeaders;
      case RESPONSE_TRAILERS -> responseTrailers;
    };
  }

  @Override
  public void headers(HeaderMapType type, List<Map.Entry<String, String>> headers) {
    List<Map.Entry<String, String>> copy = List.copyOf(headers);
    switch (type) {
      case REQUEST_HEADERS -> requestHeaders = copy;
      case REQUEST_TRAILERS -> requestTrailers = copy;
      case RESPONSE_HEADERS -> responseHeaders = copy;
      case RESPONSE_TRAILERS -> responseTrailers = copy;
      default -> { }
    }
  }

  @Override
  public void sendLocalResponse(int status, String details, byte[] body,
      List<Map.Entry<String, String>> headers, int grpcStatus) {
    List<Map.Entry<String, String>> h = new ArrayList<>(headers);
    if (grpcStatus >= 0) {
      h.add(Map.entry("grpc-status", String.valueOf(grpcStatus)));
    }
    local = new Local(status < 100 || status > 599 ? 500 : status, body.clone(), h);
    postEffects();
  }

  @Override
  public void continueStream(Direction direction) {
    if (direction == Direction.REQUEST) {
      continueRequest = true;
    } else {
      continueResponse = true;
    }
    postEffects();
  }

  @Override
  public void closeStream(Direction direction) {
    local = null;
    done = true;
    cancelUpstream();
    out.abort(new WasmFilterAbortedException(rt.name()));
  }

  @Override
  public boolean httpCall(int token, String cluster, List<Map.Entry<String, String>> headers,
      byte[] body, List<Map.Entry<String, String>> trailers, Duration timeout) {
    Selection selection = ctx.attr(Selection.KEY);
    if (selection == null) {
      return false;
    }
    // The call belongs to the root context (Envoy): its response goes to the VM even after this
    // exchange ended; a continue or local response it makes for this stream is posted here.
    return rt.httpCall(loop, selection.snapshot(), token, cluster, headers, body, timeout);
  }

  @Override
  public @Nullable Object property(List<String> path) {
    String key = String.join(".", path);
    Selection selection = ctx.attr(Selection.KEY);
    return switch (key) {
      case "source.address" -> address(ctx.remoteAddress());
      case "source.port" -> (long) ctx.remoteAddress().getPort();
      case "destination.address" -> address(ctx.localAddress());
      case "destination.port" -> (long) ctx.localAddress().getPort();
      case "request.protocol" -> ctx.sessionProtocol().isMultiplex() ? "HTTP/2" : "HTTP/1.1";
      case "connection.mtls" -> mtls(ctx.sslSession());
      case "connection.tls_version" -> ctx.sslSession() == null ? null
          : ctx.sslSession().getProtocol();
      case "route_name", "xds.route_name" -> rt.route();
      case "cluster_name", "xds.cluster_name" ->
          selection == null ? null : selection.route().cluster();
      default -> null;
    };
  }

  private static String address(InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    int scope = host.indexOf('%');
    if (scope >= 0) {
      host = host.substring(0, scope);
    }
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  private static boolean mtls(@Nullable SSLSession session) {
    if (session == null) {
      return false;
    }
    try {
      Certificate[] peer = session.getPeerCertificates();
      return peer != null && peer.length > 0;
    } catch (SSLPeerUnverifiedException e) {
      return false;
    }
  }
}
