package dev.custos.proxy.internal.upstream;

import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.endpoint.AbstractEndpointSelector;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.client.endpoint.EndpointSelectionStrategy;
import com.linecorp.armeria.client.endpoint.EndpointSelector;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Chooses the endpoint with the fewest requests in flight from this proxy, ties broken in turn.
 * Armeria 1.40 has no least-loaded strategy; this one counts a request from its endpoint's
 * selection until its log completes (the response's end, or its failure). Each selection scans
 * the endpoints once: O(endpoints) time, one counter per endpoint. Thread-safe; the count is
 * per proxy, not shared between replicas.
 */
final class LeastLoadedStrategy implements EndpointSelectionStrategy {
  @Override
  public EndpointSelector newSelector(EndpointGroup group) {
    return new Selector(group);
  }

  private static final class Selector extends AbstractEndpointSelector {
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final AtomicInteger turn = new AtomicInteger();

    Selector(EndpointGroup group) {
      super(group);
      initialize();
    }

    @Override
    protected @Nullable Endpoint doSelectNow(ClientRequestContext ctx) {
      List<Endpoint> endpoints = group().endpoints();
      int n = endpoints.size();
      if (n == 0) {
        return null;
      }
      int start = Math.floorMod(turn.getAndIncrement(), n);
      Endpoint best = null;
      AtomicInteger bestCount = null;
      int bestLoad = Integer.MAX_VALUE;
      for (int i = 0; i < n; i++) {
        Endpoint e = endpoints.get((start + i) % n);
        AtomicInteger count = inFlight.computeIfAbsent(EjectingEndpointGroup.label(e),
            k -> new AtomicInteger());
        int load = count.get();
        if (load < bestLoad) {
          best = e;
          bestCount = count;
          bestLoad = load;
        }
      }
      AtomicInteger chosen = bestCount;
      chosen.incrementAndGet();
      ctx.log().whenComplete().thenRun(chosen::decrementAndGet);
      return best;
    }
  }
}
