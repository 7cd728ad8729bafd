package dev.custos.proxy.internal.relay;

import com.linecorp.armeria.common.HttpMethod;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.CompiledRoute;
import dev.custos.proxy.internal.HopByHop;
import dev.custos.proxy.internal.Snapshot;
import dev.custos.proxy.internal.telemetry.TraceContext;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The relay's handler of one client connection: routes each request with the running snapshot,
 * forwards it to the route's cluster over a pooled upstream connection of the same event loop,
 * streams both bodies with backpressure (a side stops reading while the other cannot take more),
 * answers pipelined requests in order, and answers failures with the same JSON errors as the
 * Armeria path. Headers are rewritten as {@code ForwardingService} rewrites them: hop-by-hop
 * headers removed both ways (RFC 9110 7.6.1), {@code X-Forwarded-For}, {@code X-Forwarded-Proto},
 * {@code Forwarded}, {@code Via} and {@code traceparent} set, Host rewritten when the route says
 * so. Used on the connection's event loop only.
 */
final class ClientSide extends ChannelDuplexHandler {
  private static final String VIA = "1.1 custos";
  private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
  private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  private static final AsciiString TRACEPARENT = AsciiString.cached(TraceContext.TRACEPARENT);
  private static final AsciiString TRACESTATE = AsciiString.cached(TraceContext.TRACESTATE);
  private static final AsciiString FORWARDED = AsciiString.cached("forwarded");
  private static final AsciiString TEXT_PLAIN = AsciiString.cached("text/plain; charset=utf-8");
  /** The Server header Armeria's listener sets. */
  private static final AsciiString SERVER = AsciiString.cached("Armeria/"
      + com.linecorp.armeria.common.util.Version.get("armeria").artifactVersion());
  /** The User-Agent Armeria's client sends when the request has none. */
  private static final AsciiString USER_AGENT = AsciiString.cached("armeria/"
      + com.linecorp.armeria.common.util.Version.get("armeria").artifactVersion());
  private static final AsciiString JSON = AsciiString.cached("application/json; charset=utf-8");

  private final Http1Relay relay;
  private final Channel client;
  private final UpstreamPool pool;
  private final InetAddress peer;
  private final String peerIp;
  private final String forwardedFor;
  private final Runnable timeoutTask = this::timedOut;
  private final Runnable bodyIdleTask = this::bodyIdleCheck;
  private final ChannelFutureListener connected = this::connected;
  private final ArrayDeque<Object> queued = new ArrayDeque<>();
  private final ArrayDeque<Object> pendingUp = new ArrayDeque<>();
  private @Nullable ChannelHandlerContext ctx;
  private @Nullable ChannelPromise deferredClose;
  private boolean closeAfter;
  private boolean clientFlush;
  /** A message the decoder refused waits in {@link #queued}: answered before the close. */
  private boolean badQueued;

  // The exchange in flight.
  private boolean active;
  private long start;
  private Http1Relay.@Nullable RouteMeters meters;
  private @Nullable HttpRequest request;
  private ProxyConfig.@Nullable Address endpoint;
  private long connectTimeoutMillis;
  private boolean head;
  private boolean bodyless;
  private boolean requestDone;
  private boolean responseStarted;
  private boolean responseDone;
  private boolean informational;
  private boolean upstreamKeepAlive;
  private boolean reused;
  private boolean retried;
  private boolean upFlush;
  private int status;
  private @Nullable UpstreamSide upstream;
  private boolean upstreamReady;
  private @Nullable ScheduledFuture<?> timeout;
  private @Nullable ScheduledFuture<?> bodyIdle;
  private long bodyIdleNanos;
  private long lastBodyRead;

