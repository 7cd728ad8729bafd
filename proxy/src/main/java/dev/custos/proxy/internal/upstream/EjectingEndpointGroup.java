package dev.custos.proxy.internal.upstream;

import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.endpoint.DynamicEndpointGroup;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.client.endpoint.EndpointSelectionStrategy;
import dev.custos.proxy.ClusterOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoints a cluster's requests are balanced over: those of the discovery group (already
 * filtered by health checks) minus those passive outlier detection has ejected, chosen by the
 * cluster's selection strategy.
 *
 * <p>An endpoint is ejected after {@code consecutive_failures} results in a row that were 5xx or
 * no response at all; an ejection lasts {@code base_ejection_time} times the number of times in
 * a row it was ejected (at most 10), and a success resets that number. Ejection never empties the
 * group: if every endpoint would be ejected, all stay (as Envoy's panic threshold does).
 * Thread-safe; memory is one small record per endpoint.
 */
final class EjectingEndpointGroup extends DynamicEndpointGroup {
  private static final Logger logger = LoggerFactory.getLogger(EjectingEndpointGroup.class);

  private final String cluster;
  private final EndpointGroup delegate;
  private final ClusterOptions.@Nullable OutlierDetection spec;
  private final ScheduledExecutorService scheduler;
  private final LongSupplier nanoTime;
  private final Runnable onEjection;
  private final Map<String, Outcomes> outcomes = new ConcurrentHashMap<>();
  private final Consumer<List<Endpoint>> listener = unused -> refresh();

  EjectingEndpointGroup(String cluster, EndpointGroup delegate, EndpointSelectionStrategy strategy,
      ClusterOptions.@Nullable OutlierDetection spec, ScheduledExecutorService scheduler,
      LongSupplier nanoTime, Runnable onEjection) {
    super(strategy, true);
    this.cluster = cluster;
    this.delegate = delegate;
    this.spec = spec;
    this.scheduler = scheduler;
    this.nanoTime = nanoTime;
    this.onEjection = onEjection;
    delegate.addListener(listener, true);
  }

  /** Returns the label metrics and logs use for an endpoint: IP (or host) and port. */
  static String label(Endpoint e) {
    String host = e.hasIpAddr() ? e.ipAddr() : e.host();
    return (host != null && host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + e.port();
  }

  /** Returns whether an endpoint is ejected now. */
  boolean ejected(String label) {
    Outcomes o = outcomes.get(label);
    return o != null && o.isEjected(nanoTime.getAsLong());
  }

  /** Records the result of one request to {@code endpoint}. */
  void record(Endpoint endpoint, boolean failed) {
    if (spec == null) {
      return;
    }
    String label = label(endpoint);
    Outcomes o = outcomes.computeIfAbsent(label, k -> new Outcomes());
    long delayNanos;
    synchronized (o) {
      if (!failed) {
        o.consecutive = 0;
        if (!o.isEjected(nanoTime.getAsLong())) {
          o.ejections = 0;
        }
        return;
      }
      if (++o.consecutive < spec.consecutiveFailures()
          || o.isEjected(nanoTime.getAsLong())) {
        return;
      }
      o.consecutive = 0;
      o.ejections = Math.min(o.ejections + 1, 10);
      delayNanos = spec.baseEjectionTime().toNanos() * o.ejections;
      o.ejectedUntil = nanoTime.getAsLong() + delayNanos;
      o.everEjected = true;
    }
    logger.warn("cluster {}: endpoint {} ejected for {} ms after {} failures in a row", cluster,
        label, TimeUnit.NANOSECONDS.toMillis(delayNanos), spec.consecutiveFailures());
    onEjection.run();
    refresh();
    scheduler.schedule(this::refresh, delayNanos + TimeUnit.MILLISECONDS.toNanos(1),
        TimeUnit.NANOSECONDS);
  }

  private void refresh() {
    if (isClosing()) {
      return;
    }
    List<Endpoint> all = delegate.endpoints();
    List<Endpoint> kept = new ArrayList<>(all.size());
    for (Endpoint e : all) {
      if (!ejected(label(e))) {
        kept.add(e);
      }
    }
    setEndpoints(kept.isEmpty() ? all : kept);
  }

  @Override
  protected void doCloseAsync(java.util.concurrent.CompletableFuture<?> future) {
    delegate.removeListener(listener);
    future.complete(null);
  }

  /** What one endpoint's recent requests did; guarded by itself. */
  private static final class Outcomes {
    int consecutive;
    int ejections;
    long ejectedUntil;
    boolean everEjected;

    boolean isEjected(long now) {
      return everEjected && ejectedUntil - now > 0;
    }
  }
}
