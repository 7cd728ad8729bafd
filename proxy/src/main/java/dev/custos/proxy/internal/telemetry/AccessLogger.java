package dev.custos.proxy.internal.telemetry;

import com.fasterxml.jackson.core.JsonGenerator;
import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.common.logging.RequestLog;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.inspect.InspectionRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log: one JSON line per request with time, route, method, path (never the query),
 * status, duration, bytes, the upstream endpoint, the caller's identity hash and a summary of the
 * findings (categories with counts, actions, rules, shadow flag; never a value, never a header
 * value), the authentication outcome ({@code authn}: methods that passed, or {@code
 * refused:<reason>}), the authorization decision ({@code authz}: {@code allow:<rule>} or {@code
 * deny:<rule>}), the limit that refused the request ({@code limit}) and the W3C {@code trace_id}
 * (see {@link Decisions} and {@link TraceContext}). Entries are taken on the thread that completes the request's log, queued (10,000 at
 * most) and written by one background thread; an entry that finds the queue full is dropped and
 * counted as {@code custos_access_log_dropped_total}. A reload may change where lines go.
 * Thread-safe.
 */
public final class AccessLogger implements AutoCloseable {
  /** The request context attribute holding the upstream request, set by the forwarding layer. */
  public static final AttributeKey<ClientRequestContext> UPSTREAM =
      AttributeKey.valueOf(AccessLogger.class, "UPSTREAM");

  static final int CAPACITY = 10_000;
  /** Paths are logged (and traced) cut to this length, their long digit runs masked. */
  static final int MAX_PATH = 256;
  private static final Logger logger = LoggerFactory.getLogger(AccessLogger.class);

  /** One request, as logged. */
  record Entry(Instant time, String route, String method, String path, int status,
      long durationNanos, long requestBytes, long responseBytes, @Nullable String protocol,
      @Nullable String upstream, @Nullable String identityHash, List<FindingsEvent> events,
      @Nullable String authn, @Nullable String authz, @Nullable String limit,
      @Nullable String traceId, @Nullable String spanId) {}

  private final Counter dropped;
  private ProxyConfig.AccessLog target = ProxyConfig.AccessLog.OFF;
  private volatile @Nullable JsonLinesWriter<Entry> writer;

  /** Creates an access log that is off until {@link #configure} turns it on. */
  public AccessLogger(MeterRegistry registry) {
    this.dropped = Counter.builder("custos.access.log.dropped")
        .description("Access log lines dropped because the writer fell behind")
        .register(registry);
  }

  /**
   * Sends lines where {@code next} says from now on; the previous file is closed after its queued
   * lines are written. A file that cannot be opened keeps the previous target, with a warning.
   */
  public synchronized void configure(ProxyConfig.AccessLog next) {
    if (next.equals(target)) {
      return;
    }
    JsonLinesWriter<Entry> opened;
    try {
      opened = open(next);
    } catch (IOException e) {
      logger.warn("access log: cannot open {} ({}); lines keep going to {}", next.file(),
          e.getClass().getName(), describe(target));
      return;
    }
    JsonLinesWriter<Entry> previous = writer;
    writer = opened;
    target = next;
    if (previous != null) {
      previous.close();
    }
  }

  private @Nullable JsonLinesWriter<Entry> open(ProxyConfig.AccessLog t) throws IOException {
    if (t.stdout()) {
      return JsonLinesWriter.toStream("access-log", System.out, CAPACITY, AccessLogger::write,
          dropped::increment);
    }
    Path file = t.file();
    return file == null ? null : JsonLinesWriter.toFile("access-log", file, CAPACITY,
        AccessLogger::write, dropped::increment);
  }

  private static String describe(ProxyConfig.AccessLog t) {
    return t.stdout() ? "stdout" : t.file() == null ? "nowhere (off)" : t.file().toString();
  }

  /** Logs a completed request; returns at once. */
  public void log(ServiceRequestContext ctx, String route, RequestLog log) {
    JsonLinesWriter<Entry> w = writer;
    if (w == null) {
      return;
    }
    ClientRequestContext upstream = ctx.attr(UPSTREAM);
    Endpoint endpoint = upstream == null ? null : upstream.endpoint();
    InspectionRecord record = ctx.attr(InspectionRecord.KEY);
    int status = log.responseHeaders().status().code();
    TraceContext trace = TraceContext.of(ctx);
    w.offer(new Entry(Instant.EPOCH.plus(log.requestStartTimeMicros(),
            java.time.temporal.ChronoUnit.MICROS), route, log.requestHeaders().method().name(),
        SafeText.of(ctx.path(), MAX_PATH), status, log.totalDurationNanos(), log.requestLength(), log.responseLength(),
        log.sessionProtocol().uriText(), endpoint == null ? null : endpoint.authority(),
        record == null ? null : record.identityHash(),
        record == null ? List.of() : record.events(), ctx.attr(Decisions.AUTHN),
        ctx.attr(Decisions.AUTHZ), ctx.attr(Decisions.LIMIT),
        // Only a client's trace id can carry a planted value; one the proxy made is logged whole.
        trace == null ? null
            : trace.continued() ? SafeText.identifier(trace.traceId(), 32) : trace.traceId(),
        trace == null ? null : trace.spanId()));
  }

