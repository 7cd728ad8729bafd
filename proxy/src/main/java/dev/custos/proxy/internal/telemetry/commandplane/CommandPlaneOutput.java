package dev.custos.proxy.internal.telemetry.commandplane;

import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.FindingsSink;
import dev.custos.proxy.ProxyConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The proxy's link to the command plane ({@code command:} in the configuration): holds the sender
 * of the current settings and replaces it when a reload changes them. The old sender hands the
 * batches it holds in memory to the new one, which starts sending once the old one has released
 * the spool folder; events keep being accepted meanwhile. {@link #accept} never blocks.
 * Thread-safe.
 */
public final class CommandPlaneOutput implements FindingsSink, AutoCloseable {
  private final MeterRegistry registry;
  private final Supplier<String> configVersion;
  private @Nullable CommandMetrics metrics;
  private ProxyConfig.@Nullable Command settings;
  private volatile @Nullable CommandSender sender;

  /**
   * Creates an output that sends nothing until {@link #configure} gives it settings.
   *
   * @param configVersion the version of the configuration the proxy runs, sent with each batch
   */
  public CommandPlaneOutput(MeterRegistry registry, Supplier<String> configVersion) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.configVersion = Objects.requireNonNull(configVersion, "configVersion");
  }

  /** Sends to the plane {@code next} describes from now on (nowhere when null). */
  public synchronized void configure(ProxyConfig.@Nullable Command next) {
    if (Objects.equals(next, settings)) {
      return;
    }
    CommandSender previous = sender;
    if (next == null) {
      sender = null;
      settings = null;
      CommandSender.await(previous.closeAsync(false), previous.closeBound());
      return;
    }
    if (metrics == null) {
      metrics = new CommandMetrics(registry, System::nanoTime);
    }
    // The new sender takes events at once; its thread starts sending once the old one is gone.
    CompletableFuture<List<Batch>> handed = previous == null
        ? CompletableFuture.completedFuture(List.of()) : previous.closed();
    sender = new CommandSender(next, configVersion, metrics, handed, new Random(),
        System::nanoTime);
    settings = next;
    if (previous != null) {
      previous.closeAsync(true);
    }
  }

  @Override
  public void accept(FindingsEvent event) {
    CommandSender s = sender;
    if (s != null) {
      s.accept(event);
    }
  }

  /**
   * Sends what is queued for up to {@code shutdown_timeout}, spools the rest, and stops the
   * sender's threads; returns when they have ended.
   */
  @Override
  public synchronized void close() {
    CommandSender s = sender;
    sender = null;
    settings = null;
    if (s != null) {
      CommandSender.await(s.closeAsync(false), s.closeBound());
    }
  }
}
