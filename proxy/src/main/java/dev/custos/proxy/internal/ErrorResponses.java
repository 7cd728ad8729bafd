package dev.custos.proxy.internal;

import com.linecorp.armeria.client.ResponseTimeoutException;
import com.linecorp.armeria.client.UnprocessedRequestException;
import com.linecorp.armeria.client.circuitbreaker.FailFastException;
import com.linecorp.armeria.client.endpoint.EmptyEndpointGroupException;
import com.linecorp.armeria.client.limit.ConcurrencyLimitTimeoutException;
import com.linecorp.armeria.client.limit.TooManyPendingAcquisitionsException;
import com.linecorp.armeria.common.ContentTooLargeException;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * The proxy's own error responses: JSON {@code {"error": "...", "status": N}}, and the mapping of
 * upstream failures to statuses (refused, reset, protocol error: 502; no endpoint, unresolvable
 * host, open circuit breaker, full concurrency limit: 503; timeouts: 504). Messages never include request or response bytes.
 */
public final class ErrorResponses {
  /** The rejection reason of an open circuit breaker. */
  static final String CIRCUIT_OPEN = "circuit_open";
  /** The rejection reason of a full concurrency limit. */
  static final String BULKHEAD = "bulkhead";

  private ErrorResponses() {}

  /** Returns a JSON error response. */
  public static HttpResponse of(HttpStatus status, String error) {
    return HttpResponse.of(status, MediaType.JSON_UTF_8,
        "{\"error\":\"" + escape(error) + "\",\"status\":" + status.code() + "}");
  }

  /** Returns a JSON error response with extra headers, such as {@code WWW-Authenticate}. */
  public static HttpResponse of(HttpStatus status, String error,
      com.linecorp.armeria.common.HttpHeaders extra) {
    return HttpResponse.of(com.linecorp.armeria.common.ResponseHeaders.builder(status)
        .add(extra)
        .contentType(MediaType.JSON_UTF_8)
        .build(), com.linecorp.armeria.common.HttpData.ofUtf8(
        "{\"error\":\"" + escape(error) + "\",\"status\":" + status.code() + "}"));
  }

  /** Returns the response for an upstream failure that happened before the response started. */
  static HttpResponse upstreamFailure(Throwable cause) {
    String rejection = rejection(cause);
    if (rejection != null) {
      return of(HttpStatus.SERVICE_UNAVAILABLE,
          rejection.equals(CIRCUIT_OPEN) ? "circuit open" : "cluster busy");
    }
    if (requestBodyTimedOut(cause)) {
      return of(HttpStatus.REQUEST_TIMEOUT, "request body timeout");
    }
    Throwable t = unwrap(cause);
    if (t instanceof ResponseTimeoutException || t instanceof TimeoutException) {
      return of(HttpStatus.GATEWAY_TIMEOUT, "upstream timeout");
    }
    if (t instanceof io.netty.channel.ConnectTimeoutException) {
      return of(HttpStatus.GATEWAY_TIMEOUT, "upstream connect timeout");
    }
    if (t instanceof EmptyEndpointGroupException
        || t instanceof com.linecorp.armeria.client.endpoint.EndpointSelectionTimeoutException) {
      return of(HttpStatus.SERVICE_UNAVAILABLE, "no upstream endpoint");
    }
    if (t instanceof UnknownHostException) {
      return of(HttpStatus.SERVICE_UNAVAILABLE, "upstream host unresolvable");
    }
    if (t instanceof ConnectException) {
      return of(HttpStatus.BAD_GATEWAY, "upstream connection refused");
    }
    if (t instanceof ContentTooLargeException) {
      return of(HttpStatus.BAD_GATEWAY, "upstream response too large");
    }
    return of(HttpStatus.BAD_GATEWAY, "upstream connection failed");
  }

  /** Returns whether a failure comes from a request body that sent nothing for too long. */
  static boolean requestBodyTimedOut(Throwable cause) {
    Throwable c = cause;
    for (int i = 0; i < 8 && c != null; i++) {
      if (c instanceof com.linecorp.armeria.common.StreamTimeoutException) {
        return true;
      }
      c = c.getCause();
    }
    return false;
  }

  /**
   * Returns why a request was refused before reaching its cluster, {@value #CIRCUIT_OPEN} or
   * {@value #BULKHEAD}, or null when it was not refused.
   */
  static @Nullable String rejection(Throwable cause) {
    Throwable c = cause;
    for (int i = 0; i < 8 && c != null; i++) {
      if (c instanceof FailFastException) {
        return CIRCUIT_OPEN;
      }
      if (c instanceof TooManyPendingAcquisitionsException
          || c instanceof ConcurrencyLimitTimeoutException) {
        return BULKHEAD;
      }
      c = c.getCause();
    }
    return null;
  }

  private static Throwable unwrap(Throwable cause) {
    Throwable t = cause;
    for (int i = 0; i < 8; i++) {
      Throwable next = null;
      if (t instanceof CompletionException || t instanceof UnprocessedRequestException) {
        next = t.getCause();
      }
      if (next == null) {
        break;
      }
      t = next;
    }
    // A connection failure may be wrapped once more by Netty or Armeria.
    Throwable c = t;
    for (int i = 0; i < 8 && c != null; i++) {
      if (c instanceof ConnectException || c instanceof UnknownHostException
          || c instanceof io.netty.channel.ConnectTimeoutException) {
        return c;
      }
      c = c.getCause();
    }
    return t;
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
