package dev.custos.command;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import dev.custos.command.internal.ReadApi;
import dev.custos.command.internal.RetentionJob;
import dev.custos.command.internal.alerts.AlertEvaluator;
import dev.custos.command.internal.alerts.AlertStore;
import dev.custos.command.internal.alerts.AlertsApi;
import dev.custos.command.internal.api.ApiAccess;
import dev.custos.command.internal.api.ApiBasics;
import dev.custos.command.internal.api.FlowApi;
import dev.custos.command.internal.ingest.EventParser;
import dev.custos.command.internal.ingest.GroupCommit;
import dev.custos.command.internal.ingest.IngestService;
import dev.custos.command.internal.ingest.Tokens;
import dev.custos.command.internal.policy.PolicyApi;
import dev.custos.command.internal.store.FlowQueries;
import dev.custos.command.internal.store.Store;
import dev.custos.command.internal.web.Dashboard;
import dev.custos.proxy.internal.BossGroups;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The command plane: one Armeria server (HTTP/1.1 and h2c) that takes findings batches from
 * proxies ({@code POST /api/v1/ingest/events}), stores them with the flow model and lineage,
 * answers the read API, and serves {@code /healthz}, {@code /readyz} and Prometheus
 * {@code /metrics}. Stateless apart from its database: several replicas may share one
 * PostgreSQL database. Thread-safe.
 */
public final class CommandPlane implements AutoCloseable {
  /** A group commit stops taking batches once it holds this many events. */
  private static final int GROUP_EVENTS = 10_000;

  private final CommandConfig config;
  private final Clock clock;
  private final PrometheusMeterRegistry registry;
  private volatile @Nullable Running running;
  private volatile boolean ready;

  private record Running(Store store, ThreadPoolExecutor writers, GroupCommit commits,
      Server server, RetentionJob retention, AlertEvaluator alerts) {}

  private CommandPlane(CommandConfig config, Clock clock, PrometheusMeterRegistry registry) {
    this.config = config;
    this.clock = clock;
    this.registry = registry;
  }

  /** Returns a builder of a command plane for this configuration. */
  public static Builder builder(CommandConfig config) {
    return new Builder(config);
  }

