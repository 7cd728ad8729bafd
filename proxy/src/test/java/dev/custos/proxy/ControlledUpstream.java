package dev.custos.proxy;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.custos.proxy.internal.BossGroups;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An upstream the resilience tests steer: {@code /healthz} answers {@link #health}; {@code /slow}
 * holds its response until {@link #release} completes; every other path counts a hit and answers
 * 503 while {@link #failNext} is above zero, else {@link #status}, with a body that names the
 * upstream and echoes the request body.
 */
final class ControlledUpstream extends ServerExtension {
  final String name;
  final AtomicReference<HttpStatus> health = new AtomicReference<>(HttpStatus.OK);
  final AtomicReference<HttpStatus> status = new AtomicReference<>(HttpStatus.OK);
  final AtomicInteger failNext = new AtomicInteger();
  final AtomicInteger hits = new AtomicInteger();
  /** When {@code /healthz} was last asked, by {@link System#nanoTime()}. */
  final java.util.concurrent.atomic.AtomicLong lastHealthCheck =
      new java.util.concurrent.atomic.AtomicLong();
  final AtomicInteger slowInFlight = new AtomicInteger();
  final AtomicReference<CompletableFuture<Void>> release =
      new AtomicReference<>(new CompletableFuture<>());

  ControlledUpstream(String name) {
    this.name = name;
  }

  @Override
  protected void configure(ServerBuilder sb) {
    sb.bossGroupFactory(BossGroups::newBossGroup);
    sb.requestTimeout(Duration.ZERO);
    sb.service("/healthz", (ctx, req) -> {
      lastHealthCheck.set(System.nanoTime());
      return HttpResponse.of(health.get());
    });
    sb.service("/slow", (ctx, req) -> {
      hits.incrementAndGet();
      slowInFlight.incrementAndGet();
      return HttpResponse.of(release.get().thenApply(unused -> {
        slowInFlight.decrementAndGet();
        return HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, name);
      }));
    });
    sb.serviceUnder("/", (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> {
      hits.incrementAndGet();
      HttpStatus s = failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0
          ? HttpStatus.SERVICE_UNAVAILABLE : status.get();
      return HttpResponse.of(s, MediaType.PLAIN_TEXT_UTF_8, name + ":" + agg.contentUtf8());
    })));
  }

  /** Resets what the tests steer, between tests. */
  void reset() {
    health.set(HttpStatus.OK);
    status.set(HttpStatus.OK);
    failNext.set(0);
    hits.set(0);
    release.getAndSet(new CompletableFuture<>()).complete(null);
  }
}
