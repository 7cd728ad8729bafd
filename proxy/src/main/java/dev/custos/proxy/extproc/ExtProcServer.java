package dev.custos.proxy.extproc;

import static java.util.Objects.requireNonNull;

import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.ConfigWatcher;
import dev.custos.proxy.internal.FatalErrors;
import dev.custos.proxy.internal.extproc.ExtProcService;
import dev.custos.proxy.internal.inspect.ProxyInspection;
import dev.custos.proxy.internal.telemetry.FindingsOutput;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envoy's External Processing server ({@code envoy.service.ext_proc.v3.ExternalProcessor}) that
 * inspects what Envoy proxies with the same configuration, policy, findings sinks and budgets as
 * {@code custos proxy}: routes (matched on {@code :method}, {@code :authority} and {@code :path})
 * choose the inspection settings, request and response headers, bodies (Envoy's {@code STREAMED}
 * and {@code BUFFERED} modes) and trailers are scanned, and the answers redact (header and body
 * mutations) or refuse (an immediate 403 JSON answer, or gRPC status 7 for gRPC requests).
 * Clusters, listeners and the other proxy-only settings of the configuration are not used.
 *
 * <pre>{@code
 * try (ExtProcServer server = ExtProcServer.builder(ProxyConfig.load(Path.of("custos.yaml")))
 *     .listen(new InetSocketAddress("0.0.0.0", 9002)).build()) {
 *   server.start();
 *   ...
 * }
 * }</pre>
 *
 * <p>A configuration loaded from a file is reloaded when it or its policy changes, as the proxy
 * does; exchanges in flight keep the configuration they started with. Thread-safe.
 */
public final class ExtProcServer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(ExtProcServer.class);

  private final AtomicReference<ProxyConfig> current;
  private final ProxyConfig initial;
  private final PrometheusMeterRegistry registry;
  private final ProxyInspection inspection;
  private final FindingsOutput findings;
  private final FatalErrors fatal;
  private final Server server;
  private final ExtProcServerBuilder b;
  private @Nullable ConfigWatcher watcher;
  private boolean started;
  private boolean stopped;

  ExtProcServer(ExtProcServerBuilder b, PrometheusMeterRegistry registry) {
    this.b = b;
    this.initial = b.config;
    this.current = new AtomicReference<>(initial);
    this.registry = registry;
    this.fatal = new FatalErrors(registry);
    this.findings = new FindingsOutput(b.findingsSink, registry, () -> current.get().version());
    this.inspection = new ProxyInspection(registry, findings);
    inspection.prepare(initial.policy());
    ExtProcService service = new ExtProcService(current::get, inspection, registry);
    this.server = NettyServerBuilder.forAddress(b.listen, InsecureServerCredentials.create())
        .addService(ServerInterceptors.intercept(service, ExtProcService.peerInterceptor()))
        .build();
  }

  /** Returns a builder for a server inspecting with {@code config}. */
  public static ExtProcServerBuilder builder(ProxyConfig config) {
    return new ExtProcServerBuilder(config);
  }

  /**
   * Starts listening (and watching the configuration file, when it was loaded from one).
   *
   * @throws UncheckedIOException if the address cannot be bound
   */
  public synchronized ExtProcServer start() {
    if (started) {
      return this;
    }
    findings.configure(initial.findingsFile().orElse(null));
    findings.configureCommand(initial.command().orElse(null));
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException("ext_proc: cannot listen on " + b.listen + ": "
          + e.getMessage(), e);
    }
    started = true;
    Path source = initial.source().orElse(null);
    if (b.watch && source != null) {
      watcher = new ConfigWatcher(source, initial, b.reloadInterval, this::reload, registry,
          fatal);
    }
    return this;
  }

  /** Returns the port the server listens on, once started. */
  public int port() {
    return server.getPort();
  }

  /** Returns the configuration new exchanges are inspected under. */
  public ProxyConfig config() {
    return current.get();
  }

  /** Returns the registry the inspection's metrics go to. */
  public PrometheusMeterRegistry meterRegistry() {
    return registry;
  }

  /** Inspects new exchanges with {@code config} from now on (its policy compiled meanwhile). */
  public void reload(ProxyConfig config) {
    requireNonNull(config, "config");
    inspection.prepareInBackground(config.policy());
    if (started) {
      findings.configure(config.findingsFile().orElse(null));
      findings.configureCommand(config.command().orElse(null));
    }
    current.set(config);
    logger.info("config reloaded: {} ({} routes)", config.sourceName(), config.routes().size());
  }

  /** Stops listening; streams in flight get up to five seconds to end. */
  @Override
  public synchronized void close() {
    if (stopped) {
      return;
    }
    stopped = true;
    if (watcher != null) {
      watcher.close();
      watcher = null;
    }
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    findings.close();
  }

  @Override
  public String toString() {
    return "ExtProcServer{" + b.listen + "}";
  }

}
