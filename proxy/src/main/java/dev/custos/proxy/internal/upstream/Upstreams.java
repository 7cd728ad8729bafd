package dev.custos.proxy.internal.upstream;

import com.linecorp.armeria.client.ClientFactory;
import dev.custos.proxy.ProxyConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The cluster runtimes of the proxy across reloads. A reload keeps the runtime of every cluster
 * whose configuration is unchanged (its health state, breaker, budget and connections carry
 * over) and builds new ones for the others; replaced and removed runtimes are retired, and close
 * their endpoint groups (health checks, DNS queries, EndpointSlice watches) once their requests
 * finish. Thread-safe.
 */
public final class Upstreams implements AutoCloseable {
  private final Function<ProxyConfig.Cluster, ClientFactory> factories;
  private final EventLoopGroup workers;
  private final UpstreamMetrics metrics;
  private final Supplier<KubernetesClient> kubernetesClients;
  private @Nullable KubernetesClient kubernetes;
  private boolean ownsKubernetes;
  private Map<String, ClusterRuntime> current = Map.of();
  private final java.util.Set<ClusterRuntime> retired = new java.util.HashSet<>();

  /**
   * Creates the runtimes' home.
   *
   * @param kubernetes the Kubernetes client of clusters with {@code kubernetes:} discovery, or
   *     null to build one the first time such a cluster appears (fabric8's automatic
   *     configuration: the pod's service account, else {@code KUBECONFIG}); one built here is
   *     closed with this object, one passed in is not
   */
  public Upstreams(Function<ProxyConfig.Cluster, ClientFactory> factories, EventLoopGroup workers,
      UpstreamMetrics metrics, @Nullable KubernetesClient kubernetes) {
    this.factories = factories;
    this.workers = workers;
    this.metrics = metrics;
    this.kubernetes = kubernetes;
    this.kubernetesClients = this::kubernetesClient;
  }

  /** Returns the Kubernetes client, building it on first use; called under this object's lock. */
  private KubernetesClient kubernetesClient() {
    KubernetesClient k = kubernetes;
    if (k == null) {
      k = new KubernetesClientBuilder().build();
      kubernetes = k;
      ownsKubernetes = true;
    }
    return k;
  }

  /** Returns the metrics the runtimes report to. */
  public UpstreamMetrics metrics() {
    return metrics;
  }

  /**
   * Returns the runtimes of a configuration's clusters, reusing the unchanged ones, and retires
   * the runtimes it no longer needs.
   */
  public synchronized Map<String, ClusterRuntime> update(ProxyConfig config) {
    Map<String, ClusterRuntime> next = new HashMap<>();
    Map<String, ClusterRuntime> old = new HashMap<>(current);
    for (ProxyConfig.Cluster c : config.clusters().values()) {
      ClusterRuntime prior = old.get(c.name());
      if (prior != null && prior.config().equals(c)) {
        next.put(c.name(), prior);
        old.remove(c.name());
      } else {
        next.put(c.name(), new ClusterRuntime(c, factories, workers, metrics, kubernetesClients));
      }
    }
    for (ClusterRuntime r : next.values()) {
      metrics.serve(r);
    }
    for (Map.Entry<String, ClusterRuntime> e : old.entrySet()) {
      metrics.forget(e.getKey(), e.getValue());
      e.getValue().retire();
      retired.add(e.getValue());
    }
    retired.removeIf(ClusterRuntime::isClosed);
    current = Map.copyOf(next);
    return current;
  }

  /**
   * Closes every runtime, waiting a moment for health checkers and DNS queries to stop, so that
   * none of them runs on an event loop that is shutting down.
   */
  @Override
  public synchronized void close() {
    java.util.List<CompletableFuture<?>> closing = new java.util.ArrayList<>();
    for (ClusterRuntime r : current.values()) {
      closing.add(r.close());
    }
    for (ClusterRuntime r : retired) {
      closing.add(r.close());
    }
    current = Map.of();
    retired.clear();
    try {
      CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
          .get(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // Closing is best effort at shutdown.
    }
    KubernetesClient k = kubernetes;
    if (k != null && ownsKubernetes) {
      k.close();
      kubernetes = null;
    }
  }
}
