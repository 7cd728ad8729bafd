package dev.custos.proxy.internal.policy;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.util.EventLoopGroups;
import com.linecorp.armeria.common.util.ThreadFactories;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.telemetry.commandplane.CommandPlaneClients;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the policy and configuration pullers share: {@code GET <url>/api/v1/proxy/<kind>?wait=}
 * in a loop on a thread of its own (never an event loop), with the proxy's token, {@code
 * Custos-Proxy-Id}, {@code Custos-Config-Version} (what it runs), {@code If-None-Match} (the
 * ETag of what it has) and {@code Custos-<Kind>-Refused} (the last version it refused); {@code
 * 304} keeps what runs, {@code 204} runs the local document again and deletes the cache file,
 * {@code 200} goes to {@link #received}. Failures back off as the findings sender does.
 * Metrics: {@code custos_<kind>_pulls_total{outcome}} and {@code custos_<kind>_info{version}}.
 * Thread-safe.
 */
abstract class DocumentPuller implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(DocumentPuller.class);
  private static final String LOCAL_ETAG = "\"local\"";
  /** The shortest time between the starts of two pulls, whatever the plane answers. */
  static final long MIN_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  /**
   * The shortest time between the starts of two pulls when the first changed nothing and the
   * plane did not hold it: what {@code wait: 0} polls at, and what holds back a plane that
   * answers a long poll at once.
   */
  static final long MIN_UNCHANGED_NANOS = TimeUnit.SECONDS.toNanos(5);

  /** {@code policy} or {@code config}: the path, header, thread and metric names. */
  final String kind;
  /** What runs when no rollout covers the proxy, for the log. */
  private final String local;
  final ProxyConfig.Command command;
  final ProxyConfig.PolicyPull pull;
  private final MeterRegistry registry;
  private final String infoDescription;
  private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
  private final Thread thread;
  private final io.netty.channel.EventLoopGroup io;
  private final ClientFactory factory;
  private final WebClient client;
  private volatile boolean closed;
  private volatile String etag;
  private volatile @Nullable String refused;
  private @Nullable Gauge info;

  /**
   * Returns a puller, not started.
   *
   * @param etag the ETag of the document running now (from the cache), or null
   */
  DocumentPuller(String kind, String local, ProxyConfig.Command command,
      ProxyConfig.PolicyPull pull, @Nullable String etag, MeterRegistry registry,
      String infoDescription) {
    this.kind = kind;
    this.local = local;
    this.command = requireNonNull(command, "command");
    this.pull = requireNonNull(pull, "pull");
    this.registry = requireNonNull(registry, "registry");
    this.infoDescription = infoDescription;
    this.etag = etag == null ? "" : etag;
    this.io = EventLoopGroups.newEventLoopGroup(1,
        ThreadFactories.builder("custos-" + kind + "-io").eventLoop(true).daemon(true).build());
    this.factory = CommandPlaneClients.factory(io, command);
    URI u = command.url();
    this.client = WebClient.builder(u.getScheme() + "://" + u.getRawAuthority())
        .factory(factory)
        .responseTimeout(pull.longPoll().plus(command.requestTimeout()))
        .maxResponseLength(8L << 20)
        .build();
    this.thread = new Thread(this::loop, "custos-" + kind + "-pull");
    thread.setDaemon(true);
  }

  /** Returns the settings this puller runs with. */
  public ProxyConfig.Command command() {
    return command;
  }

  /** Returns the version the proxy runs now, for {@code Custos-Config-Version}. */
  abstract String runningVersion();

  /** Runs the local document again; false when it was not applied. */
  abstract boolean applyLocal();

  /**
   * Handles a {@code 200}: validates, applies and keeps the document, or refuses it; false when
   * the pull failed and should back off.
   */
  abstract boolean received(AggregatedHttpResponse res, @Nullable String tag);

  /** Starts pulling. */
  void startPulling() {
    running(runningVersion());
    thread.start();
  }

  private void loop() {
    long backoff = 0;
    while (!closed) {
      long started = System.nanoTime();
      String before = etag;
      boolean ok;
      try {
        ok = pullOnce();
      } catch (RuntimeException e) {
        count("io");
        logger.warn("{} pull: {}", kind, e.getClass().getSimpleName());
        ok = false;
      }
      long pause;
      if (ok) {
        backoff = 0;
        pause = pause(!etag.equals(before), System.nanoTime() - started,
            pull.longPoll().toNanos());
      } else {
        long initial = command.initialBackoff().toNanos();
        backoff = backoff == 0 ? initial : Math.min(backoff * 2, command.maxBackoff().toNanos());
        pause = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
      }
      if (pause > 0 && !closed) {
        try {
          TimeUnit.NANOSECONDS.sleep(pause);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /**
   * Returns how long to wait before the next pull after one that succeeded and took {@code
   * elapsedNanos}: after a change (the ETag moved), until {@link #MIN_GAP_NANOS} after the pull
   * started; after a long poll the plane held (half of {@code longPollNanos} or more), at once;
   * after an answer that changed nothing and came sooner (always so with {@code wait: 0}), until
   * {@link #MIN_UNCHANGED_NANOS} after the pull started, so that such answers never loop tightly.
   */
  static long pause(boolean changed, long elapsedNanos, long longPollNanos) {
    boolean held = longPollNanos > 0 && elapsedNanos >= longPollNanos / 2;
    long gap = changed || held ? MIN_GAP_NANOS : MIN_UNCHANGED_NANOS;
    return Math.max(0, gap - elapsedNanos);
  }

  /** Pulls once; returns false when the pull failed (and should back off). */
  private boolean pullOnce() {
    String token;
    try {
      token = CommandPlaneClients.token(command);
    } catch (IOException e) {
      count("token");
      logger.warn("{} pull: token file {} unreadable ({})", kind, command.tokenFile(),
          e.getClass().getSimpleName());
      return false;
    }
    String path = command.url().getRawPath();
    path = (path == null ? "" : path.replaceAll("/+$", "")) + "/api/v1/proxy/" + kind + "?wait="
        + pull.longPoll().toMillis() + "ms";
    RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.GET, path)
        .set("custos-proxy-id", command.proxyId())
        .set("custos-config-version", runningVersion());
    if (token != null) {
      // Without a token file the proxy authenticates by its client certificate (command.tls).
      h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
    }
    if (!etag.isEmpty()) {
      h.set(HttpHeaderNames.IF_NONE_MATCH, etag);
    }
    String r = refused;
    if (r != null) {
      h.set("custos-" + kind + "-refused", r);
    }
    AggregatedHttpResponse res;
    try {
      res = client.execute(h.build()).aggregate().get(
          pull.longPoll().plus(command.requestTimeout()).plusSeconds(5).toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
      return true;
    } catch (Exception e) {
      if (!closed) {
        count("io");
        logger.warn("{} pull: {} unreachable ({})", kind, command.url(),
            e.getCause() == null ? e.getClass().getSimpleName()
                : e.getCause().getClass().getSimpleName());
      }
      return false;
    }
    if (closed) {
      return true;
    }
    int status = res.status().code();
    String tag = res.headers().get(HttpHeaderNames.ETAG);
    switch (status) {
      case 304:
        count("not_modified");
        return true;
      case 204:
        if (!LOCAL_ETAG.equals(etag)) {
          if (!applyLocal()) {
            return true;
          }
          try {
            Files.deleteIfExists(pull.cacheFile());
          } catch (IOException e) {
            logger.warn("{} pull: cannot delete the cache file {} ({})", kind,
                pull.cacheFile(),
                e.getClass().getSimpleName());
          }
          logger.info("{} pull: no rollout covers proxy {}; {} runs", kind, command.proxyId(),
              local);
        }
        etag = LOCAL_ETAG;
        refused = null;
        count("local");
        return true;
      case 200:
        return received(res, tag);
      case 401:
      case 403:
        count("unauthorized");
        logger.warn("{} pull: {}: the plane refused this proxy's token ({})", kind, status,
            command.tokenFile());
        return false;
      default:
        count("status");
        logger.warn("{} pull: the plane answered {}", kind, status);
        return false;
    }
  }

  /** Records that a version was refused: reported on the next pull, not asked for again. */
  void refuse(String label, String tag) {
    refused = label;
    etag = tag;
  }

  /** Records that the document with this ETag runs now. */
  void accept(String tag) {
    etag = tag;
    refused = null;
  }

  synchronized void running(String version) {
    if (info != null) {
      registry.remove(info);
    }
    info = Gauge.builder("custos." + kind + ".info", () -> 1).description(infoDescription)
        .tag("version", version).register(registry);
  }

  void count(String outcome) {
    outcomes.computeIfAbsent(outcome, o -> Counter.builder("custos." + kind + ".pulls")
        .description("Pulls from the command plane (" + kind + "), by outcome")
        .tag("outcome", o).register(registry)).increment();
  }

  /** Stops pulling; a pull in flight is abandoned. Does not wait for the thread. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    factory.closeAsync();
    io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    synchronized (this) {
      if (info != null) {
        registry.remove(info);
        info = null;
      }
    }
  }
}
