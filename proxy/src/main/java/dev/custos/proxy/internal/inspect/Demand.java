package dev.custos.proxy.internal.inspect;

import com.linecorp.armeria.common.stream.StreamWriter;
import io.netty.util.concurrent.EventExecutor;
import org.reactivestreams.Subscription;

/** Asks for the next element once the writer's reader took the last one. */
final class Demand {
  private Demand() {}

  /**
   * Requests one more element from {@code s} once {@code w}'s last element was consumed, on {@code
   * loop}: at once when consumed there (the usual case), else through one task.
   */
  static void requestWhenConsumed(StreamWriter<?> w, Subscription s, EventExecutor loop) {
    w.whenConsumed().thenRun(() -> {
      if (loop.inEventLoop()) {
        s.request(1);
      } else {
        loop.execute(() -> s.request(1));
      }
    });
  }
}
