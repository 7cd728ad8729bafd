package dev.custos.proxy.internal.upstream;

import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.ClientRequestContextCaptor;
import com.linecorp.armeria.client.Clients;
import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.client.endpoint.healthcheck.AbstractHealthCheckedEndpointGroupBuilder;
import com.linecorp.armeria.client.endpoint.healthcheck.HealthCheckerContext;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.util.AsyncCloseable;
import dev.custos.proxy.ClusterOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Builds Armeria's {@code HealthCheckedEndpointGroup} with a checker that has what Armeria's own
 * HTTP checker lacks: healthy and unhealthy thresholds. Each endpoint is asked {@code GET path}
 * every interval; its first answer decides its initial state, after that it takes {@code
 * unhealthy_threshold} failures in a row to leave and {@code healthy_threshold} passes in a row
 * to come back.
 */
final class ThresholdHealthCheck
    extends AbstractHealthCheckedEndpointGroupBuilder<ThresholdHealthCheck> {
  private final ClusterOptions.HealthCheck spec;
  private final BiConsumer<Endpoint, Boolean> onChange;

  /**
   * Returns a builder.
   *
   * @param onChange told each time an endpoint's health changes (and its first result)
   */
  ThresholdHealthCheck(EndpointGroup delegate, ClusterOptions.HealthCheck spec,
      BiConsumer<Endpoint, Boolean> onChange) {
    super(delegate);
    this.spec = spec;
    this.onChange = onChange;
  }

  @Override
  protected Function<? super HealthCheckerContext, ? extends AsyncCloseable> newCheckerFactory() {
    return ctx -> new Checker(ctx, spec, onChange);
  }

  /** Checks one endpoint until closed; its state is only touched on the context's executor. */
  private static final class Checker implements AsyncCloseable {
    private final HealthCheckerContext ctx;
    private final ClusterOptions.HealthCheck spec;
    private final BiConsumer<Endpoint, Boolean> onChange;
    private final WebClient client;
    private @Nullable Boolean healthy;
    private int passes;
    private int failures;
    private volatile boolean closed;
    private volatile @Nullable ScheduledFuture<?> next;

    Checker(HealthCheckerContext ctx, ClusterOptions.HealthCheck spec,
        BiConsumer<Endpoint, Boolean> onChange) {
      this.ctx = ctx;
      this.spec = spec;
      this.onChange = onChange;
      this.client = WebClient.builder(ctx.protocol(), ctx.endpoint())
          .options(ctx.clientOptions())
          .responseTimeout(spec.timeout())
          .build();
      ctx.executor().execute(this::check);
    }

    private void check() {
      if (closed) {
        return;
      }
      HttpResponse res;
      ClientRequestContext rctx;
      try (ClientRequestContextCaptor captor = Clients.newContextCaptor()) {
        res = client.get(spec.path());
        rctx = captor.get();
      }
      res.aggregate().handle((agg, cause) -> {
        ResponseHeaders headers = cause == null ? agg.headers() : null;
        ctx.executor().execute(() -> record(rctx, headers, cause));
        return null;
      });
    }

    private void record(ClientRequestContext rctx, @Nullable ResponseHeaders headers,
        @Nullable Throwable cause) {
      if (closed) {
        return;
      }
      boolean pass = headers != null && headers.status().isSuccess();
      Boolean was = healthy;
      if (pass) {
        failures = 0;
        passes++;
      } else {
        passes = 0;
        failures++;
      }
      boolean now;
      if (was == null) {
        now = pass;
      } else if (was) {
        now = failures < spec.unhealthyThreshold();
      } else {
        now = passes >= spec.healthyThreshold();
      }
      // Armeria wants every result; the threshold decides the health it is given.
      ctx.updateHealth(now ? 1 : 0, rctx, headers, cause);
      if (was == null || was != now) {
        healthy = now;
        onChange.accept(ctx.originalEndpoint(), now);
      }
      next = ctx.executor().schedule(this::check, spec.interval().toMillis(),
          TimeUnit.MILLISECONDS);
    }

    @Override
    public CompletableFuture<?> closeAsync() {
      closed = true;
      ScheduledFuture<?> n = next;
      if (n != null) {
        n.cancel(false);
      }
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
      closeAsync();
    }
  }
}
