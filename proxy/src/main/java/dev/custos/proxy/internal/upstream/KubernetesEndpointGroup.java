package dev.custos.proxy.internal.upstream;

import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.endpoint.DynamicEndpointGroup;
import com.linecorp.armeria.client.endpoint.EndpointSelectionStrategy;
import dev.custos.proxy.ClusterOptions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoints of a Kubernetes Service, from its EndpointSlices (label {@code
 * kubernetes.io/service-name}) through a fabric8 informer: the addresses of the endpoints whose
 * {@code ready} condition is not false, on the slice port that matches the configured one (by
 * name, or by number), updated as the slices change. Terminating and unready endpoints leave at
 * once. Until the first list completes the group has no endpoints and is not yet ready (requests
 * wait for it up to Armeria's selection timeout); afterwards an empty Service is an empty group.
 *
 * <p>The informer runs on fabric8's threads and retries a failed list or watch with its own
 * backoff for as long as the group is open, so a proxy started before its API server is
 * reachable, or that lost it, catches up by itself. Thread-safe.
 */
final class KubernetesEndpointGroup extends DynamicEndpointGroup {
  private static final Logger logger = LoggerFactory.getLogger(KubernetesEndpointGroup.class);

  /** The label the EndpointSlice controller puts on every slice of a Service. */
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private final String cluster;
  private final String namespace;
  private final ClusterOptions.Kubernetes target;
  private final @Nullable String serverName;
  private final Map<String, EndpointSlice> slices = new ConcurrentHashMap<>();
  private final AtomicBoolean warned = new AtomicBoolean();
  private final SharedIndexInformer<EndpointSlice> informer;
  private final Object lock = new Object();

  /**
   * Starts watching.
   *
   * @param cluster the cluster's name, for log lines
   * @param client the client (its namespace is the default one)
   * @param target the Service, its namespace (null for the client's) and port
   * @param serverName the TLS server name to dial the addresses with, or null
   */
  KubernetesEndpointGroup(String cluster, KubernetesClient client,
      ClusterOptions.Kubernetes target, @Nullable String serverName) {
    super(EndpointSelectionStrategy.weightedRoundRobin(), true);
    this.cluster = cluster;
    this.target = target;
    this.serverName = serverName;
    String ns = target.namespace();
    this.namespace = ns != null ? ns : namespaceOf(client);
    this.informer = client.discovery().v1().endpointSlices().inNamespace(namespace)
        .withLabel(SERVICE_NAME_LABEL, target.service())
        .runnableInformer(0);
    informer.exceptionHandler((started, t) -> {
      if (warned.compareAndSet(false, true)) {
        logger.warn("cluster {}: cannot watch the EndpointSlices of {}/{} ({}); retrying", cluster,
            namespace, target.service(), t.getClass().getSimpleName());
      }
      return true;
    });
    informer.addEventHandler(new ResourceEventHandler<EndpointSlice>() {
      @Override
      public void onAdd(EndpointSlice slice) {
        slices.put(key(slice), slice);
        refresh();
      }

      @Override
      public void onUpdate(EndpointSlice old, EndpointSlice slice) {
        slices.put(key(slice), slice);
        refresh();
      }

      @Override
      public void onDelete(EndpointSlice slice, boolean deletedFinalStateUnknown) {
        slices.remove(key(slice));
        refresh();
      }
    });
    informer.start().whenComplete((ok, e) -> {
      if (e == null) {
        if (warned.getAndSet(false)) {
          logger.info("cluster {}: watching the EndpointSlices of {}/{}", cluster, namespace,
              target.service());
        }
        refresh();
      }
    });
  }

  private static String namespaceOf(KubernetesClient client) {
    String ns = client.getNamespace();
    return ns != null ? ns : "default";
  }

  private static String key(EndpointSlice slice) {
    return slice.getMetadata() == null ? "" : String.valueOf(slice.getMetadata().getName());
  }

  /** Returns the namespace watched. */
  String namespace() {
    return namespace;
  }

  /** Sets the group's endpoints from the slices seen so far; called on fabric8's thread. */
  private void refresh() {
    if (!informer.hasSynced()) {
      return;
    }
    List<Endpoint> next;
    synchronized (lock) {
      next = endpoints(slices.values(), target.port(), serverName);
      setEndpoints(next);
    }
    logger.debug("cluster {}: {} ready endpoints from {}/{}", cluster, next.size(), namespace,
        target.service());
  }

  /**
   * Returns the ready endpoints of some EndpointSlices on a port (its name, or its number as
   * text), each address once, in a stable order.
   */
  static List<Endpoint> endpoints(Iterable<EndpointSlice> slices, String port,
      @Nullable String serverName) {
    Set<Endpoint> out = new LinkedHashSet<>();
    List<EndpointSlice> sorted = new ArrayList<>();
    slices.forEach(sorted::add);
    sorted.sort(java.util.Comparator.comparing(KubernetesEndpointGroup::key));
    for (EndpointSlice slice : sorted) {
      Integer number = portNumber(slice.getPorts(), port);
      if (number == null || slice.getEndpoints() == null) {
        continue;
      }
      boolean fqdn = "FQDN".equals(slice.getAddressType());
      for (io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e : slice.getEndpoints()) {
        if (!ready(e.getConditions()) || e.getAddresses() == null) {
          continue;
        }
        for (String address : e.getAddresses()) {
          if (fqdn) {
            out.add(Endpoint.of(address, number));
          } else if (serverName != null) {
            out.add(Endpoint.of(serverName, number).withIpAddr(address));
          } else {
            out.add(Endpoint.of(address, number));
          }
        }
      }
    }
    return List.copyOf(out);
  }

  /** Kubernetes: a ready condition that is absent means ready; terminating ones are not. */
  private static boolean ready(@Nullable EndpointConditions c) {
    return c == null || c.getReady() == null || c.getReady();
  }

  private static @Nullable Integer portNumber(@Nullable List<EndpointPort> ports, String port) {
    if (ports == null) {
      return null;
    }
    boolean numeric = !port.isEmpty() && port.chars().allMatch(Character::isDigit);
    for (EndpointPort p : ports) {
      if (p.getPort() == null) {
        continue;
      }
      if (numeric ? p.getPort().toString().equals(port) : port.equals(p.getName())) {
        return p.getPort();
      }
    }
    return null;
  }

  @Override
  protected void doCloseAsync(CompletableFuture<?> future) {
    try {
      informer.close();
    } finally {
      future.complete(null);
    }
  }

  @Override
  public String toString() {
    return "KubernetesEndpointGroup{" + namespace + "/" + target.service() + ":" + target.port()
        + "}";
  }
}