  /**
   * Opens the database (running its migrations), then starts the listener and the retention
   * job.
   *
   * @throws IllegalStateException if the database cannot be opened or the listener cannot bind
   */
  public synchronized void start() {
    if (running != null) {
      throw new IllegalStateException("already started");
    }
    ApiAccess access = ApiAccess.of(config, clock, registry);
    Store store = Store.open(config.database());
    // Writers parse; committers store what the writers parsed, several batches per transaction.
    // SQLite has one writing connection: one committer.
    int workers = config.ingest().workers();
    GroupCommit commits = new GroupCommit(store, store.postgresql()
        ? Math.max(1, (workers + 1) / 2) : 1, GROUP_EVENTS, registry);
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor writers = new ThreadPoolExecutor(workers, workers, 0,
        TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(config.ingest().queue()), r -> {
          Thread t = new Thread(r, "custos-command-writer-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    RetentionJob retention = new RetentionJob(store, config.retention(), clock, registry);
    AlertStore alertStore = new AlertStore(store.dataSource());
    AlertEvaluator alerts = new AlertEvaluator(alertStore, config.alerts(), config.retention(),
        clock, registry);
    ServerBuilder sb = com.linecorp.armeria.server.Server.builder()
        .bossGroupFactory(BossGroups::newBossGroup)
        .gracefulShutdownTimeout(Duration.ZERO, Duration.ofSeconds(10));
    listen(sb, config);
    // The proxies authenticate by token, or by a client certificate client_certs names.
    Tokens proxies = new Tokens(config.tokens(), config.tls() == null ? List.of()
        : config.tls().clientCerts());
    sb.route().post("/api/v1/ingest/events")
        // A gzip body of 4 MiB of lines stays well under this; identity bodies are cut at 4 MiB
        // by the parser with a 413 of its own.
        .maxRequestLength(EventParser.MAX_BYTES + (1 << 20))
        .requestTimeout(Duration.ofSeconds(60))
        .build(new IngestService(proxies, commits, writers, clock, registry));
    ApiBasics.addTo(sb, access);
    ReadApi.addTo(sb, store, access, clock);
    PolicyApi.addTo(sb, store.dataSource(), access, proxies, clock,
        registry);
    FlowApi.addTo(sb, new FlowQueries(store.dataSource()), access, clock);
    AlertsApi.addTo(sb, alertStore, alerts, config, access, clock);
    Dashboard.addTo(sb);
    sb.service("/healthz", (ctx, req) -> HttpResponse.of(HttpStatus.OK,
        MediaType.PLAIN_TEXT_UTF_8, "ok\n"));
    sb.service("/readyz", (ctx, req) -> HttpResponse.of(CompletableFuture.supplyAsync(
        () -> ready && store.ping()
            ? HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, "ready\n")
            : HttpResponse.of(HttpStatus.SERVICE_UNAVAILABLE, MediaType.PLAIN_TEXT_UTF_8,
                "not ready\n"), ctx.blockingTaskExecutor())));
    sb.service("/metrics", (ctx, req) -> HttpResponse.of(CompletableFuture.supplyAsync(
        () -> HttpResponse.of(HttpStatus.OK,
            MediaType.parse("text/plain; version=0.0.4; charset=utf-8"), registry.scrape()),
        ctx.blockingTaskExecutor())));
    Server server = sb.build();
    try {
      server.start().join();
    } catch (RuntimeException e) {
      server.close();
      alerts.close();
      writers.shutdownNow();
      commits.close();
      store.close();
      throw new IllegalStateException("listen " + config.host() + ":" + config.port()
          + ": cannot bind (expected: a free address)", e);
    }
    retention.start();
    alerts.start();
    running = new Running(store, writers, commits, server, retention, alerts);
    ready = true;
  }

  /**
   * Adds the listener: cleartext (HTTP/1.1 and h2c), or TLS with the configured key pair, asking
   * for client certificates that chain to the client CA when one is configured.
   */
  private static void listen(ServerBuilder sb, CommandConfig config) {
    InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
    CommandConfig.Tls tls = config.tls();
    if (tls == null) {
      sb.http(address);
      return;
    }
    sb.https(address).tls(tls.certFile().toFile(), tls.keyFile().toFile());
    java.nio.file.Path ca = tls.clientCaFile();
    if (ca != null) {
      sb.tlsCustomizer(ssl -> ssl.trustManager(ca.toFile()).clientAuth(
          tls.clientAuth() == CommandConfig.Tls.ClientAuth.REQUIRE
              ? io.netty.handler.ssl.ClientAuth.REQUIRE : io.netty.handler.ssl.ClientAuth.OPTIONAL));
    }
  }

  /** Returns the port the listener is bound to. */
  public int activePort() {
    Running r = requireRunning();
    return r.server().activeLocalPort();
  }

  /** Returns the running server (tests enumerate its routes). */
  Server server() {
    return requireRunning().server();
  }

  /** Returns the registry behind {@code /metrics}. */
  public PrometheusMeterRegistry meterRegistry() {
    return registry;
  }

  /**
   * Runs the retention job once, now (by the plane's clock).
   *
   * @return rows deleted per table
   * @throws SQLException if the database fails
   */
  public Map<String, Long> runRetention() throws SQLException {
    return requireRunning().retention().runOnce();
  }

  /**
   * Evaluates the alert rules once, now (by the plane's clock), and waits for the notifications.
   *
   * @return counts of this run: {@code fired}, {@code silenced}, {@code resolved}, {@code sent}
   *     and {@code failed}
   * @throws SQLException if the database fails
   */
  public Map<String, Long> runAlerts() throws SQLException {
    return requireRunning().alerts().runOnce();
  }

  private Running requireRunning() {
    Running r = running;
    if (r == null) {
      throw new IllegalStateException("not started");
    }
    return r;
  }

  /**
   * Stops: {@code /readyz} answers 503, the listener closes, queued batches are stored (up to 30
   * seconds), then the database is closed. Idempotent.
   */
  public synchronized void stop() {
    Running r = running;
    if (r == null) {
      return;
    }
    ready = false;
    running = null;
    r.server().stop().join();
    r.retention().close();
    r.alerts().close();
    r.writers().shutdown();
    try {
      r.writers().awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    r.commits().close();
    r.store().close();
  }

  @Override
  public void close() {
    stop();
  }

  /** Builds a {@link CommandPlane}; the only mutable object of this API. */
  public static final class Builder {
    private final CommandConfig config;
    private Clock clock = Clock.systemUTC();
    private @Nullable PrometheusMeterRegistry registry;

    private Builder(CommandConfig config) {
      this.config = requireNonNull(config, "config");
    }

    /** Sets the clock that stamps batches and drives retention (tests control time). */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /** Sets the registry behind {@code /metrics}; default a new one. */
    public Builder meterRegistry(PrometheusMeterRegistry registry) {
      this.registry = requireNonNull(registry, "registry");
      return this;
    }

    /** Returns the command plane, not started. */
    public CommandPlane build() {
      return new CommandPlane(config, clock, registry != null ? registry
          : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }
  }
}
