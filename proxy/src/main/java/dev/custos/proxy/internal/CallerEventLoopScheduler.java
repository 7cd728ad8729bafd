package dev.custos.proxy.internal;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.EventLoopScheduler;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.util.ReleasableHolder;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs an upstream request on the event loop of the thread that makes it, when that thread is one
 * of the group's event loops; otherwise on the group's loops in turn.
 *
 * <p>The proxy's listener and its upstream clients share one worker group, so a request served on
 * loop <i>n</i> reaches its upstream over a connection that loop <i>n</i> owns: reading the
 * client, writing the upstream, reading the upstream and writing the client all happen on one
 * thread, with no hand-off between threads (each hand-off costs a wake-up and a context switch).
 * Each loop keeps its own pool of upstream connections, as in Envoy's per-worker pools.
 */
public final class CallerEventLoopScheduler implements EventLoopScheduler {
  private final List<Holder> loops;
  private final AtomicInteger next = new AtomicInteger();

  /** Schedules on the loops of {@code group}. */
  public CallerEventLoopScheduler(EventLoopGroup group) {
    requireNonNull(group, "group");
    List<Holder> list = new ArrayList<>();
    for (EventExecutor e : group) {
      list.add(new Holder((EventLoop) e));
    }
    if (list.isEmpty()) {
      throw new IllegalArgumentException("group: no event loops (expected: at least one)");
    }
    this.loops = List.copyOf(list);
  }

  @Override
  public ReleasableHolder<EventLoop> acquire(SessionProtocol sessionProtocol,
      EndpointGroup endpointGroup, Endpoint endpoint) {
    for (Holder h : loops) {
      if (h.loop.inEventLoop()) {
        return h;
      }
    }
    return loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
  }

  /** An event loop that is never given back: the group outlives every request. */
  private record Holder(EventLoop loop) implements ReleasableHolder<EventLoop> {
    @Override
    public EventLoop get() {
      return loop;
    }

    @Override
    public void release() {}
  }
}
