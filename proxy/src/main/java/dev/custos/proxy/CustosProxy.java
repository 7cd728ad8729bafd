package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientFactoryBuilder;
import com.linecorp.armeria.client.ClientTlsConfig;
import com.linecorp.armeria.client.ClientTlsConfigBuilder;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServerTlsConfig;
import com.linecorp.armeria.server.ServerTlsConfigBuilder;
import com.linecorp.armeria.common.util.EventLoopGroups;
import com.linecorp.armeria.common.util.ThreadFactories;
import com.linecorp.armeria.server.GracefulShutdown;
import dev.custos.proxy.internal.AdminService;
import dev.custos.proxy.internal.Affinity;
import dev.custos.proxy.internal.BossGroups;
import dev.custos.proxy.internal.Canaries;
import dev.custos.proxy.internal.CallerEventLoopScheduler;
import dev.custos.proxy.internal.ConfigWatcher;
import dev.custos.proxy.internal.FatalErrors;
import dev.custos.proxy.internal.Http2ControlFrameGuard;
import dev.custos.proxy.internal.PipelineErrorWatch;
import dev.custos.proxy.internal.ProxyErrorHandler;
import dev.custos.proxy.internal.ResponseHeadCoalescer;
import dev.custos.proxy.internal.ForwardingService;
import dev.custos.proxy.internal.RoutingService;
import dev.custos.proxy.internal.WebSocketUpgrade;
import dev.custos.proxy.internal.Snapshot;
import dev.custos.proxy.internal.authn.Authentication;
import dev.custos.proxy.internal.upstream.UpstreamMetrics;
import dev.custos.proxy.internal.telemetry.ProcessMetrics;
import dev.custos.proxy.internal.upstream.Upstreams;
import dev.custos.proxy.internal.authz.Authorization;
import dev.custos.proxy.internal.inspect.Inspector;
import dev.custos.proxy.internal.inspect.ProxyInspection;
import dev.custos.proxy.internal.limits.InMemoryRateLimitStore;
import dev.custos.proxy.internal.l4.TcpListeners;
import dev.custos.proxy.internal.relay.Http1Relay;
import dev.custos.proxy.internal.limits.Limits;
import dev.custos.proxy.internal.policy.ConfigCache;
import dev.custos.proxy.internal.policy.ConfigPuller;
import dev.custos.proxy.internal.policy.ConfigRefusedException;
import dev.custos.proxy.internal.policy.PolicyCache;
import dev.custos.proxy.internal.policy.PolicyPuller;
import dev.custos.proxy.internal.policy.PulledConfig;
import dev.custos.proxy.internal.policy.PulledPolicy;
import dev.custos.proxy.internal.shared.SharedState;
import dev.custos.proxy.internal.wasm.WasmFilterRuntime;
import dev.custos.proxy.internal.wasm.WasmFilterService;
import dev.custos.proxy.internal.wasm.WasmFilters;
import dev.custos.proxy.internal.telemetry.AccessLogger;
import dev.custos.proxy.internal.telemetry.Tracing;
import dev.custos.proxy.internal.telemetry.FindingsOutput;
import dev.custos.proxy.internal.tls.FileTlsProvider;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.ClientAuth;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Custos proxy: a cleartext listener (HTTP/1.1 and h2c), an optional TLS listener (ALPN h2
 * and http/1.1), an optional admin server, and a watcher that reloads the configuration file and
 * its policy file when they change.
 *
 * <p>Every request reads the current configuration once: a reload swaps routes, clusters and
 * policy atomically, open connections and requests in flight keep going, and requests that
 * arrive after it use the new configuration. Listener addresses are fixed at start; a reload that
 * changes them is applied in every other respect and logs that a restart is needed. The TLS
 * listener's certificate and key files, and the CA and client certificate files of upstream
 * clusters, are reread at the reload interval: new connections get the new material, open
 * connections keep theirs.
 *
 * <pre>{@code
 * try (CustosProxy proxy = CustosProxy.builder(ProxyConfig.load(Path.of("custos.yaml"))).build()) {
 *   proxy.start();
 *   ...
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class CustosProxy implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(CustosProxy.class);

  private final AtomicReference<Snapshot> current = new AtomicReference<>();
  private final Map<FactoryKey, ClientFactory> factories = new ConcurrentHashMap<>();
  private final ScheduledExecutorService tlsReloader = Executors.newSingleThreadScheduledExecutor(
      r -> {
        Thread t = new Thread(r, "custos-tls-reload");
        t.setDaemon(true);
        return t;
      });
  private final EventLoopGroup workers;
  private final PrometheusMeterRegistry registry;
  private final ProcessMetrics processMetrics;
  private final ProxyConfig initial;
  private final Duration reloadInterval;
  private final boolean watch;
  private final Server server;
  private final @Nullable Server admin;
  private final HttpService forwarding;
  private final Upstreams upstreams;
  private final ProxyInspection inspection;
  private final Authentication authentication;
  private final Limits limits;
  private final SharedState shared;
  private final BudgetStore budgets;
  private final AtomicReference<byte @Nullable []> adminToken = new AtomicReference<>();
  private final Authorization authorization;
  private final FindingsOutput findings;
  private final AccessLogger accessLog;
  private final Tracing tracing;
  private final WasmFilters wasmFilters;
  private final Affinity affinity;
  private final Canaries canaries;
  private final FatalErrors fatal;
  private final TcpListeners tcpListeners;
  private final Http1Relay relay;
  /**
   * Guards {@link #local}, {@link #pulled}, {@link #puller}, {@link #pulledConfig} and {@link
   * #configPuller}.
   */
  private final Object policyLock = new Object();
  /**
   * The configuration as its file (or the caller) gives it, before a pulled configuration or
   * policy: the bootstrap.
   */
  private ProxyConfig local;
  /** The policy pulled from the command plane that replaces the local one, or null. */
  private @Nullable PulledPolicy pulled;
  private @Nullable PolicyPuller puller;
  /**
   * The configuration pulled from the command plane that replaces the bootstrap (all but its
   * command section), or null.
   */
  private @Nullable PulledConfig pulledConfig;
  private @Nullable ConfigPuller configPuller;
  private volatile boolean running;
  private volatile boolean draining;
  private boolean stopped;
  private @Nullable ConfigWatcher watcher;

  CustosProxy(CustosProxyBuilder b, PrometheusMeterRegistry registry) {
    this.registry = registry;
    this.local = b.config;
    // The last good policy pulled from the command plane, until the plane answers again.
    this.pulled = b.config.command().map(ProxyConfig.Command::policyPull)
        .map(p -> PolicyCache.read(p.cacheFile())).orElse(null);
    this.pulledConfig = cachedConfig(b.config);
    this.initial = effective(b.config, pulledConfig, pulled);
    this.fatal = new FatalErrors(registry);
    this.processMetrics = new ProcessMetrics(registry);
    FatalErrors errors = fatal;
    // An event loop whose thread dies of an Error is reported rather than left a zombie.
    this.workers = EventLoopGroups.newEventLoopGroup(initial.workers() > 0 ? initial.workers()
        : Runtime.getRuntime().availableProcessors(), ThreadFactories.builder("custos-worker")
            .eventLoop(true)
            .taskFunction(task -> () -> {
              try {
                task.run();
              } catch (Throwable t) {
                errors.report(Thread.currentThread().getName(), t);
                throw t;
              }
            })
            .build());
    this.reloadInterval = b.reloadInterval;
    this.watch = b.watch;
    this.findings = new FindingsOutput(b.findingsSink, registry,
        () -> current.get().config().version());
    this.accessLog = new AccessLogger(registry);
    // Connects to Redis at start (see start()), so that a proxy never started holds no thread.
    this.shared = new SharedState(registry, BudgetStore.inMemory(),
        new InMemoryRateLimitStore(1_000_000, b.nanoTime),
        Limits.localNonces(b.nanoTime::getAsLong));
    this.budgets = b.budgetStore != null ? b.budgetStore : shared.budgets();
    this.inspection = new ProxyInspection(registry, findings, budgets);
    inspection.prepare(initial.policy());
    this.authentication = new Authentication(registry, inspection.identityKey());
    authentication.prepare(initial);
    this.authorization = new Authorization(registry);
    RateLimitStore store = b.rateLimitStore != null ? b.rateLimitStore : shared.rateLimits();
    this.limits = new Limits(registry, inspection.identityKey(), store, shared.nonces(),
        b.wallClock);
    adminToken.set(AdminService.tokenDigest(initial));
    this.wasmFilters = new WasmFilters(registry, current::get, b.reloadInterval, workers);
    Map<String, List<WasmFilterRuntime>> filters;
    try {
      filters = wasmFilters.prepare(initial);
    } catch (RuntimeException e) {
      workers.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
      throw e;
    }
    wasmFilters.commit(filters);
    this.affinity = new Affinity(inspection.identityKey());
    this.canaries = new Canaries(registry, b.random, System::nanoTime, shared.canaryHalts());
    canaries.reset(initial);
    // With shared_state, halts seen by other replicas apply here within the sync interval.
    long syncMs = Canaries.SYNC_INTERVAL.toMillis();
    tlsReloader.scheduleWithFixedDelay(fatal.guard("custos-canary-sync", canaries::sync), syncMs,
        syncMs, TimeUnit.MILLISECONDS);
    this.upstreams = new Upstreams(this::factory, workers, new UpstreamMetrics(registry),
        b.kubernetesClient);
    current.set(new Snapshot(initial, upstreams.update(initial), filters, this::factory,
        affinity));
    this.forwarding = new ForwardingService(upstreams.metrics(), canaries);
    HttpService chain = forwarding;
    List<FilterStage> stages = new ArrayList<>(List.of(FilterStage.values()));
    java.util.Collections.reverse(stages);
    for (FilterStage stage : stages) {
      List<Function<? super HttpService, ? extends HttpService>> list =
          new ArrayList<>(b.decorators.getOrDefault(stage, List.of()));
      if (stage == FilterStage.AUTHN) {
        list.add(0, AuthenticationService.newDecorator(authentication));
      }
      if (stage == FilterStage.LIMITS) {
        list.add(0, delegate -> (HttpService) (ctx, req) -> limits.serve(delegate, ctx, req));
      }
      if (stage == FilterStage.WASM) {
        list.add(0, WasmFilterService.newDecorator());
      }
      if (stage == FilterStage.AUTHZ) {
        list.add(0, AuthorizationService.newDecorator(authorization));
      }
      if (stage == FilterStage.INSPECTION) {
        // The route's plan is made once per route and policy: a request builds no settings.
        list.add(0, delegate -> (HttpService) (ctx, req) -> inspection.enabled(ctx)
            ? Inspector.serve(inspection.plan(ctx), ctx, req, delegate)
            : delegate.serve(ctx, req));
      }
      for (int i = list.size() - 1; i >= 0; i--) {
        chain = list.get(i).apply(chain);
      }
    }
    // Read at start only: a reload does not change where spans go.
    this.tracing = new Tracing(initial.tracing().orElse(null), b.environment);
    HttpService routed = new RoutingService(chain, current, registry, accessLog, tracing,
        limits, fatal, canaries);
    // The listeners' own header limits stay above limits.max_header_size, so that the proxy's
    // JSON 431 (counted) answers first.
    int headerLimit = (int) Math.max(8192, initial.limits().maxHeaderSize() + 8192);
    // HTTP/1.1 connections of a configuration that needs nothing but forwarding are relayed
    // below Armeria; added filter decorators must see every request, so they turn it off.
    boolean decorated = b.decorators.values().stream().anyMatch(l -> !l.isEmpty());
    this.relay = new Http1Relay(current, decorated, initial, registry, limits, canaries);

    ServerBuilder sb = Server.builder()
        .port(socket(initial.listen()), SessionProtocol.HTTP)
        .bossGroupFactory(BossGroups::newBossGroup)
        .workerGroup(workers, false)
        .requestTimeout(Duration.ZERO)
        .idleTimeout(initial.idleTimeout())
        .http2MaxStreamsPerConnection(initial.http2MaxConcurrentStreams())
        .http2MaxResetFramesPerWindow(initial.http2MaxResetsPerMinute(), 60)
        .childChannelPipelineCustomizer(Http2ControlFrameGuard.installer(
            new Http2ControlFrameGuard.Limits(initial.http2MaxQueuedControlFrames(),
                initial.http2MaxPriorityFramesPerStream(),
                initial.http2MaxWindowUpdatesPerDataFrame())))
        .childChannelPipelineCustomizer(PipelineErrorWatch.installer(fatal))
        // A response's head and body in one write when both are ready (one sendto, not two).
        .childChannelPipelineCustomizer(ResponseHeadCoalescer.installer())
        // Before the embedder's customizer: a handler it puts first stays outside the relay's.
        .childChannelPipelineCustomizer(relay.installer())
        .childChannelPipelineCustomizer(b.pipelineCustomizer)
        .errorHandler(new ProxyErrorHandler(fatal))
        .maxRequestLength(initial.maxRequestLength())
        .http1MaxHeaderSize(headerLimit)
        .http2MaxHeaderListSize(headerLimit)
        .gracefulShutdown(gracefulShutdown(initial.shutdownTimeout()))
        .meterRegistry(registry)
        .serviceUnder("/", WebSocketUpgrade.capable(routed));
    initial.tls().ifPresent(tls -> {
      FileTlsProvider keys = new FileTlsProvider("the TLS listener", tls.cert(), tls.key(), null);
      poll(keys);
      // Optional at the handshake: each route decides whether it needs a certificate.
      X509TrustManager trust = initial.authn().mtls() == null ? null
          : authentication.trustManager(() -> current.get().config());
      ServerTlsConfigBuilder tc = ServerTlsConfig.builder().tlsCustomizer(ssl -> {
        ssl.protocols(protocols(tls.minVersion()));
        if (!tls.ciphers().isEmpty()) {
          ssl.ciphers(tls.ciphers());
        }
        if (trust != null) {
          ssl.trustManager(trust);
        }
      });
      if (trust != null) {
        tc.clientAuth(ClientAuth.OPTIONAL);
      }
      sb.port(socket(tls.listen()), SessionProtocol.HTTPS).tlsProvider(keys, tc.build());
    });
    this.server = sb.build();
    this.tcpListeners = new TcpListeners(initial, () -> current.get().config(), workers,
        inspection, registry, this::poll);
    this.admin = initial.admin().map(a -> {
      ServerBuilder ab = Server.builder().port(socket(a), SessionProtocol.HTTP)
          .bossGroupFactory(BossGroups::newBossGroup)
          .gracefulShutdownTimeout(Duration.ZERO, Duration.ofSeconds(1));
      AdminService.addTo(ab, current, () -> running && !fatal.failed(),
          () -> running && !draining && !fatal.failed(), registry, adminToken::get, canaries);
      return ab.build();
    }).orElse(null);
  }

  /**
   * Turns Netty's buffer leak detection off for the channels and buffers this process makes from
   * now on, unless the system property {@code io.netty.leakDetection.level} (or the older {@code
   * io.netty.leakDetectionLevel}) chose a level. By default Netty samples one buffer in 128 and
   * records a stack trace wherever a sampled buffer is touched, and every pipeline tags each
   * message it passes on: about 5 us of CPU per forwarded request, 5% of forwarding on one core
   * (async-profiler, pinned load test). {@code custos proxy} calls it before it starts; {@code
   * -Dio.netty.leakDetection.level=paranoid} still hunts leaks. Call before any channel opens.
   */
  public static void disableLeakDetectionUnlessConfigured() {
    if (System.getProperty("io.netty.leakDetection.level") == null
        && System.getProperty("io.netty.leakDetectionLevel") == null) {
      io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
    }
  }

  /** Returns a builder for a proxy serving a configuration. */
  public static CustosProxyBuilder builder(ProxyConfig config) {
    return new CustosProxyBuilder(config);
  }

  /**
   * Starts the listeners (and the watcher, for a configuration loaded from a file); returns once
   * they accept connections.
   *
   * @throws java.util.concurrent.CompletionException if an HTTP or admin listener cannot bind
   * @throws IllegalStateException if a {@code tcp_listeners} listener cannot bind (the others are
   *     stopped again)
   */
  public synchronized CustosProxy start() {
    if (running) {
      return this;
    }
    ProxyConfig now = current.get().config();
    shared.update(now.sharedState().orElse(null));
    if (now.sharedState().isPresent() && inspection.identityKey().isEphemeral()) {
      logger.warn("shared_state: no evidence key set (CUSTOS_EVIDENCE_KEY or"
          + " CUSTOS_EVIDENCE_KEY_FILE): this process hashes identities under a random key, so"
          + " replicas will not share budgets or per-caller rate limits");
    }
    if (!shared.awaitConnected()) {
      logger.warn("shared_state: redis is not reachable yet; until it is, {}",
          now.sharedState().map(st -> st.onUnavailable()
              == ProxyConfig.SharedState.OnUnavailable.FAIL_CLOSED
              ? "requests that need budgets, shared rate limits or nonces get 503"
              : "budgets, rate limits and nonces are counted in this process's memory")
              .orElse(""));
    }
    findings.configure(now.findingsFile().orElse(null));
    findings.configureCommand(sender(now));
    accessLog.configure(now.accessLog());
    server.start().join();
    if (admin != null) {
      try {
        admin.start().join();
      } catch (RuntimeException e) {
        server.stop().join();
        throw e;
      }
    }
    try {
      tcpListeners.start();
    } catch (RuntimeException e) {
      CompletableFuture.allOf(server.stop(),
          admin == null ? CompletableFuture.completedFuture(null) : admin.stop()).join();
      throw e;
    }
    running = true;
    draining = false;
    synchronized (policyLock) {
      pullWith(local.command().orElse(null));
      pullConfigWith(local.command().orElse(null));
    }
    Path source = initial.source().orElse(null);
    if (watch && source != null) {
      watcher = new ConfigWatcher(source, local, reloadInterval, this::apply, registry, fatal);
    }
    return this;
  }

  /**
   * Shuts down gracefully, as on SIGTERM: {@code /readyz} answers 503 at once while the listeners
   * keep accepting and serving for {@code drain_timeout} (time for load balancers and Kubernetes
   * endpoints to stop sending traffic), then {@link #stop()} lets exchanges in flight finish for
   * up to {@code shutdown_timeout}, answering new requests meanwhile with a JSON 503. Returns when
   * the proxy has stopped; an interrupt ends the drain early.
   */
  public void shutdown() {
    if (!running) {
      return;
    }
    draining = true;
    Duration drain = current.get().config().drainTimeout();
    logger.info("shutting down: /readyz answers 503; serving for {} ms more (drain_timeout),"
        + " then up to {} ms for exchanges in flight (shutdown_timeout)", drain.toMillis(),
        initial.shutdownTimeout().toMillis());
    try {
      Thread.sleep(drain.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      stop();
    }
  }

  /** Returns whether {@code /readyz} answers 200: started, not shutting down, no fatal error. */
  public boolean ready() {
    return running && !draining && !fatal.failed();
  }

  /**
   * Stops the watcher and the listeners, letting exchanges in flight finish for up to {@code
   * shutdown_timeout} (new requests meanwhile get a JSON 503); {@link #shutdown()} drains first.
   */
  public synchronized void stop() {
    running = false;
    if (stopped) {
      return;
    }
    stopped = true;
    if (watcher != null) {
      watcher.close();
      watcher = null;
    }
    synchronized (policyLock) {
      pullWith(null);
      pullConfigWith(null);
    }
    tcpListeners.close(initial.shutdownTimeout());
    relay.stop();
    // Stopped together: each gives its open HTTP/2 connections up to a second after their GOAWAY.
    CompletableFuture.allOf(server.stop(),
        admin == null ? CompletableFuture.completedFuture(null) : admin.stop()).join();
    upstreams.close();
    relay.close();
    for (ClientFactory f : factories.values()) {
      f.closeAsync();
    }
    factories.clear();
    wasmFilters.close();
    tlsReloader.shutdownNow();
    workers.shutdownGracefully(0, 5, java.util.concurrent.TimeUnit.SECONDS);
    findings.close();
    accessLog.close();
    tracing.close();
    limits.store().close();
    if (budgets != shared.budgets()) {
      budgets.close();
    }
    shared.close();
    processMetrics.close();
  }

  /** Stops the proxy. */
  @Override
  public void close() {
    stop();
  }

  /** Returns the cleartext listener's bound port. */
  public int activeHttpPort() {
    return server.activeLocalPort(SessionProtocol.HTTP);
  }

  /** Returns the TLS listener's bound port, if one is configured. */
  public OptionalInt activeHttpsPort() {
    return initial.tls().isPresent()
        ? OptionalInt.of(server.activeLocalPort(SessionProtocol.HTTPS)) : OptionalInt.empty();
  }

  /** Returns the bound port of the layer-4 listener named {@code name}, once started. */
  public OptionalInt activeTcpPort(String name) {
    return tcpListeners.port(requireNonNull(name, "name"));
  }

  /** Returns the admin server's bound port, if one is configured. */
  public OptionalInt activeAdminPort() {
    return admin == null ? OptionalInt.empty() : OptionalInt.of(admin.activeLocalPort());
  }

  /** Returns the configuration new requests run under. */
  public ProxyConfig config() {
    return current.get().config();
  }

  /** Returns the registry the proxy's metrics go to. */
  public PrometheusMeterRegistry meterRegistry() {
    return registry;
  }

  /**
   * Serves a new configuration from the next request on; listener settings stay as they were
   * at start.
   */
  public void reload(ProxyConfig config) {
    apply(requireNonNull(config, "config"));
  }

  /**
   * Applies a new local configuration, keeping a pulled configuration and a pulled policy in
   * place of its own while it still pulls them.
   */
  private void apply(ProxyConfig next) {
    synchronized (policyLock) {
      ProxyConfig.PolicyPull pull = next.command().map(ProxyConfig.Command::policyPull)
          .orElse(null);
      PulledPolicy keep = pull == null ? null : pulled;
      boolean pullsConfig = next.command().map(ProxyConfig.Command::configPull).isPresent();
      PulledConfig keepConfig = pullsConfig ? pulledConfig : null;
      applyEffective(effective(next, keepConfig, keep));
      local = next;
      pulled = keep;
      pulledConfig = keepConfig;
      if (running) {
        pullWith(next.command().orElse(null));
        pullConfigWith(next.command().orElse(null));
      }
    }
  }

  /**
   * Runs a policy pulled from the command plane from the next request on (null: the local
   * policy again), unless {@code source} is no longer this proxy's puller.
   */
  private boolean applyPulled(PolicyPuller source, @Nullable PulledPolicy policy) {
    synchronized (policyLock) {
      if (source != puller) {
        return false;
      }
      if (policy == null && pulled == null) {
        return true;
      }
      applyEffective(effective(local, pulledConfig, policy));
      pulled = policy;
      return true;
    }
  }

  /**
   * Runs a configuration pulled from the command plane from the next request on (null: the
   * bootstrap file again), unless {@code source} is no longer this proxy's configuration puller.
   *
   * @throws ConfigRefusedException if it has a command section or would change a listener
   */
  private boolean applyPulledConfig(ConfigPuller source, @Nullable PulledConfig config) {
    synchronized (policyLock) {
      if (source != configPuller) {
        return false;
      }
      if (config == null && pulledConfig == null) {
        return true;
      }
      ProxyConfig next = effective(local, config, pulled);
      if (config != null) {
        refuseUnlessLive(config, next, initial);
      }
      applyEffective(next);
      pulledConfig = config;
      return true;
    }
  }

  /**
   * Refuses a pulled configuration that cannot be applied live: one with a command section (the
   * bootstrap file's stays in force), or one whose listener settings differ from {@code bound}.
   */
  private static void refuseUnlessLive(PulledConfig config, ProxyConfig next, ProxyConfig bound) {
    if (config.config().command().isPresent()) {
      throw new ConfigRefusedException("command: set in the pulled configuration (expected: no"
          + " command section; the bootstrap file's stays in force)");
    }
    List<String> changes = next.listenerChanges(bound);
    if (!changes.isEmpty()) {
      throw new ConfigRefusedException(String.join(", ", changes) + ": differ from what this"
          + " process was started with (expected: the same; listener settings apply only at a"
          + " restart, from the bootstrap file)");
    }
  }

  /**
   * Returns the configuration kept in the bootstrap's config cache file, when it is valid and
   * can run with the bootstrap's listener settings; else null (logged).
   */
  private static @Nullable PulledConfig cachedConfig(ProxyConfig bootstrap) {
    ProxyConfig.PolicyPull pull = bootstrap.command().map(ProxyConfig.Command::configPull)
        .orElse(null);
    if (pull == null) {
      return null;
    }
    PulledConfig cached = ConfigCache.read(pull.cacheFile(), baseDir(bootstrap));
    if (cached == null) {
      return null;
    }
    try {
      refuseUnlessLive(cached, effective(bootstrap, cached, null), bootstrap);
    } catch (ConfigRefusedException e) {
      logger.warn("config cache {}: {} not used: {}", pull.cacheFile(), cached.label(),
          e.getMessage());
      return null;
    }
    return cached;
  }

  /** Returns the folder relative paths in a pulled configuration resolve against. */
  private static Path baseDir(ProxyConfig bootstrap) {
    return bootstrap.source().map(p -> p.toAbsolutePath().getParent())
        .orElse(Path.of("").toAbsolutePath());
  }

  /** Returns the version new requests run under, for the puller. */
  private String runningVersion() {
    return current.get().config().version();
  }

  /**
   * Returns what runs: the bootstrap, or a pulled configuration with the bootstrap's command
   * section; with a pulled policy in place of its own. Its version, reported to the plane and
   * in events, is the pulled policy's label ({@code name@N}, {@code +shadow} in shadow mode) or
   * else the running configuration's digest, preceded by {@code config@M/} when a configuration
   * was pulled.
   */
  private static ProxyConfig effective(ProxyConfig bootstrap, @Nullable PulledConfig c,
      @Nullable PulledPolicy p) {
    ProxyConfig base = c == null ? bootstrap
        : c.config().withBootstrap(bootstrap.command().orElse(null),
            bootstrap.source().orElse(null), c.label() + "/" + c.config().version());
    if (p == null) {
      return base;
    }
    return base.withPolicy(p.policy(), c == null ? p.runningVersion()
        : c.label() + "/" + p.runningVersion());
  }

  /** Returns the findings sender's settings: the command section without its pulls. */
  private static ProxyConfig.@Nullable Command sender(ProxyConfig config) {
    return config.command().map(c -> c.withPolicyPull(null).withConfigPull(null)).orElse(null);
  }

  /**
   * Starts, keeps or stops the configuration puller for these settings (null: none); a pulled
   * configuration stays in place while the settings only change. Called holding {@link
   * #policyLock}.
   */
  private void pullConfigWith(ProxyConfig.@Nullable Command command) {
    boolean wanted = command != null && command.configPull() != null;
    if (configPuller != null && wanted && configPuller.command().equals(command)) {
      return;
    }
    if (configPuller != null) {
      configPuller.close();
      configPuller = null;
    }
    if (wanted) {
      Path dir = baseDir(local);
      ConfigPuller.Target target = new ConfigPuller.Target() {
        @Override
        public boolean apply(ConfigPuller source, @Nullable PulledConfig config) {
          return applyPulledConfig(source, config);
        }

        @Override
        public String runningVersion() {
          return CustosProxy.this.runningVersion();
        }

        @Override
        public Path baseDir() {
          return dir;
        }
      };
      PulledConfig c = pulledConfig;
      configPuller = new ConfigPuller(command, target, c == null ? null : c.etag(), registry)
          .start();
    }
  }

  /**
   * Starts, keeps or stops the policy puller for these settings (null: none); a pulled policy
   * stays in place while the settings only change. Called holding {@link #policyLock}.
   */
  private void pullWith(ProxyConfig.@Nullable Command command) {
    boolean wanted = command != null && command.policyPull() != null;
    if (puller != null && wanted && puller.command().equals(command)) {
      return;
    }
    if (puller != null) {
      puller.close();
      puller = null;
    }
    if (wanted) {
      PolicyPuller.Target target = new PolicyPuller.Target() {
        @Override
        public boolean apply(PolicyPuller source, @Nullable PulledPolicy policy) {
          return applyPulled(source, policy);
        }

        @Override
        public String runningVersion() {
          return CustosProxy.this.runningVersion();
        }
      };
      PulledPolicy p = pulled;
      puller = new PolicyPuller(command, target, p == null ? null : p.etag(), registry).start();
    }
  }

  private void applyEffective(ProxyConfig next) {
    if (next.listenersDiffer(initial)) {
      logger.warn("config reload: listen, admin, tls, authn.mtls, idle_timeout,"
          + " max_request_length, workers, shutdown_timeout, http2_max_concurrent_streams,"
          + " http2_max_queued_control_frames, http2_max_resets_per_minute,"
          + " http2_max_priority_frames_per_stream, http2_max_window_updates_per_data_frame,"
          + " tcp_listeners or a larger limits.max_header_size changed in {}; those take effect after a restart",
          next.sourceName());
    }
    Map<String, List<WasmFilterRuntime>> filters = wasmFilters.prepare(next);
    try {
      authentication.prepare(next);
    } catch (RuntimeException e) {
      wasmFilters.abandon(filters);
      throw e;
    }
    try {
      byte[] token = AdminService.tokenDigest(next);
      boolean exposed = initial.admin().map(a -> !ProxyConfig.isLoopback(a.host())).orElse(false);
      if (token == null && exposed) {
        // The admin listener stays where it was bound at start: never without a token.
        logger.warn("config reload: no admin token in {} while admin listens on {}; the previous"
            + " token stays", next.sourceName(), initial.admin().get());
      } else {
        adminToken.set(token);
      }
    } catch (IllegalArgumentException e) {
      logger.warn("config reload: admin token cannot be read ({}); the previous one stays",
          e.getMessage());
    }
    inspection.prepareInBackground(next.policy());
    if (running) {
      findings.configure(next.findingsFile().orElse(null));
      findings.configureCommand(sender(next));
      accessLog.configure(next.accessLog());
    }
    canaries.reset(next);
    if (running) {
      try {
        shared.update(next.sharedState().orElse(null));
      } catch (RuntimeException e) {
        logger.warn("config reload: shared_state kept as it was: {}", e.getMessage());
      }
    }
    current.set(new Snapshot(next, upstreams.update(next), filters, this::factory, affinity));
    wasmFilters.commit(filters);
    logger.info("config reloaded: {} ({} routes, {} clusters)", next.sourceName(),
        next.routes().size(), next.clusters().size());
  }

  /** What clusters may share a client factory (and so its connection pool) by. */
  private record FactoryKey(Duration connectTimeout, ProxyConfig.@Nullable UpstreamTls tls) {}

  private ClientFactory factory(ProxyConfig.Cluster cluster) {
    return factories.computeIfAbsent(new FactoryKey(cluster.connectTimeout(), cluster.tls()),
        k -> {
          Duration t = k.connectTimeout();
          ClientFactoryBuilder b = ClientFactory.builder()
              .workerGroup(workers, false)
              .eventLoopSchedulerFactory(CallerEventLoopScheduler::new)
              .connectTimeout(t.isZero() ? Duration.ofDays(1) : t);
          ProxyConfig.UpstreamTls tls = k.tls();
          if (tls != null) {
            FileTlsProvider material = new FileTlsProvider("cluster " + cluster.name(),
                tls.cert(), tls.key(), tls.ca());
            poll(material);
            ClientTlsConfigBuilder tc = ClientTlsConfig.builder()
                .tlsCustomizer(ssl -> ssl.protocols(protocols(tls.minVersion())));
            if (tls.insecureSkipVerify()) {
              logger.warn("cluster {}: insecure_skip_verify is set; the upstream's certificate"
                  + " is not verified", cluster.name());
              tc.tlsNoVerify();
            }
            b.tlsProvider(material, tc.build());
          }
          return b.build();
        });
  }

  private void poll(FileTlsProvider material) {
    long ms = Math.max(10, reloadInterval.toMillis());
    tlsReloader.scheduleWithFixedDelay(fatal.guard("custos-tls-reload", material::poll), ms, ms,
        TimeUnit.MILLISECONDS);
  }

  /**
   * Returns the listeners' graceful shutdown: no quiet period (the drain happens before), exchanges
   * in flight get {@code timeout} to finish; zero stops at once.
   */
  private static GracefulShutdown gracefulShutdown(Duration timeout) {
    if (timeout.isZero()) {
      return GracefulShutdown.disabled();
    }
    // Armeria disables graceful shutdown for a zero quiet period: the shortest one keeps it on.
    return GracefulShutdown.builder()
        .quietPeriod(Duration.ofMillis(1))
        .timeout(timeout)
        .build();
  }

  /** Returns the protocols from a minimum version on; TLS 1.0 and 1.1 are never enabled. */
  private static String[] protocols(String minVersion) {
    return minVersion.equals("TLSv1.3") ? new String[] {"TLSv1.3"}
        : new String[] {"TLSv1.3", "TLSv1.2"};
  }

  private static InetSocketAddress socket(ProxyConfig.Address a) {
    return new InetSocketAddress(a.host(), a.port());
  }
}
