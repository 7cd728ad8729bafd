package dev.custos.proxy.extproc;

import static java.util.Objects.requireNonNull;

import dev.custos.proxy.FindingsSink;
import dev.custos.proxy.ProxyConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** Builds an {@link ExtProcServer}. Not thread-safe; the server it builds is. */
public final class ExtProcServerBuilder {
  /** The default address: Envoy beside it in the same pod or host. */
  public static final InetSocketAddress DEFAULT_LISTEN = new InetSocketAddress("127.0.0.1", 9002);

  final ProxyConfig config;
  InetSocketAddress listen = DEFAULT_LISTEN;
  FindingsSink findingsSink = FindingsSink.noop();
  @Nullable PrometheusMeterRegistry registry;
  Duration reloadInterval = Duration.ofSeconds(1);
  boolean watch = true;

  ExtProcServerBuilder(ProxyConfig config) {
    this.config = requireNonNull(config, "config");
  }

  /**
   * Sets the address the gRPC server listens on (port 0: any free port). Default {@link
   * #DEFAULT_LISTEN}.
   */
  public ExtProcServerBuilder listen(InetSocketAddress address) {
    this.listen = requireNonNull(address, "address");
    return this;
  }

  /**
   * Sets where one findings event per inspected message goes, in addition to the configuration's
   * {@code findings.file}. Default: none.
   */
  public ExtProcServerBuilder findingsSink(FindingsSink sink) {
    this.findingsSink = requireNonNull(sink, "sink");
    return this;
  }

  /** Sets the registry the inspection's metrics go to. Default: a registry of its own. */
  public ExtProcServerBuilder meterRegistry(PrometheusMeterRegistry registry) {
    this.registry = requireNonNull(registry, "registry");
    return this;
  }

  /** Sets how often the configuration file and its policy are checked for changes. Default 1 s. */
  public ExtProcServerBuilder reloadInterval(Duration interval) {
    requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
    }
    this.reloadInterval = interval;
    return this;
  }

  /** Sets whether a configuration loaded from a file is reloaded when it changes. Default true. */
  public ExtProcServerBuilder watch(boolean watch) {
    this.watch = watch;
    return this;
  }

  /** Returns a new server; it compiles the policy's detectors now. */
  public ExtProcServer build() {
    PrometheusMeterRegistry r = registry != null ? registry
        : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    return new ExtProcServer(this, r);
  }
}