  ClientSide(Http1Relay relay, Channel client) {
    this.relay = relay;
    this.client = client;
    this.pool = relay.pool(client.eventLoop());
    this.peer = ((InetSocketAddress) client.remoteAddress()).getAddress();
    String ip = peer.getHostAddress();
    int scope = ip.indexOf('%');
    this.peerIp = scope < 0 ? ip : ip.substring(0, scope);
    this.forwardedFor = "for=" + (peer instanceof Inet6Address ? "\"[" + peerIp + "]\"" : peerIp)
        + ";proto=http";
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!queued.isEmpty() || active && requestDone) {
      if (msg instanceof io.netty.handler.codec.http.HttpObject o
          && o.decoderResult().isFailure()) {
        // As Armeria: the exchange in flight ends the connection, the bad one is answered after.
        closeAfter = true;
        badQueued = true;
      }
      queued.add(msg);
      updateRead();
      return;
    }
    dispatch(msg);
  }

  private void dispatch(Object msg) {
    if (msg instanceof HttpRequest req) {
      begin(req);
    }
    if (msg instanceof HttpContent c) {
      content(c);
    } else if (!(msg instanceof HttpRequest)) {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (upFlush && upstream != null) {
      upFlush = false;
      upstream.channel().flush();
    }
    flush();
  }

  // ---- the request ----

  private void begin(HttpRequest req) {
    active = true;
    start = System.nanoTime();
    request = req;
    requestDone = false;
    responseStarted = false;
    responseDone = false;
    informational = false;
    reused = false;
    retried = false;
    upstreamReady = false;
    status = 0;
    meters = null;
    endpoint = null;
    head = req.method().name().equals("HEAD");
    if (req.decoderResult().isFailure()) {
      Throwable cause = req.decoderResult().cause();
      closeAfter = true;
      requestDone = true;
      if (cause instanceof TooLongHttpHeaderException) {
        plain(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
            "Request header fields too large");
      } else if (cause instanceof TooLongHttpLineException) {
        plain(HttpResponseStatus.REQUEST_URI_TOO_LONG, "Too long URI");
      } else {
        plain(HttpResponseStatus.BAD_REQUEST, "Decoder failure");
      }
      return;
    }
    Snapshot snapshot = relay.snapshot();
    if (!RequestHeads.simple(req) || relay.ineligibility(snapshot) != null) {
      // Left to the next connection, which the gate gives Armeria: closed unanswered, as an idle
      // keep-alive connection may be; clients retry such a request on a new connection.
      ctx().close();
      active = false;
      requestDone = true;
      return;
    }
    HttpHeaders h = req.headers();
    bodyless = !HttpUtil.isTransferEncodingChunked(req) && HttpUtil.getContentLength(req, 0L) == 0;
    if (!HttpUtil.isKeepAlive(req)) {
      closeAfter = true;
    }
    String traceparent = h.get(TRACEPARENT);
    TraceContext trace = TraceContext.of(traceparent);
    relay.counted(trace.continued());
    String authority = h.get(HttpHeaderNames.HOST);
    String host = CompiledRoute.host(authority);
    String uri = req.uri();
    int q = uri.indexOf('?');
    String path = q < 0 ? uri : uri.substring(0, q);
    if (relay.stopping()) {
      meters = relay.meters("none");
      closeAfter = true;
      json(HttpResponseStatus.SERVICE_UNAVAILABLE, "shutting down");
      return;
    }
    long maxHead = snapshot.config().limits().maxHeaderSize();
    if (maxHead > 0 && headSize(req) > maxHead) {
      meters = relay.meters("none");
      relay.limits.rejected("header_size");
      json(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too large");
      return;
    }
    ProxyConfig.Route route = snapshot.select(HttpMethod.valueOf(req.method().name()), host,
        path);
    if (route == null) {
      meters = relay.meters("none");
      relay.limits.rejected("no_route");
      json(HttpResponseStatus.NOT_FOUND, "no route");
      return;
    }
    meters = relay.meters(route.name());
    ProxyConfig.Cluster cluster = snapshot.config().clusters().get(route.cluster());
    if (cluster == null) {
      json(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error");
      return;
    }
    relay.canaries.forwarded(route.name(), cluster.name());
    rewrite(h, snapshot, route, authority, trace);
    if (HttpUtil.is100ContinueExpected(req)) {
      h.remove(HttpHeaderNames.EXPECT);
      ctx().writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
          HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
    }
    if (!route.timeout().isZero()) {
      timeout = client.eventLoop().schedule(timeoutTask, route.timeout().toNanos(),
          TimeUnit.NANOSECONDS);
    }
    bodyIdleNanos = snapshot.config().requestBodyIdleTimeout().toNanos();
    if (!bodyless && bodyIdleNanos > 0) {
      lastBodyRead = System.nanoTime();
      bodyIdle = client.eventLoop().schedule(bodyIdleTask, bodyIdleNanos, TimeUnit.NANOSECONDS);
    }
    List<ProxyConfig.Address> endpoints = cluster.endpoints();
    endpoint = endpoints.size() == 1 ? endpoints.get(0)
        : endpoints.get(relay.next(cluster.name(), endpoints.size()));
    long connect = cluster.connectTimeout().toMillis();
    connectTimeoutMillis = connect == 0 ? TimeUnit.DAYS.toMillis(1) : connect;
    pendingUp.add(req);
    open();
  }

  /** Rewrites the request's headers in place as the Armeria path forwards them. */
  private void rewrite(HttpHeaders h, Snapshot snapshot, ProxyConfig.Route route,
      @Nullable String authority, TraceContext trace) {
    boolean chunked = HttpUtil.isTransferEncodingChunked(request);
    removeHopByHop(h);
    if (chunked) {
      h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }
    boolean trusted = snapshot.trusts(peer);
    String xff = trusted ? joined(h, X_FORWARDED_FOR) : null;
    h.set(X_FORWARDED_FOR, xff == null ? peerIp : xff + ", " + peerIp);
    String xfp = trusted ? h.get(X_FORWARDED_PROTO) : null;
    h.set(X_FORWARDED_PROTO, xfp == null ? "http" : xfp);
    String forwarded = authority == null || authority.isEmpty() ? forwardedFor
        : forwardedFor + ";host=" + token(authority);
    String prior = trusted ? joined(h, FORWARDED) : null;
    h.set(FORWARDED, prior == null ? forwarded : prior + ", " + forwarded);
    String via = joined(h, HttpHeaderNames.VIA);
    h.set(HttpHeaderNames.VIA, via == null ? VIA : via + ", " + VIA);
    h.set(TRACEPARENT, trace.traceparent());
    if (!trace.continued()) {
      h.remove(TRACESTATE);
    }
    if (route.hostRewrite() != null) {
      h.set(HttpHeaderNames.HOST, route.hostRewrite());
    }
    if (!h.contains(HttpHeaderNames.USER_AGENT)) {
      h.set(HttpHeaderNames.USER_AGENT, USER_AGENT); // As Armeria's client sets it.
    }
  }

  private void open() {
    ProxyConfig.Address e = java.util.Objects.requireNonNull(endpoint, "endpoint");
    UpstreamSide u = retried ? null : pool.take(e);
    if (u != null) {
      reused = true;
      attach(u);
      upstreamReady = true;
      drainPendingUp();
      return;
    }
    reused = false;
    u = new UpstreamSide(e, pool);
    attach(u);
    updateRead();
    pool.connect(client, e, connectTimeoutMillis, u).addListener(connected);
  }

  private void attach(UpstreamSide u) {
    upstream = u;
    u.owner(this);
  }

  private void connected(ChannelFuture f) {
    UpstreamSide u = upstream;
    if (u == null || !active || f.channel() != u.channelOrNull()) {
      if (f.isSuccess()) {
        f.channel().close();
      }
      return;
    }
    if (!f.isSuccess()) {
      u.owner(null);
      upstream = null;
      Throwable t = f.cause();
      if (t instanceof ConnectTimeoutException) {
        failBeforeResponse(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream connect timeout");
      } else if (t instanceof ConnectException) {
        failBeforeResponse(HttpResponseStatus.BAD_GATEWAY, "upstream connection refused");
      } else {
        failBeforeResponse(HttpResponseStatus.BAD_GATEWAY, "upstream connection failed");
      }
      return;
    }
    upstreamReady = true;
    drainPendingUp();
    updateRead();
  }

  private void drainPendingUp() {
    Channel up = java.util.Objects.requireNonNull(upstream, "upstream").channel();
    Object m;
    while ((m = pendingUp.poll()) != null) {
      up.write(m, up.voidPromise());
    }
    up.flush();
  }

  private void content(HttpContent c) {
    if (c.decoderResult().isFailure()) {
      c.release();
      requestDone = true;
      closeAfter = true;
      if (!responseStarted && active) {
        dropUpstream();
        plain(HttpResponseStatus.BAD_REQUEST, "Decoder failure");
      } else {
        abort();
      }
      return;
    }
    boolean last = c instanceof LastHttpContent;
    if (!active || responseDone || upstream == null) {
      // The body of a request already answered: read and dropped.
      c.release();
    } else if (!upstreamReady) {
      pendingUp.add(c);
    } else {
      Channel up = upstream.channel();
      up.write(c, up.voidPromise());
      upFlush = true;
    }
    if (!bodyless) {
      lastBodyRead = System.nanoTime();
    }
    if (last) {
      requestDone = true;
      cancelBodyIdle();
      if (upFlush && upstream != null) {
        upFlush = false;
        upstream.channel().flush();
      }
      if (responseDone) {
        finish();
        return;
      }
    }
    updateRead();
  }

  // ---- the response ----

  void fromUpstream(UpstreamSide u, Object msg) {
    if (u != upstream || !active || responseDone) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpResponse res) {
      if (res.decoderResult().isFailure()) {
        ReferenceCountUtil.release(msg);
        dropUpstream();
        if (!responseStarted) {
          failBeforeResponse(HttpResponseStatus.BAD_GATEWAY, "upstream connection failed");
        } else {
          abort();
        }
        return;
      }
      int code = res.status().code();
      if (code < 200) {
        // 100 Continue was answered by the relay itself; other interim responses are dropped.
        informational = true;
        ReferenceCountUtil.release(msg);
        return;
      }
      informational = false;
      status = code;
      upstreamKeepAlive = HttpUtil.isKeepAlive(res);
      HttpHeaders h = res.headers();
      boolean length = h.contains(HttpHeaderNames.CONTENT_LENGTH);
      removeHopByHop(h);
      String via = joined(h, HttpHeaderNames.VIA);
      h.set(HttpHeaderNames.VIA, via == null ? VIA : via + ", " + VIA);
      if (!h.contains(HttpHeaderNames.DATE)) {
        h.set(HttpHeaderNames.DATE, relay.date());
      }
      if (!h.contains(HttpHeaderNames.SERVER)) {
        h.set(HttpHeaderNames.SERVER, SERVER);
      }
      if (!head && code != 204 && code != 304 && !length) {
        h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      }
      if (!closeAfter && (relay.stopping() || relay.ineligibility(relay.snapshot()) != null)) {
        closeAfter = true; // The next request goes to Armeria, on a new connection.
      }
      if (closeAfter) {
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      }
      res.setProtocolVersion(HttpVersion.HTTP_1_1);
      responseStarted = true;
      write(msg);
    }
    if (msg instanceof HttpContent c) {
      if (informational) {
        c.release();
        if (c instanceof LastHttpContent) {
          informational = false;
        }
        return;
      }
      if (c instanceof LastHttpContent last) {
        if (!last.trailingHeaders().isEmpty()) {
          removeHopByHop(last.trailingHeaders());
        }
        if (!(msg instanceof HttpResponse)) {
          write(c);
        }
        responseDone = true;
        if (requestDone) {
          finish();
        } else {
          // The upstream answered before the whole body came: the connection is not reusable;
          // the rest of the body is read and dropped.
          dropUpstream();
          flush();
        }
        return;
      }
      if (!(msg instanceof HttpResponse)) {
        write(c);
      }
      if (!client.isWritable()) {
        u.channel().config().setAutoRead(false);
      }
    }
  }

  void upstreamReadComplete() {
    flush();
  }

  void upstreamWritabilityChanged(UpstreamSide u) {
    if (u == upstream) {
      updateRead();
    }
  }

  void upstreamClosed(UpstreamSide u) {
    if (u != upstream) {
      return;
    }
    upstream = null;
    upstreamReady = false;
    if (!active || responseDone) {
      return;
    }
    if (!responseStarted) {
      if (reused && !retried && bodyless && request != null) {
        // A kept-alive connection the upstream closed as it was reused: once more, on a new one.
        retried = true;
        pendingUp.clear();
        pendingUp.add(request);
        if (requestDone) {
          pendingUp.add(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        open();
        return;
      }
      failBeforeResponse(HttpResponseStatus.BAD_GATEWAY, "upstream connection failed");
    } else {
      abort();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    UpstreamSide u = upstream;
    if (u != null && client.isWritable()) {
      u.channel().config().setAutoRead(true);
    }
    ctx.fireChannelWritabilityChanged();
  }

  // ---- endings ----

  private void finish() {
    active = false;
    cancelTimeout();
    cancelBodyIdle();
    Http1Relay.RouteMeters m = meters;
    if (m != null) {
      m.requests(status).increment();
      m.duration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
    if (endpoint != null) {
      relay.relayed();
    }
    UpstreamSide u = upstream;
    upstream = null;
    request = null;
    if (u != null) {
      u.owner(null);
      Channel up = u.channel();
      if (upstreamKeepAlive && up.isActive() && !relay.stopping()) {
        up.config().setAutoRead(true);
        pool.give(u);
      } else {
        up.close();
      }
    }
    flush();
    if (badQueued && deferredClose == null) {
      badQueued = false;
      while (!queued.isEmpty() && !(active && requestDone)) {
        dispatch(queued.poll());
      }
      if (active) {
        return;
      }
    }
    if (closeAfter || deferredClose != null) {
      ChannelPromise p = deferredClose;
      deferredClose = null;
      if (p != null) {
        ctx().close(p);
      } else {
        ctx().close();
      }
      return;
    }
    while (!queued.isEmpty() && !(active && requestDone)) {
      dispatch(queued.poll());
    }
    updateRead();
  }

  /** Answers a failure that happened before the response started with the JSON error. */
  private void failBeforeResponse(HttpResponseStatus s, String error) {
    pendingUp.forEach(ReferenceCountUtil::release);
    pendingUp.clear();
    if (!requestDone) {
      closeAfter = true;
    }
    json(s, error);
  }

  private void dropUpstream() {
    UpstreamSide u = upstream;
    upstream = null;
    upstreamReady = false;
    if (u != null) {
      u.owner(null);
      u.channel().close();
    }
  }

  /** Ends the exchange and the connection: a response already begun cannot be finished. */
  private void abort() {
    dropUpstream();
    active = false;
    cancelTimeout();
    cancelBodyIdle();
    flush();
    ctx().close();
  }

  private void timedOut() {
    timeout = null;
    if (!active || responseDone) {
      return;
    }
    if (!responseStarted) {
      dropUpstream();
      failBeforeResponse(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream timeout");
    } else {
      abort();
    }
  }

  private void bodyIdleCheck() {
    bodyIdle = null;
    if (!active || requestDone) {
      return;
    }
    long idle = System.nanoTime() - lastBodyRead;
    boolean waiting = !client.config().isAutoRead();
    if (waiting || idle < bodyIdleNanos) {
      // Upstream backpressure stops the clock.
      long next = waiting ? bodyIdleNanos : bodyIdleNanos - idle;
      if (waiting) {
        lastBodyRead = System.nanoTime();
      }
      bodyIdle = client.eventLoop().schedule(bodyIdleTask, next, TimeUnit.NANOSECONDS);
      return;
    }
    if (!responseStarted) {
      dropUpstream();
      closeAfter = true;
      failBeforeResponse(HttpResponseStatus.REQUEST_TIMEOUT, "request body timeout");
    } else {
      abort();
    }
  }

  private void cancelTimeout() {
    ScheduledFuture<?> t = timeout;
    if (t != null) {
      timeout = null;
      t.cancel(false);
    }
  }

  private void cancelBodyIdle() {
    ScheduledFuture<?> t = bodyIdle;
    if (t != null) {
      bodyIdle = null;
      t.cancel(false);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (!active && queued.isEmpty()) {
        ctx.close();
      }
    }
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (active && deferredClose == null && relay.stopping() && client.isActive()) {
      // The listener closes its connections at shutdown: the exchange in flight finishes first,
      // for up to shutdown_timeout.
      deferredClose = promise;
      closeAfter = true;
      long ms = relay.shutdownTimeout.toMillis();
      client.eventLoop().schedule(() -> {
        ChannelPromise p = deferredClose;
        if (p != null) {
          deferredClose = null;
          ctx.close(p);
        }
      }, ms, TimeUnit.MILLISECONDS);
      return;
    }
    ctx.close(promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    dropUpstream();
    active = false;
    cancelTimeout();
    cancelBodyIdle();
    pendingUp.forEach(ReferenceCountUtil::release);
    pendingUp.clear();
    queued.forEach(ReferenceCountUtil::release);
    queued.clear();
    ChannelPromise p = deferredClose;
    if (p != null) {
      deferredClose = null;
      p.trySuccess();
    }
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof TooLongFrameException)) {
      abort();
    }
  }

  // ---- helpers ----

  /** Reads from the client only while its next message could go somewhere. */
  private void updateRead() {
    UpstreamSide u = upstream;
    boolean read = queued.isEmpty()
        && (!active || requestDone || upstreamReady && u != null && u.channel().isWritable()
            || responseDone);
    if (client.config().isAutoRead() != read) {
      client.config().setAutoRead(read);
    }
  }

  /** Writes to the client without flushing; {@link #flush} sends it. */
  private void write(Object msg) {
    clientFlush = true;
    ctx().write(msg, ctx().voidPromise());
  }

  /** Flushes the client connection if anything was written since the last flush. */
  private void flush() {
    if (clientFlush) {
      clientFlush = false;
      ctx().flush();
    }
  }

  private ChannelHandlerContext ctx() {
    return java.util.Objects.requireNonNull(ctx, "ctx");
  }

  private void json(HttpResponseStatus s, String error) {
    byte[] body = ("{\"error\":\"" + error + "\",\"status\":" + s.code() + "}")
        .getBytes(StandardCharsets.UTF_8);
    respond(s, JSON, body);
  }

  /** Answers a request the decoder refused, as Armeria's HTTP/1 decoder does. */
  private void plain(HttpResponseStatus s, String description) {
    byte[] body = ("Status: " + s.code() + "\nDescription: " + description + "\n")
        .getBytes(StandardCharsets.UTF_8);
    respond(s, TEXT_PLAIN, body, false);
  }

  private void respond(HttpResponseStatus s, AsciiString type, byte[] body) {
    respond(s, type, body, true);
  }

  private void respond(HttpResponseStatus s, AsciiString type, byte[] body, boolean server) {
    DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, s,
        head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
    HttpHeaders h = r.headers();
    h.set(HttpHeaderNames.CONTENT_TYPE, type);
    h.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    h.set(HttpHeaderNames.DATE, relay.date());
    if (server) {
      h.set(HttpHeaderNames.SERVER, SERVER);
    }
    if (closeAfter) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    status = s.code();
    responseStarted = true;
    responseDone = true;
    write(r);
    flush();
    if (requestDone) {
      finish();
    } else {
      updateRead();
    }
  }

  /** Returns the size of a request's head as the routing layer counts it (path, names, values). */
  private static long headSize(HttpRequest req) {
    long size = req.uri().length();
    for (java.util.Map.Entry<String, String> e : req.headers()) {
      size += e.getKey().length() + e.getValue().length() + 4;
    }
    return size;
  }

  /**
   * Removes the hop-by-hop headers and any header the Connection header names; {@code TE:
   * trailers} is kept, as the Armeria path keeps it.
   */
  private static void removeHopByHop(HttpHeaders h) {
    List<String> connection = h.getAll(HttpHeaderNames.CONNECTION);
    boolean teNamed = !connection.isEmpty() && HopByHop.removeNamed(connection, h::remove);
    String te = h.get(HttpHeaderNames.TE);
    for (AsciiString name : HopByHop.NAMES) {
      h.remove(name);
    }
    if (HopByHop.keepsTrailers(te, teNamed)) {
      h.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
    }
  }


  private static @Nullable String joined(HttpHeaders h, CharSequence name) {
    List<String> values = h.getAll(name);
    if (values.isEmpty()) {
      return null;
    }
    return values.size() == 1 ? values.get(0) : String.join(", ", values);
  }

  /** Returns a Forwarded parameter value, quoted unless it is a token. */
  private static String token(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!(Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0)) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
      }
    }
    return value;
  }
}
