package dev.custos.command.internal.alerts;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.ClientRequestContextCaptor;
import com.linecorp.armeria.client.Clients;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.client.retry.Backoff;
import com.linecorp.armeria.client.retry.RetryRule;
import com.linecorp.armeria.client.retry.RetryingClient;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.HttpStatusClass;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.logging.RequestLog;
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
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs notifications to the configured webhooks with Armeria's {@link WebClient} decorated by
 * its {@link RetryingClient}: a timeout per attempt; connection errors, timeouts, 408, 429 and
 * 5xx retried after an exponential backoff (doubling from {@code backoff}, at most 30 seconds)
 * up to {@code max_attempts}; any other status fails at once. The URL is read from its file once
 * per notification and appears in no log, metric or exception message. Thread-safe.
 */
final class Webhooks implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(Webhooks.class);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private final Map<String, AlertsConfig.Webhook> byName = new LinkedHashMap<>();
  private final Map<String, WebClient> clients = new LinkedHashMap<>();
  private final MeterRegistry registry;
  private final ClientFactory factory;

  Webhooks(List<AlertsConfig.Webhook> webhooks, MeterRegistry registry) {
    this.registry = requireNonNull(registry, "registry");
    this.factory = ClientFactory.builder().build();
    for (AlertsConfig.Webhook w : webhooks) {
      byName.put(w.name(), w);
      clients.put(w.name(), WebClient.builder().factory(factory)
          // Each attempt has its own timeout; the whole is bounded by attempts and backoff.
          .responseTimeout(Duration.ZERO)
          .maxResponseLength(1 << 16)
          .decorator(RetryingClient.builder(retryRule(w))
              .maxTotalAttempts(w.maxAttempts())
              .responseTimeoutForEachAttempt(w.timeout())
              .newDecorator())
          .build());
    }
  }

  /** Returns the rule: failures that may pass on a later attempt, after the backoff. */
  static RetryRule retryRule(AlertsConfig.Webhook w) {
    long max = MAX_BACKOFF.toMillis();
    Backoff backoff = Backoff.exponential(Math.min(w.backoff().toMillis(), max), max);
    return RetryRule.builder()
        .onException()
        .onStatus(HttpStatus.REQUEST_TIMEOUT, HttpStatus.TOO_MANY_REQUESTS)
        .onStatusClass(HttpStatusClass.SERVER_ERROR)
        .thenBackoff(backoff);
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
    URI url;
    try {
      url = AlertsBinder.readWebhookUrl(w.urlFile());
    } catch (IllegalArgumentException e) {
      logger.warn("alerts: webhook {}: {}; notification failed", w.name(), e.getMessage());
      return CompletableFuture.completedFuture(false);
    }
    HttpResponse res;
    ClientRequestContext ctx;
    try (ClientRequestContextCaptor captor = Clients.newContextCaptor()) {
      res = clients.get(w.name()).execute(HttpRequest.of(HttpMethod.POST, url.toString(),
          MediaType.JSON_UTF_8, body));
      ctx = captor.get();
    } catch (RuntimeException e) {
      logger.warn("alerts: webhook {}: cannot send: {}", w.name(), e.getClass().getSimpleName());
      return CompletableFuture.completedFuture(false);
    }
    return res.aggregate().handle((agg, err) -> err == null ? agg.status() : null)
        .thenCombine(ctx.log().whenComplete(), (status, log) -> {
          int attempts = Math.max(1, log.children().size());
          if (attempts > 1) {
            Counter.builder("custos_command_alert_webhook_retries")
                .description("Webhook attempts retried after a failure").tag("webhook", w.name())
                .register(registry).increment(attempts - 1);
          }
          if (status != null && status.isSuccess()) {
            return true;
          }
          logger.warn("alerts: webhook {}: attempt {} of {} failed ({}); notification failed",
              w.name(), attempts, w.maxAttempts(), status != null ? status.code()
                  : rootName(log));
          return false;
        });
  }

  private static String rootName(RequestLog log) {
    Throwable c = log.responseCause();
    if (c == null) {
      return "no response";
    }
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getClass().getSimpleName();
  }

  @Override
  public void close() {
    factory.close();
  }
}
