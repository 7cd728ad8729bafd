package dev.custos.proxy.internal.websocket;

import com.linecorp.armeria.client.RequestOptions;
import com.linecorp.armeria.client.websocket.WebSocketClientHandshakeException;
import com.linecorp.armeria.client.websocket.WebSocketSession;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.websocket.WebSocket;
import com.linecorp.armeria.common.websocket.WebSocketWriter;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.websocket.WebSocketService;
import com.linecorp.armeria.server.websocket.WebSocketServiceBuilder;
import dev.custos.engine.Direction;
import dev.custos.proxy.internal.ErrorResponses;
import dev.custos.proxy.internal.inspect.WebSocketInspection;
import dev.custos.proxy.internal.upstream.ClusterRuntime;
import io.netty.util.AsciiString;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Proxies a WebSocket session: opens the upstream session first (so that an upstream that is down
 * or refuses is answered with an HTTP status, not a 101 followed by a close), then accepts the
 * client's upgrade with the subprotocol the upstream chose, and relays frames both ways through a
 * {@link RelayedSession}, inspected when the route inspects. Thread-safe; holds no state of its
 * own.
 *
 * <p>The upstream handshake is bounded by the route's timeout; the session itself by nothing but
 * the listeners' idle timeout. Frames larger than the route's inspection limit ({@value
 * #UNINSPECTED_MAX_FRAME} bytes when the route does not inspect) close the session with 1009:
 * Armeria reads a frame whole before handing it on.
 */
public final class WebSocketRelay {
  /** The largest frame payload on a route that does not inspect, in bytes. */
  static final int UNINSPECTED_MAX_FRAME = 8 << 20;

  /** Handshake headers of one hop: the client of each hop makes its own. */
  private static final List<AsciiString> HANDSHAKE = List.of(HttpHeaderNames.SEC_WEBSOCKET_KEY,
      HttpHeaderNames.SEC_WEBSOCKET_VERSION, HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS,
      HttpHeaderNames.SEC_WEBSOCKET_ACCEPT, HttpHeaderNames.CONTENT_LENGTH,
      HttpHeaderNames.HOST, HttpHeaderNames.PROTOCOL);

  /**
   * Serves the upgrade {@code req} of {@code ctx}: {@code forwarded} are the request headers as
   * the proxy sends them upstream (hop-by-hop headers removed, forwarding headers added).
   */
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req, ClusterRuntime upstream,
      RequestHeaders forwarded, Duration timeout) {
    @Nullable WebSocketInspection inspection = ctx.attr(WebSocketInspection.KEY);
    int maxFrame = inspection == null ? UNINSPECTED_MAX_FRAME
        : (int) Math.min(inspection.maxInspectedMessage(), Integer.MAX_VALUE - 8);
    ctx.setMaxRequestLength(0);
    CompletableFuture<WebSocketSession> connecting = upstream.webSocketClient(maxFrame)
        .connect(forwarded.path(), upstreamHeaders(forwarded), RequestOptions.builder()
            .responseTimeout(Duration.ZERO)
            .maxResponseLength(0)
            .build());
    CompletableFuture<WebSocketSession> bounded = timeout.isZero() ? connecting
        : connecting.copy().orTimeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    CompletableFuture<HttpResponse> res = bounded.handleAsync((session, cause) -> {
      if (cause != null) {
        // A session that opens after the timeout is closed at once.
        connecting.thenAccept(late -> closeUnused(late));
        req.abort();
        return failed(cause);
      }
      return accept(ctx, req, session, inspection, maxFrame);
    }, ctx.eventLoop());
    return HttpResponse.of(res);
  }

  private static HttpResponse accept(ServiceRequestContext ctx, HttpRequest req,
      WebSocketSession session, @Nullable WebSocketInspection inspection, int maxFrame) {
    WebSocketServiceBuilder b = WebSocketService.builder((sctx, fromClient) -> {
      WebSocketWriter toClient = WebSocket.streaming();
      WebSocketWriter toUpstream = WebSocket.streaming();
      session.setOutbound(toUpstream);
      RelayedSession relayed = new RelayedSession(toClient, toUpstream, inspection);
      fromClient.subscribe(relayed.pump(Direction.REQUEST), sctx.eventLoop());
      session.inbound().subscribe(relayed.pump(Direction.RESPONSE), sctx.eventLoop());
      return toClient;
    })
        .maxFramePayloadLength(maxFrame)
        .aggregateContinuation(false)
        // The upstream sees the client's Origin and decides; the proxy does not narrow it.
        .allowedOrigin(origin -> true);
    String subprotocol = session.subprotocol();
    if (subprotocol != null && !subprotocol.isEmpty()) {
      b.subprotocols(subprotocol);
    }
    try {
      HttpResponse res = b.build().serve(ctx, req);
      res.whenComplete().handle((unused, cause) -> {
        closeUnused(session); // No effect once the relay closed the session.
        return null;
      });
      return res;
    } catch (Exception e) {
      closeUnused(session);
      return HttpResponse.ofFailure(e);
    }
  }

  /** Ends an upstream session that no client frames will go to. */
  private static void closeUnused(WebSocketSession session) {
    WebSocketWriter w = WebSocket.streaming();
    try {
      session.setOutbound(w);
    } catch (IllegalStateException alreadySet) {
      return;
    }
    w.close();
    session.inbound().abort();
  }

  /** Returns the answer to a failed upstream handshake, naming no upstream detail. */
  private static HttpResponse failed(Throwable cause) {
    Throwable c = cause instanceof CompletionException && cause.getCause() != null
        ? cause.getCause() : cause;
    if (c instanceof TimeoutException) {
      return ErrorResponses.of(HttpStatus.GATEWAY_TIMEOUT, "upstream WebSocket handshake timed out");
    }
    if (c instanceof WebSocketClientHandshakeException h) {
      HttpStatus s = h.headers().status();
      if (s.isClientError() || s.isServerError()) {
        return ErrorResponses.of(s, "upstream refused the WebSocket handshake");
      }
    }
    return ErrorResponses.of(HttpStatus.BAD_GATEWAY, "upstream WebSocket handshake failed");
  }

  /** Returns the headers sent with the upstream handshake: all but pseudo and one-hop ones. */
  static HttpHeaders upstreamHeaders(RequestHeaders forwarded) {
    HttpHeadersBuilder b = HttpHeaders.builder();
    for (Map.Entry<AsciiString, String> e : forwarded) {
      AsciiString name = e.getKey();
      if (name.length() > 0 && name.charAt(0) == ':' || HANDSHAKE.contains(name)) {
        continue;
      }
      b.add(name, e.getValue());
    }
    String authority = forwarded.authority();
    if (authority != null && !authority.isEmpty()) {
      b.set(HttpHeaderNames.AUTHORITY, authority);
    }
    return b.build();
  }
}
