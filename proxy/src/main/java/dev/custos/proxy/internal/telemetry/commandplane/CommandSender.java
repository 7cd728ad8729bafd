package dev.custos.proxy.internal.telemetry.commandplane;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.util.EventLoopGroups;
import com.linecorp.armeria.common.util.ThreadFactories;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.FindingsSink;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.LogThrottle;
import dev.custos.proxy.internal.telemetry.SafeText;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends findings events to the command plane from one thread of its own, so that an event loop
 * only ever offers an event to a bounded queue ({@link #accept} never blocks nor does I/O).
 *
 * <p>The thread formats events as the findings file's JSON lines and cuts batches at {@code
 * batch_max_events}, at 4 MiB of lines, or when the first event has waited {@code linger}. One
 * batch is in flight at a time (an HTTP/2 POST with Armeria's {@link WebClient}, gzip body, the
 * batch id kept across retries). Up to {@value #MEMORY_BATCHES} batches wait in memory; beyond
 * that, and all of them while the plane fails, batches go to the disk {@link Spool}, which is
 * sent from first, oldest first. A failed send is retried after an exponential backoff with
 * jitter, or after the plane's {@code Retry-After}; a 413 splits the batch in two; a 400 drops it
 * (counted, logged). Every loss is counted in {@link CommandMetrics}.
 *
 * <p>Closing: {@link #closeAsync(boolean)} either hands the batches in memory to a successor (a
 * reload) or, at shutdown, sends them for up to {@code shutdown_timeout} and spools the rest. The
 * thread and the client's event loop end with it. Thread-safe.
 */
final class CommandSender implements FindingsSink {
  private static final Logger logger = LoggerFactory.getLogger(CommandSender.class);
  static final String PATH = "/api/v1/ingest/events";
  static final int MEMORY_BATCHES = 4;
  private static final MediaType NDJSON = MediaType.parse("application/x-ndjson");
  private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  private static final long MAX_RETRY_AFTER_NANOS = TimeUnit.HOURS.toNanos(1);

  private enum Source { MEMORY, SPOOL }

  private record InFlight(Batch batch, Source source, HttpResponse response,
      CompletableFuture<AggregatedHttpResponse> answer) {}

  private final ProxyConfig.Command config;
  private final Supplier<String> configVersion;
  private final CommandMetrics metrics;
  private final CompletableFuture<List<Batch>> after;
  private final Random random;
  private final LongSupplier nanoTime;
  private final BlockingQueue<FindingsEvent> queue;
  private final int wakeAt;
  private final String path;
  private final Thread thread;
  private final CompletableFuture<List<Batch>> closed = new CompletableFuture<>();
  private final LogThrottle failureLog = new LogThrottle(Duration.ofMinutes(1));
  private final LogThrottle rejectLog = new LogThrottle(Duration.ofMinutes(1));
  private volatile boolean closing;
  private volatile boolean handOver;

  // Owned by the sender thread.
  private final List<byte[]> pending = new ArrayList<>();
  private int pendingBytes;
  private long pendingSince;
  private final Deque<Batch> ready = new ArrayDeque<>();
  private @Nullable Spool spool;
  private @Nullable InFlight inFlight;
  private @Nullable ClientFactory factory;
  private io.netty.channel.@Nullable EventLoopGroup ioGroup;
  private @Nullable WebClient client;
  private boolean failing;
  private int failures;
  private long retryAt;

  /**
   * Starts the sender thread; it first waits for {@code after} (the previous sender closing) and
   * sends the batches that one handed over before its own.
   */
  CommandSender(ProxyConfig.Command config, Supplier<String> configVersion,
      CommandMetrics metrics, CompletableFuture<List<Batch>> after, Random random,
      LongSupplier nanoTime) {
    this.config = config;
    this.configVersion = configVersion;
    this.metrics = metrics;
    this.after = after;
    this.random = random;
    this.nanoTime = nanoTime;
    this.queue = new ArrayBlockingQueue<>(config.queueCapacity());
    this.wakeAt = Math.max(1, Math.min(config.batchMaxEvents(), config.queueCapacity() / 4));
    String base = config.url().getRawPath() == null ? "" : config.url().getRawPath();
    this.path = (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + PATH;
    this.retryAt = nanoTime.getAsLong();
    this.thread = new Thread(this::run, "custos-command-sender");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void accept(FindingsEvent event) {
    if (closing) {
      metrics.dropped("closed", 1);
      return;
    }
    if (!queue.offer(event)) {
      metrics.dropped("queue_full", 1);
      return;
    }
    if (queue.size() >= wakeAt) {
      LockSupport.unpark(thread);
    }
  }

  /**
   * Stops the sender. With {@code handOver} the batches in memory (and the queued events) are
   * returned for a successor at once; otherwise they are sent for up to {@code shutdown_timeout}
   * and the rest spooled, and the future holds an empty list.
   */
  CompletableFuture<List<Batch>> closeAsync(boolean handOver) {
    this.handOver = handOver;
    closing = true;
    LockSupport.unpark(thread);
    return closed;
  }

  /** Returns the future {@link #closeAsync} returns, without closing. */
  CompletableFuture<List<Batch>> closed() {
    return closed;
  }

  /** Returns how long closing may take: the shutdown bound, one request, and a margin. */
  Duration closeBound() {
    return config.shutdownTimeout().plus(config.requestTimeout()).plusSeconds(5);
  }

  private void run() {
    List<Batch> leftover = List.of();
    try {
      List<Batch> inherited = awaitPrevious();
      openSpool();
      ready.addAll(inherited);
      loop();
      leftover = finish();
    } catch (Throwable t) {
      logger.error("command plane sender stopped: {}", t.getClass().getName(), t);
      leftover = List.copyOf(ready);
      ready.clear();
    } finally {
      release();
      if (!handOver) {
        for (Batch b : leftover) {
          metrics.dropped("spool_unavailable", b.events());
        }
        leftover = List.of();
      }
      metrics.queued.set(0);
      closed.complete(leftover);
    }
  }

  private List<Batch> awaitPrevious() throws InterruptedException {
    try {
      return after.get();
    } catch (ExecutionException | CancellationException e) {
      return List.of();
    }
  }

  private void openSpool() {
    try {
      spool = new Spool(config.spoolDir(), config.spoolMaxBytes(), new Spool.Listener() {
        @Override
        public void dropped(long events) {
          metrics.dropped("spool_full", events);
        }

        @Override
        public void truncated(long bytes) {
          metrics.truncated(bytes);
        }
      });
      if (!spool.isEmpty()) {
        logger.info("command plane: {} spooled batches ({} events) in {} to send",
            spool.batches(), spool.events(), config.spoolDir());
      }
    } catch (IOException e) {
      logger.error("command plane: spool {} unavailable ({}: {}); events are kept in memory"
          + " only", config.spoolDir(), e.getClass().getSimpleName(),
          SafeText.of(String.valueOf(e.getMessage()), 200));
      spool = null;
    }
  }

  private void loop() throws IOException {
    ioGroup = EventLoopGroups.newEventLoopGroup(1,
        ThreadFactories.builder("custos-command-io").eventLoop(true).daemon(true).build());
    // With command.tls, the same TLS material as a cluster's, read once per sender (a reload
    // that changes the section starts a new sender).
    factory = CommandPlaneClients.factory(ioGroup, config);
    URI u = config.url();
    client = WebClient.builder(u.getScheme() + "://" + u.getRawAuthority())
        .factory(factory)
        .responseTimeout(config.requestTimeout())
        .maxResponseLength(1 << 20)
        .build();
    while (true) {
      boolean last = closing;
      drainQueue();
      long now = nanoTime.getAsLong();
      if (!pending.isEmpty() && (last || now - pendingSince >= config.linger().toNanos())) {
        seal();
      }
      settle();
      if (last) {
        return;
      }
      spillIfNeeded();
      startNext();
      gauges();
      park(now);
    }
  }

  /** Sends what is in memory within the bound (or hands it over), then spools the rest. */
  private List<Batch> finish() throws IOException {
    drainQueue();
    if (!pending.isEmpty()) {
      seal();
    }
    if (handOver) {
      abortInFlight();
      List<Batch> out = List.copyOf(ready);
      ready.clear();
      return out;
    }
    long deadline = nanoTime.getAsLong() + config.shutdownTimeout().toNanos();
    // Spooled batches stay where they are: sending memory first would only reorder them.
    boolean send = spool == null || spool.isEmpty();
    while (send) {
      settle();
      long now = nanoTime.getAsLong();
      if (now - deadline >= 0) {
        break;
      }
      if (inFlight == null) {
        if (failing || ready.isEmpty()) {
          break;
        }
        start(ready.peekFirst(), Source.MEMORY);
        continue;
      }
      LockSupport.parkNanos(this, deadline - now);
    }
    abortInFlight();
    spill(0);
    List<Batch> left = List.copyOf(ready);
    ready.clear();
    gauges();
    return left;
  }

  private void abortInFlight() {
    InFlight f = inFlight;
    if (f != null) {
      settle();
      if (inFlight != null) {
        // Still unanswered: the batch stays where it is and is sent again later, same id.
        f.response().abort();
        inFlight = null;
      }
    }
  }

  private void release() {
    if (spool != null) {
      try {
        spool.close();
      } catch (IOException e) {
        logger.warn("command plane: closing spool {}: {}", config.spoolDir(),
            e.getClass().getSimpleName());
      }
      spool = null;
    }
    if (factory != null) {
      factory.closeAsync();
      factory = null;
    }
    if (ioGroup != null) {
      // No quiet period: nothing is sent any more.
      ioGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      ioGroup = null;
    }
  }

  private void drainQueue() {
    FindingsEvent e;
    while ((e = queue.poll()) != null) {
      byte[] line;
      try {
        line = Batch.line(e);
      } catch (RuntimeException ex) {
        logger.warn("command plane: event not written ({})", ex.getClass().getName());
        metrics.dropped("unwritable", 1);
        continue;
      }
      if (line.length + 1 > Batch.MAX_UNCOMPRESSED) {
        metrics.dropped("too_large", 1);
        continue;
      }
      if (!pending.isEmpty() && pendingBytes + line.length + 1 > Batch.MAX_UNCOMPRESSED) {
        seal();
      }
      if (pending.isEmpty()) {
        pendingSince = nanoTime.getAsLong();
      }
      pending.add(line);
      pendingBytes += line.length + 1;
      if (pending.size() >= config.batchMaxEvents()) {
        seal();
      }
    }
  }

  private void seal() {
    ready.addLast(Batch.of(pending));
    pending.clear();
    pendingBytes = 0;
  }

  /** Moves batches from memory to the spool: all while the plane fails, else the overflow. */
  private void spillIfNeeded() {
    if (spool == null) {
      // Nowhere else to keep them: memory holds a bounded number, the oldest go first.
      while (ready.size() > MEMORY_BATCHES + 1) {
        Batch b = ready.peekFirst() == inFlightBatch() ? removeSecond() : ready.pollFirst();
        metrics.dropped("spool_unavailable", b.events());
      }
      return;
    }
    if (failing) {
      spill(0);
    } else if (ready.size() > MEMORY_BATCHES) {
      spill(MEMORY_BATCHES);
    }
  }

  private Batch removeSecond() {
    Batch first = ready.pollFirst();
    Batch second = ready.pollFirst();
    ready.addFirst(first);
    return second;
  }

  private @Nullable Batch inFlightBatch() {
    InFlight f = inFlight;
    return f == null || f.source() != Source.MEMORY ? null : f.batch();
  }

  /** Spools the oldest batches in memory until {@code keep} are left (never the one in flight). */
  private void spill(int keep) {
    if (spool == null) {
      return;
    }
    Batch flying = inFlightBatch();
    int n = ready.size();
    Iterator<Batch> it = ready.iterator();
    while (it.hasNext() && n > keep) {
      Batch b = it.next();
      if (b == flying) {
        continue;
      }
      try {
        spool.append(b);
        metrics.spooled();
      } catch (IOException e) {
        if (failureLog.tryAcquire() >= 0) {
          logger.warn("command plane: spool {} write failed ({}); batch dropped",
              config.spoolDir(), e.getClass().getSimpleName());
        }
        metrics.dropped("spool_unavailable", b.events());
      }
      it.remove();
      n--;
    }
  }

  private void startNext() throws IOException {
    if (inFlight != null || nanoTime.getAsLong() - retryAt < 0) {
      return;
    }
    if (spool != null && !spool.isEmpty()) {
      Batch b = spool.peek();
      if (b != null) {
        start(b, Source.SPOOL);
        return;
      }
    }
    Batch b = ready.peekFirst();
    if (b != null) {
      start(b, Source.MEMORY);
    }
  }

  private void start(Batch b, Source source) {
    String token;
    try {
      token = CommandPlaneClients.token(config);
    } catch (IOException e) {
      failed("token", "token file " + config.tokenFile() + " unreadable ("
          + e.getClass().getSimpleName() + ")", null);
      return;
    }
    RequestHeadersBuilder hb = RequestHeaders.builder(HttpMethod.POST, path);
    if (token != null) {
      // Without a token file the proxy authenticates by its client certificate (command.tls).
      hb.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
    }
    RequestHeaders headers = hb
        .contentType(NDJSON)
        .set(HttpHeaderNames.CONTENT_ENCODING, "gzip")
        .set("custos-proxy-id", config.proxyId())
        .set("custos-batch-id", b.id().toString())
        .set("custos-config-version", configVersion.get())
        .build();
    HttpResponse response = client.execute(headers, HttpData.wrap(b.body()));
    CompletableFuture<AggregatedHttpResponse> answer = response.aggregate();
    inFlight = new InFlight(b, source, response, answer);
    answer.whenComplete((r, t) -> LockSupport.unpark(thread));
  }

  /** Handles the answer of the batch in flight, if it came. */
  private void settle() {
    InFlight f = inFlight;
    if (f == null || !f.answer().isDone()) {
      return;
    }
    inFlight = null;
    AggregatedHttpResponse r;
    try {
      r = f.answer().join();
    } catch (CompletionException | CancellationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      failed("io", cause.getClass().getSimpleName() + ": "
          + SafeText.of(String.valueOf(cause.getMessage()), 200), null);
      return;
    }
    int status = r.status().code();
    Batch b = f.batch();
    try {
      if (status == 200 || status == 202) {
        done(f);
        metrics.sent(b);
        if (failing) {
          logger.info("command plane {} accepts batches again", config.url());
        }
        failing = false;
        failures = 0;
      } else if (status == 400) {
        done(f);
        metrics.dropped("rejected", b.events());
        long held = rejectLog.tryAcquire();
        if (held >= 0) {
          logger.warn("command plane refused batch {} ({} events, dropped): {}{}", b.id(),
              b.events(), SafeText.of(r.contentUtf8(), 300),
              held > 0 ? " (" + held + " more since)" : "");
        }
      } else if (status == 413) {
        done(f);
        List<Batch> halves = b.halves();
        if (halves.isEmpty()) {
          metrics.dropped("too_large", b.events());
        } else {
          ready.addFirst(halves.get(1));
          ready.addFirst(halves.get(0));
        }
      } else if (status == 401 || status == 403) {
        failed("unauthorized", status + ": the plane refused this proxy's "
            + (config.tokenFile() != null ? "token (" + config.tokenFile() + ")"
            : "client certificate"), null);
      } else if (status == 429 || status == 503) {
        failed("overloaded", String.valueOf(status), retryAfter(r));
      } else {
        failed("status", String.valueOf(status), retryAfter(r));
      }
    } catch (IOException e) {
      logger.warn("command plane: batch {} not handled ({})", b.id(),
          e.getClass().getSimpleName());
    }
  }

  private void done(InFlight f) throws IOException {
    if (f.source() == Source.SPOOL) {
      if (spool != null) {
        spool.ack(f.batch().id());
      }
    } else {
      ready.remove(f.batch());
    }
  }

  private void failed(String reason, String detail, @Nullable Long retryAfterNanos) {
    metrics.failed(reason);
    failing = true;
    failures++;
    long delay = delayNanos(failures, config.initialBackoff(), config.maxBackoff(),
        retryAfterNanos, random);
    retryAt = nanoTime.getAsLong() + delay;
    long held = failureLog.tryAcquire();
    if (held >= 0) {
      logger.warn("command plane {}: send failed ({}: {}); retrying in {} ms, batches go to the"
          + " spool meanwhile{}", config.url(), reason, detail, TimeUnit.NANOSECONDS.toMillis(delay),
          held > 0 ? " (" + held + " more failures since)" : "");
    }
  }

  /**
   * Returns the wait before the next attempt after {@code failures} failures in a row: {@code
   * initial} doubled per failure up to {@code max}, of which a random half to all (full jitter on
   * the upper half, so that proxies that failed together do not retry together), and never less
   * than the plane's {@code Retry-After} (itself capped at an hour).
   */
  static long delayNanos(int failures, Duration initial, Duration max,
      @Nullable Long retryAfterNanos, Random random) {
    long cap = max.toNanos();
    long base = failures > 40 ? cap
        : Math.min(cap, initial.toNanos() << Math.max(0, Math.min(failures - 1, 30)));
    if (base <= 0) {
      base = cap;
    }
    long delay = base / 2 + (long) (random.nextDouble() * (base - base / 2));
    if (retryAfterNanos != null) {
      delay = Math.max(delay, Math.min(retryAfterNanos, MAX_RETRY_AFTER_NANOS));
    }
    return delay;
  }

  /** Returns the {@code Retry-After} delay in nanoseconds, or null if absent or unreadable. */
  static @Nullable Long retryAfter(AggregatedHttpResponse r) {
    String v = r.headers().get(HttpHeaderNames.RETRY_AFTER);
    if (v == null) {
      return null;
    }
    v = v.trim();
    try {
      if (!v.isEmpty() && v.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return TimeUnit.SECONDS.toNanos(Math.min(Long.parseLong(v.length() > 9
            ? "999999999" : v), 999_999_999L));
      }
      ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
      return Math.max(0, Duration.between(ZonedDateTime.now(at.getZone()), at).toNanos());
    } catch (RuntimeException e) {
      return null;
    }
  }

  private void gauges() {
    long events = queue.size() + pending.size();
    for (Batch b : ready) {
      events += b.events();
    }
    metrics.queued.set(events);
    Spool s = spool;
    metrics.spoolBytes.set(s == null ? 0 : s.bytes());
    metrics.spoolEvents.set(s == null ? 0 : s.events());
  }

  private void park(long now) {
    // Events are picked up within the linger time even before a full batch wakes the thread.
    long wait = Math.max(TimeUnit.MILLISECONDS.toNanos(1),
        Math.min(IDLE_NANOS, config.linger().toNanos()));
    if (!pending.isEmpty()) {
      wait = Math.min(wait, pendingSince + config.linger().toNanos() - now);
    }
    boolean waiting = !ready.isEmpty() || spool != null && !spool.isEmpty();
    if (inFlight == null && waiting) {
      wait = Math.min(wait, retryAt - now);
    }
    if (wait > 0) {
      LockSupport.parkNanos(this, wait);
    }
  }

  /** Waits for the thread to end (for tests and the final stop). */
  static <T> T await(CompletableFuture<T> f, Duration bound) {
    try {
      return f.get(bound.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the command sender stopped", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("command sender did not stop within " + bound, e);
    }
  }
}
