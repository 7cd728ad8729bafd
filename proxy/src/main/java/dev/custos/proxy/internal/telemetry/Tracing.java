package dev.custos.proxy.internal.telemetry;

import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;

import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.logging.RequestLog;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.inspect.InspectionRecord;
import io.netty.util.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * OpenTelemetry tracing: when {@code tracing:} is configured or the standard {@code OTEL_*}
 * environment names an endpoint, one server span per request, exported over OTLP/HTTP (protobuf)
 * in batches. The span continues the
 * incoming {@code traceparent} and its id is the proxy's span id in {@link TraceContext}, so the
 * {@code traceparent} sent upstream and the access log's {@code trace_id} name this span. Its
 * attributes are the method, the path (never the query), the status, the route, the caller's
 * identity hash, the authorization decision and the findings count; never a header or a value.
 * Without {@code tracing:} nothing is created and {@link TraceContext} works as before.
 * Thread-safe.
 */
public final class Tracing implements AutoCloseable {
  private static final AttributeKey<Span> SPAN = AttributeKey.valueOf(Tracing.class, "SPAN");
  private static final io.opentelemetry.api.common.AttributeKey<String> METHOD =
      stringKey("http.request.method");
  private static final io.opentelemetry.api.common.AttributeKey<String> PATH =
      stringKey("url.path");
  private static final io.opentelemetry.api.common.AttributeKey<Long> STATUS =
      longKey("http.response.status_code");
  private static final io.opentelemetry.api.common.AttributeKey<String> ROUTE =
      stringKey("custos.route");
  private static final io.opentelemetry.api.common.AttributeKey<String> IDENTITY =
      stringKey("custos.identity");
  private static final io.opentelemetry.api.common.AttributeKey<String> AUTHZ =
      stringKey("custos.authz");
  private static final io.opentelemetry.api.common.AttributeKey<Long> FINDINGS =
      longKey("custos.findings");

  private final @Nullable SdkTracerProvider provider;
  private final @Nullable Tracer tracer;

  /** Creates the tracing of a configuration and the process's environment. */
  public Tracing(ProxyConfig.@Nullable Tracing config) {
    this(config, System.getenv());
  }

  /**
   * Creates the tracing of a configuration and an environment: off (no SDK at all) unless the
   * configuration has {@code tracing:} or the environment names an OTLP endpoint ({@code
   * OTEL_EXPORTER_OTLP_ENDPOINT}, {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}), and always off with
   * {@code OTEL_SDK_DISABLED=true} or {@code OTEL_TRACES_EXPORTER=none}. The SDK is built by
   * OpenTelemetry's autoconfiguration, so every standard {@code OTEL_*} variable (service name,
   * resource attributes, headers, sampler, timeouts, batch sizes) applies; the configuration's
   * values are its defaults, and the protocol is OTLP/HTTP protobuf unless the environment says
   * otherwise. Only traces are exported (no metrics or logs: Prometheus scrapes the metrics).
   */
  public Tracing(ProxyConfig.@Nullable Tracing config, Map<String, String> env) {
    boolean envEndpoint = env.containsKey("OTEL_EXPORTER_OTLP_ENDPOINT")
        || env.containsKey("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    boolean disabled = "true".equalsIgnoreCase(env.get("OTEL_SDK_DISABLED"))
        || "none".equalsIgnoreCase(env.get("OTEL_TRACES_EXPORTER"));
    if (disabled || (config == null && !envEndpoint)) {
      provider = null;
      tracer = null;
      return;
    }
    Map<String, String> defaults = new HashMap<>();
    defaults.put("otel.traces.exporter", "otlp");
    defaults.put("otel.metrics.exporter", "none");
    defaults.put("otel.logs.exporter", "none");
    defaults.put("otel.exporter.otlp.protocol", "http/protobuf");
    defaults.put("otel.service.name", config != null ? config.serviceName() : "custos");
    if (config != null) {
      if (!envEndpoint) {
        defaults.put("otel.exporter.otlp.traces.endpoint", config.otlpEndpoint().toString());
      }
      defaults.put("otel.traces.sampler", "parentbased_traceidratio");
      defaults.put("otel.traces.sampler.arg", Double.toString(config.sampleRatio()));
    }
    // The environment given (the process's in production) overrides the defaults, as
    // autoconfiguration's own reading of the environment would.
    Map<String, String> overrides = new HashMap<>();
    env.forEach((k, v) -> {
      if (k.startsWith("OTEL_")) {
        overrides.put(k.toLowerCase(Locale.ROOT).replace('_', '.'), v);
      }
    });
    OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> defaults)
        .addPropertiesCustomizer(c -> overrides)
        .disableShutdownHook()
        .build()
        .getOpenTelemetrySdk();
    provider = sdk.getSdkTracerProvider();
    tracer = provider.get("dev.custos.proxy");
  }

  /** Returns whether spans are exported. */
  public boolean enabled() {
    return tracer != null;
  }

  /**
   * Returns the trace context of a request: with tracing on, a server span is started (a child of
   * the incoming {@code traceparent} if valid) and its ids become the proxy's; else as {@link
   * TraceContext#of(RequestHeaders)}.
   */
  public TraceContext begin(ServiceRequestContext ctx, RequestHeaders headers) {
    Tracer t = tracer;
    if (t == null) {
      return TraceContext.of(headers);
    }
    TraceContext incoming = TraceContext.parse(headers.get(TraceContext.TRACEPARENT));
    Context parent = Context.root();
    if (incoming != null) {
      parent = parent.with(Span.wrap(SpanContext.createFromRemoteParent(incoming.traceId(),
          incoming.parentId(), TraceFlags.fromHex(incoming.flags(), 0),
          TraceState.getDefault())));
    }
    Span span = t.spanBuilder(headers.method().name())
        .setParent(parent)
        .setSpanKind(SpanKind.SERVER)
        .setAttribute(METHOD, headers.method().name())
        .setAttribute(PATH, SafeText.of(ctx.path(), AccessLogger.MAX_PATH))
        .startSpan();
    ctx.setAttr(SPAN, span);
    SpanContext sc = span.getSpanContext();
    return new TraceContext(sc.getTraceId(), incoming == null ? null : incoming.parentId(),
        sc.getSpanId(), sc.getTraceFlags().asHex());
  }

  /** Ends the request's span, if any, with what the layers decided. */
  public void end(ServiceRequestContext ctx, String route, RequestLog log) {
    Span span = ctx.attr(SPAN);
    if (span == null) {
      return;
    }
    int status = log.responseHeaders().status().code();
    span.updateName(log.requestHeaders().method().name() + ' ' + route);
    span.setAttribute(STATUS, (long) status);
    span.setAttribute(ROUTE, route);
    InspectionRecord record = ctx.attr(InspectionRecord.KEY);
    if (record != null) {
      span.setAttribute(IDENTITY, record.identityHash());
      long findings = 0;
      for (FindingsEvent ev : record.events()) {
        for (int n : ev.categories().values()) {
          findings += n;
        }
      }
      span.setAttribute(FINDINGS, findings);
    }
    String authz = ctx.attr(Decisions.AUTHZ);
    if (authz != null) {
      span.setAttribute(AUTHZ, authz);
    }
    if (status >= 500) {
      span.setStatus(StatusCode.ERROR);
    }
    span.end();
  }

  /** Exports the spans still queued (a few seconds at most) and stops the exporter. */
  @Override
  public void close() {
    if (provider != null) {
      provider.shutdown().join(10, TimeUnit.SECONDS);
    }
  }
}
