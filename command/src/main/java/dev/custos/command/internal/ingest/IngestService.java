package dev.custos.command.internal.ingest;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.command.internal.store.Batch;
import dev.custos.command.internal.store.Store;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/ingest/events}: a batch of findings events from one proxy (see
 * {@code /work/briefs/ingest-contract.md}, mirrored in {@code docs/command-plane.md}).
 *
 * <p>Headers and the token are checked on the event loop (a SHA-256 of the token); the body is
 * aggregated (Armeria bounds it), then decompressed, parsed and stored by a writer of the bounded
 * work queue, never on an event loop. A full queue answers 503 with {@code Retry-After} before the
 * body is read; a failing database answers 503 too. Thread-safe.
 */
public final class IngestService implements HttpService {
  private static final Logger logger = LoggerFactory.getLogger(IngestService.class);
  private static final Pattern PROXY_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final Pattern VERSION = Pattern.compile("[\\x21-\\x7e]{1,256}");
  /** Retry-After, seconds, when the queue is full and when the database fails. */
  static final int RETRY_FULL = 1;
  static final int RETRY_DATABASE = 5;

  private final Tokens tokens;
  private final BatchSink sink;
  private final ThreadPoolExecutor writers;
  private final Clock clock;
  private final MeterRegistry registry;
  private final Map<String, Counter> results = new ConcurrentHashMap<>();
  private final Counter events;
  private final Counter findings;
  private final Timer storeTime;

  /**
   * Creates the service, storing each batch in a transaction of its own.
   *
   * @param writers the bounded work queue's executor; a rejected task answers 503
   */
  public IngestService(Tokens tokens, Store store, ThreadPoolExecutor writers, Clock clock,
      MeterRegistry registry) {
    this(tokens, (BatchSink) requireNonNull(store, "store")::ingest, writers, clock, registry);
  }

  /**
   * Creates the service.
   *
   * @param sink where a writer hands a parsed batch (a {@link GroupCommit} for group commit)
   * @param writers the bounded work queue's executor; a rejected task answers 503
   */
  public IngestService(Tokens tokens, BatchSink sink, ThreadPoolExecutor writers, Clock clock,
      MeterRegistry registry) {
    this.tokens = requireNonNull(tokens, "tokens");
    this.sink = requireNonNull(sink, "sink");
    this.writers = requireNonNull(writers, "writers");
    this.clock = requireNonNull(clock, "clock");
    this.registry = requireNonNull(registry, "registry");
    this.events = Counter.builder("custos_command_ingest_events")
        .description("Findings events stored").register(registry);
    this.findings = Counter.builder("custos_command_ingest_findings")
        .description("Findings (values found) in the events stored").register(registry);
    this.storeTime = Timer.builder("custos_command_ingest_store")
        .description("Time to store one batch, waiting for its group included")
        .register(registry);
    registry.gauge("custos_command_ingest_queue", writers, w -> w.getQueue().size());
  }

  private HttpResponse answer(String result, HttpStatus status, String json) {
    results.computeIfAbsent(result, r -> Counter.builder("custos_command_ingest_batches")
        .description("Batches received, by result").tag("result", r).register(registry))
        .increment();
    return HttpResponse.of(status, MediaType.JSON_UTF_8, json);
  }

  private HttpResponse error(String result, HttpStatus status, String message) {
    return answer(result, status, "{\"error\":" + quote(message) + "}");
  }

