package dev.custos.command.internal.alerts;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.MediaType;
import dev.custos.command.AlertsConfig;
import dev.custos.command.internal.config.AlertsBinder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs notifications to the configured webhooks with Armeria's {@link WebClient}: a timeout per
 * attempt, connection errors, 408, 429 and 5xx retried after a backoff that doubles (at most 30
 * seconds) up to {@code max_attempts}; any other status fails at once. The URL is read from its
 * file at each attempt and appears in no log, metric or exception message. Thread-safe.
 */
final class Webhooks implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(Webhooks.class);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private final Map<String, AlertsConfig.Webhook> byName = new LinkedHashMap<>();
  private final Map<String, WebClient> clients = new LinkedHashMap<>();
  private final MeterRegistry registry;
  private final ClientFactory factory;
  private final ScheduledExecutorService timer;

  Webhooks(List<AlertsConfig.Webhook> webhooks, MeterRegistry registry) {
    this.registry = requireNonNull(registry, "registry");
    this.factory = ClientFactory.builder().build();
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "custos-command-webhooks");
      t.setDaemon(true);
      return t;
    });
    for (AlertsConfig.Webhook w : webhooks) {
      byName.put(w.name(), w);
      clients.put(w.name(), WebClient.builder().factory(factory).responseTimeout(w.timeout())
          .maxResponseLength(1 << 16).build());
    }
  }

  /** Returns the webhook named {@code name}, or null. */
  AlertsConfig.@Nullable Webhook get(String name) {
    return byName.get(name);
  }

  /** Returns every webhook, in configuration order. */
  List<AlertsConfig.Webhook> all() {
    return List.copyOf(byName.values());
  }

  /**
   * POSTs {@code body} to a webhook; the future completes (never exceptionally) with whether an
   * attempt was answered 2xx.
   */
  CompletableFuture<Boolean> post(AlertsConfig.Webhook w, String body) {
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    timer.execute(() -> attempt(w, body, 1, done));
    return done;
  }

  private void attempt(AlertsConfig.Webhook w, String body, int n,
      CompletableFuture<Boolean> done) {
    URI url;
    try {
      url = AlertsBinder.readWebhookUrl(w.urlFile());
    } catch (IllegalArgumentException e) {
      logger.warn("alerts: webhook {}: {}", w.name(), e.getMessage());
      retryOrFail(w, body, n, done, "url_file");
      return;
    }
    CompletableFuture<AggregatedHttpResponse> f;
    try {
      f = clients.get(w.name()).execute(HttpRequest.of(HttpMethod.POST, url.toString(),
          MediaType.JSON_UTF_8, body)).aggregate();
    } catch (RuntimeException e) {
      logger.warn("alerts: webhook {}: cannot send: {}", w.name(), e.getClass().getSimpleName());
      done.complete(false);
      return;
    }
    f.handleAsync((res, err) -> {
      if (err == null && res.status().isSuccess()) {
        done.complete(true);
      } else if (err == null && !retryable(res.status().code())) {
        logger.warn("alerts: webhook {}: answered {} (expected: 2xx); not retried", w.name(),
            res.status().code());
        done.complete(false);
      } else {
        String why = err == null ? Integer.toString(res.status().code())
            : rootName(err);
        retryOrFail(w, body, n, done, why);
      }
      return null;
    }, timer);
  }

  private void retryOrFail(AlertsConfig.Webhook w, String body, int n,
      CompletableFuture<Boolean> done, String why) {
    if (n >= w.maxAttempts()) {
      logger.warn("alerts: webhook {}: attempt {} of {} failed ({}); notification failed",
          w.name(), n, w.maxAttempts(), why);
      done.complete(false);
      return;
    }
    Counter.builder("custos_command_alert_webhook_retries")
        .description("Webhook attempts retried after a failure").tag("webhook", w.name())
        .register(registry).increment();
    logger.debug("alerts: webhook {}: attempt {} of {} failed ({}); retrying", w.name(), n,
        w.maxAttempts(), why);
    long wait = Math.min(MAX_BACKOFF.toMillis(), w.backoff().toMillis() << Math.min(n - 1, 20));
    try {
      timer.schedule(() -> attempt(w, body, n + 1, done), wait, TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      done.complete(false);
    }
  }

  private static boolean retryable(int status) {
    return status == 408 || status == 429 || status >= 500;
  }

  private static String rootName(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getClass().getSimpleName();
  }

  @Override
  public void close() {
    timer.shutdownNow();
    factory.close();
  }
}