  static void write(Entry e, JsonGenerator g) throws IOException {
    g.writeStartObject();
    g.writeStringField("time", e.time().toString());
    g.writeStringField("route", e.route());
    g.writeStringField("method", e.method());
    g.writeStringField("path", e.path());
    g.writeNumberField("status", e.status());
    g.writeNumberField("duration_ms", Math.round(e.durationNanos() / 1000.0) / 1000.0);
    g.writeNumberField("request_bytes", e.requestBytes());
    g.writeNumberField("response_bytes", e.responseBytes());
    if (e.protocol() != null) {
      g.writeStringField("protocol", e.protocol());
    }
    if (e.upstream() != null) {
      g.writeStringField("upstream", e.upstream());
    }
    if (e.identityHash() != null) {
      g.writeStringField("identity_hash", e.identityHash());
    }
    writeIfPresent(g, "authn", e.authn());
    writeIfPresent(g, "authz", e.authz());
    writeIfPresent(g, "limit", e.limit());
    writeIfPresent(g, "trace_id", e.traceId());
    writeIfPresent(g, "span_id", e.spanId());
    if (!e.events().isEmpty()) {
      writeFindings(e.events(), g);
    }
    g.writeEndObject();
  }

  /** Writes the summary of the request's and the response's events: names and counts only. */
  private static void writeFindings(List<FindingsEvent> events, JsonGenerator g)
      throws IOException {
    Map<String, Integer> categories = new TreeMap<>();
    List<String> directions = new ArrayList<>();
    List<String> actions = new ArrayList<>();
    List<String> rules = new ArrayList<>();
    String blockedBy = null;
    String wouldHaveBlockedBy = null;
    String uninspectable = null;
    boolean shadow = false;
    for (FindingsEvent ev : events) {
      ev.categories().forEach((c, n) -> categories.merge(c, n, Integer::sum));
      addNew(directions, List.of(ev.direction().id()));
      addNew(actions, ev.actions());
      addNew(rules, ev.rules());
      shadow |= ev.shadow();
      if (ev.blockedBy() != null && ev.shadow()) {
        wouldHaveBlockedBy = ev.blockedBy();
      } else if (ev.blockedBy() != null) {
        blockedBy = ev.blockedBy();
      }
      if (ev.uninspectable() != null) {
        uninspectable = ev.uninspectable();
      }
    }
    g.writeObjectFieldStart("findings");
    g.writeObjectFieldStart("categories");
    for (Map.Entry<String, Integer> c : categories.entrySet()) {
      g.writeNumberField(c.getKey(), c.getValue());
    }
    g.writeEndObject();
    writeArray(g, "directions", directions);
    writeArray(g, "actions", actions);
    writeArray(g, "rules", rules);
    g.writeBooleanField("shadow", shadow);
    if (blockedBy != null) {
      g.writeStringField("blocked_by", blockedBy);
    }
    if (wouldHaveBlockedBy != null) {
      g.writeStringField("would_have_blocked_by", wouldHaveBlockedBy);
    }
    if (uninspectable != null) {
      g.writeStringField("uninspectable", uninspectable);
    }
    g.writeEndObject();
  }

  private static void writeIfPresent(JsonGenerator g, String name, @Nullable String value)
      throws IOException {
    if (value != null) {
      g.writeStringField(name, value);
    }
  }

  private static void addNew(List<String> to, List<String> from) {
    for (String s : from) {
      if (!to.contains(s)) {
        to.add(s);
      }
    }
  }

  private static void writeArray(JsonGenerator g, String name, List<String> values)
      throws IOException {
    g.writeArrayFieldStart(name);
    for (String v : values) {
      g.writeString(v);
    }
    g.writeEndArray();
  }

  /** Writes the queued lines and closes the file. */
  @Override
  public synchronized void close() {
    JsonLinesWriter<Entry> w = writer;
    writer = null;
    target = ProxyConfig.AccessLog.OFF;
    if (w != null) {
      w.close();
    }
  }
}