  private HttpResponse retryLater(String result, int seconds, String message) {
    results.computeIfAbsent(result, r -> Counter.builder("custos_command_ingest_batches")
        .description("Batches received, by result").tag("result", r).register(registry))
        .increment();
    return HttpResponse.of(ResponseHeaders.builder(HttpStatus.SERVICE_UNAVAILABLE)
        .contentType(MediaType.JSON_UTF_8)
        .set(HttpHeaderNames.RETRY_AFTER, Integer.toString(seconds)).build(),
        com.linecorp.armeria.common.HttpData.ofUtf8("{\"error\":" + quote(message) + "}"));
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    String tokenName = tokens.check(ctx, req.headers().get(HttpHeaderNames.AUTHORIZATION));
    if (tokenName == null) {
      results.computeIfAbsent("unauthorized", r -> Counter.builder(
          "custos_command_ingest_batches").description("Batches received, by result")
          .tag("result", r).register(registry)).increment();
      return HttpResponse.of(ResponseHeaders.builder(HttpStatus.UNAUTHORIZED)
          .contentType(MediaType.JSON_UTF_8)
          .set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"custos-command\"").build(),
          com.linecorp.armeria.common.HttpData.ofUtf8("{\"error\":\"Authorization: missing or"
              + " unknown token (expected: Bearer and a proxy token)\"}"));
    }
    String proxyId = req.headers().get("custos-proxy-id");
    if (proxyId == null || !PROXY_ID.matcher(proxyId).matches()) {
      return error("malformed", HttpStatus.BAD_REQUEST, "Custos-Proxy-Id: missing or malformed"
          + " (expected: 1 to 128 of A-Z a-z 0-9 . _ : -)");
    }
    String batchId = req.headers().get("custos-batch-id");
    if (batchId == null || !uuid(batchId)) {
      return error("malformed", HttpStatus.BAD_REQUEST,
          "Custos-Batch-Id: missing or malformed (expected: a UUID)");
    }
    String version = req.headers().get("custos-config-version");
    if (version != null && !VERSION.matcher(version).matches()) {
      return error("malformed", HttpStatus.BAD_REQUEST, "Custos-Config-Version: malformed"
          + " (expected: 1 to 256 printable ASCII characters)");
    }
    String encoding = req.headers().get(HttpHeaderNames.CONTENT_ENCODING);
    boolean gzip = encoding != null && encoding.trim().equalsIgnoreCase("gzip");
    if (encoding != null && !gzip && !encoding.trim().equalsIgnoreCase("identity")) {
      return error("malformed", HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          "Content-Encoding: not supported (expected: gzip or identity)");
    }
    MediaType type = req.headers().contentType();
    if (type != null && !type.subtype().toLowerCase(Locale.ROOT).equals("x-ndjson")) {
      return error("malformed", HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          "Content-Type: not supported (expected: application/x-ndjson)");
    }
    if (writers.getQueue().remainingCapacity() == 0) {
      return retryLater("overloaded", RETRY_FULL, "ingest queue full (expected: a retry after"
          + " Retry-After seconds)");
    }
    String ver = version == null ? "local" : version;
    String batch = batchId.toLowerCase(Locale.ROOT);
    CompletableFuture<HttpResponse> answer = req.aggregate().thenCompose(agg -> {
      try {
        return CompletableFuture.supplyAsync(
            () -> store(agg, gzip, batch, proxyId, tokenName, ver), writers);
      } catch (RejectedExecutionException e) {
        return CompletableFuture.completedFuture(retryLater("overloaded", RETRY_FULL,
            "ingest queue full (expected: a retry after Retry-After seconds)"));
      }
    });
    return HttpResponse.of(answer);
  }

  /** Runs on a writer: decompresses, parses and stores one batch. */
  private HttpResponse store(AggregatedHttpRequest agg, boolean gzip, String batchId,
      String proxyId, String tokenName, String version) {
    List<IngestEvent> parsed;
    try {
      parsed = EventParser.parse(body(agg.content().array(), gzip));
    } catch (MalformedBatchException e) {
      if (e.tooLarge()) {
        return error("too_large", HttpStatus.REQUEST_ENTITY_TOO_LARGE, e.getMessage());
      }
      logger.warn("batch refused from proxy {}: {}", proxyId, e.getMessage());
      return error("malformed", HttpStatus.BAD_REQUEST, e.getMessage());
    }
    Batch batch = new Batch(batchId, proxyId, tokenName, version, clock.millis(), parsed);
    int stored;
    long start = System.nanoTime();
    try {
      stored = sink.store(batch);
    } catch (SQLTimeoutException e) {
      logger.warn("batch from proxy {} not stored in time: the database is stuck or too slow",
          proxyId);
      return retryLater("database_timeout", RETRY_DATABASE,
          "database too slow: the batch was not stored in time (expected: a retry after"
          + " Retry-After seconds)");
    } catch (SQLException e) {
      logger.warn("batch from proxy {} not stored: {} (SQLState {})", proxyId,
          e.getClass().getSimpleName(), e.getSQLState());
      return retryLater("database_error", RETRY_DATABASE,
          "database unavailable (expected: a retry after Retry-After seconds)");
    } finally {
      storeTime.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
    if (stored < 0) {
      return answer("duplicate", HttpStatus.ACCEPTED, "{\"accepted\":0,\"duplicate\":true}");
    }
    events.increment(stored);
    long n = 0;
    for (IngestEvent e : parsed) {
      n += e.findings();
    }
    findings.increment(n);
    return answer("accepted", HttpStatus.ACCEPTED,
        "{\"accepted\":" + stored + ",\"duplicate\":false}");
  }

  /** Returns the body, gunzipped (bounded to one byte past the limit, so the parser says 413). */
  static byte[] body(byte[] raw, boolean gzip) throws MalformedBatchException {
    if (!gzip) {
      return raw;
    }
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw), 8192)) {
      return in.readNBytes(EventParser.MAX_BYTES + 1);
    } catch (ZipException | java.io.EOFException e) {
      throw new MalformedBatchException("body: not gzip or cut short (expected: a gzip body as"
          + " Content-Encoding says)", false);
    } catch (IOException e) {
      throw new MalformedBatchException("body: unreadable gzip (expected: a gzip body)", false);
    }
  }

  private static boolean uuid(String s) {
    if (s.length() != 36) {
      return false;
    }
    try {
      UUID.fromString(s);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Quotes a message as a JSON string; messages hold names and numbers, never values. */
  public static String quote(@Nullable String s) {
    return "\"" + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance()
        .quoteAsString(s == null ? "" : s)) + "\"";
  }
}
