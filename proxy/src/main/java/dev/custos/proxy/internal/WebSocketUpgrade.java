package dev.custos.proxy.internal;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ExchangeType;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.RoutingContext;
import com.linecorp.armeria.server.ServiceConfig;
import com.linecorp.armeria.server.ServiceOptions;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.websocket.WebSocketService;
import org.jspecify.annotations.Nullable;
import java.util.List;

/**
 * Recognizes a WebSocket opening handshake: an HTTP/1.1 {@code GET} with {@code Upgrade:
 * websocket} and {@code Connection: upgrade} (RFC 6455), or an HTTP/2 extended {@code CONNECT}
 * with {@code :protocol websocket} (RFC 8441). Stateless.
 */
public final class WebSocketUpgrade {
  /**
   * What {@link #capable} answers when the server asks whether it serves WebSocket; it never
   * serves a request itself.
   */
  static final WebSocketService MARKER = WebSocketService.of((ctx, in) -> {
    throw new IllegalStateException("the WebSocket marker serves no session");
  });

  private WebSocketUpgrade() {}

  /**
   * Returns {@code routed} as a service the server recognizes as serving WebSocket: it accepts
   * upgrades (HTTP/1.1) and advertises extended CONNECT (HTTP/2), handing both to {@code
   * routed}, which decides per route ({@link RoutingService} refuses them where the route does
   * not proxy WebSocket).
   */
  public static HttpService capable(HttpService routed) {
    return new HttpService() {
      @Override
      public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        return routed.serve(ctx, req);
      }

      @Override
      public void serviceAdded(ServiceConfig cfg) throws Exception {
        routed.serviceAdded(cfg);
      }

      @Override
      public ExchangeType exchangeType(RoutingContext routingContext) {
        return routed.exchangeType(routingContext);
      }

      @Override
      public ServiceOptions options() {
        return routed.options();
      }

      @Override
      public <T> @Nullable T as(Class<T> type) {
        return type == WebSocketService.class ? type.cast(MARKER) : routed.as(type);
      }

      @Override
      public HttpService unwrap() {
        return routed;
      }
    };
  }

  /** Returns whether {@code headers} open a WebSocket handshake. */
  public static boolean isUpgrade(RequestHeaders headers) {
    HttpMethod method = headers.method();
    if (method == HttpMethod.GET) {
      return hasToken(headers.getAll(HttpHeaderNames.UPGRADE), "websocket")
          && hasToken(headers.getAll(HttpHeaderNames.CONNECTION), "upgrade");
    }
    return method == HttpMethod.CONNECT
        && "websocket".equalsIgnoreCase(headers.get(HttpHeaderNames.PROTOCOL));
  }

  private static boolean hasToken(List<String> values, String token) {
    for (String v : values) {
      for (String t : v.split(",")) {
        if (t.trim().equalsIgnoreCase(token)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Returns the answer to an upgrade on a route that does not proxy WebSocket: 400. */
  static HttpResponse refused() {
    return ErrorResponses.of(HttpStatus.BAD_REQUEST,
        "WebSocket upgrade not allowed on this route");
  }
}
