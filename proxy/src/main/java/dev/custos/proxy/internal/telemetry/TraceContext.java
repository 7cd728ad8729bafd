package dev.custos.proxy.internal.telemetry;

import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.netty.util.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * The W3C Trace Context (https://www.w3.org/TR/trace-context/) of one request as the proxy sees
 * it: the trace it belongs to (continued from a valid incoming {@code traceparent}, else new),
 * the caller's span id if any, the proxy's own span id and the trace flags. Immutable.
 *
 * @param traceId 32 lowercase hex digits, not all zero
 * @param parentId the incoming parent id (16 hex digits), or null when the trace starts here
 * @param spanId the proxy's span id, 16 hex digits, not all zero
 * @param flags the trace flags, 2 hex digits, kept from the caller
 */
public record TraceContext(String traceId, @Nullable String parentId, String spanId,
    String flags) {
  /** The request context attribute holding the trace context, set by the routing layer. */
  public static final AttributeKey<TraceContext> KEY =
      AttributeKey.valueOf(TraceContext.class, "KEY");
  public static final String TRACEPARENT = "traceparent";
  public static final String TRACESTATE = "tracestate";

  /** Returns the context of an incoming request: its trace continued, or a new trace. */
  public static TraceContext of(RequestHeaders headers) {
    return of(headers.get(TRACEPARENT));
  }

  /**
   * Returns the context of an incoming request by its {@code traceparent} value (null when
   * absent): its trace continued, or a new trace.
   */
  public static TraceContext of(@Nullable String traceparent) {
    TraceContext parsed = parse(traceparent);
    return parsed != null ? parsed : new TraceContext(randomHex(16), null, randomHex(8), "00");
  }

  /** Returns the trace context of a request, or null before the routing layer has run. */
  public static @Nullable TraceContext of(ServiceRequestContext ctx) {
    return ctx.attr(KEY);
  }

  /** Returns whether the trace was continued from a valid incoming {@code traceparent}. */
  public boolean continued() {
    return parentId != null;
  }

  /** Returns the {@code traceparent} to send upstream: this trace, with the proxy as parent. */
  public String traceparent() {
    return "00-" + traceId + '-' + spanId + '-' + flags;
  }

  /**
   * Parses a {@code traceparent} value with OpenTelemetry's W3C propagator; returns null when it
   * is absent or invalid: version 00 must be exactly 55 characters, a later version (not {@code
   * ff}) may carry more after a dash, which is ignored; lowercase hex only, exact lengths, trace
   * and parent ids not all zero, flags two hex digits.
   */
  static @Nullable TraceContext parse(@Nullable String value) {
    if (value == null) {
      return null;
    }
    Context extracted =
        W3CTraceContextPropagator.getInstance().extract(Context.root(), value, ONLY_TRACEPARENT);
    SpanContext sc = Span.fromContext(extracted).getSpanContext();
    if (!sc.isValid() || !sc.isRemote()) {
      return null;
    }
    return new TraceContext(sc.getTraceId(), sc.getSpanId(), randomHex(8),
        sc.getTraceFlags().asHex());
  }

  /** Hands the propagator one {@code traceparent} value, and no {@code tracestate}. */
  private static final TextMapGetter<String> ONLY_TRACEPARENT = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(String carrier) {
      return List.of(TRACEPARENT);
    }

    @Override
    public @Nullable String get(@Nullable String carrier, String key) {
      return TRACEPARENT.equals(key) ? carrier : null;
    }
  };

  /** Returns {@code bytes} random bytes as lowercase hex, never all zero. */
  private static String randomHex(int bytes) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    StringBuilder sb = new StringBuilder(bytes * 2);
    long word = 0;
    while (word == 0) {
      word = r.nextLong();
    }
    for (int i = 0; i < bytes; i++) {
      if (i == 8) {
        word = r.nextLong();
      }
      int b = (int) (word >>> (8 * (i % 8))) & 0xff;
      sb.append(Character.forDigit(b >>> 4, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return sb.toString();
  }
}
