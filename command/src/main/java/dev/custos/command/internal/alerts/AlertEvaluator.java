package dev.custos.command.internal.alerts;

import static java.util.Objects.requireNonNull;

import dev.custos.command.AlertsConfig;
import dev.custos.command.CommandConfig;
import dev.custos.command.internal.PeriodicTask;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates the alert rules (those of {@code command.yaml} and those created through the API)
 * every {@code alerts.interval} on its own thread, and on demand; times come from the injected
 * clock.
 *
 * <p>Per rule and subject: a condition that starts holding fires an alert (one row, keyed by
 * rule, subject and the window it started in); while it holds, the alert stays firing and is not
 * notified again; when it no longer holds, the alert resolves. An alert firing again within the
 * window it started in is reopened, not notified again. With several replicas, the one whose
 * insert (or resolving update) changed the row notifies. A firing alert matching an active
 * silence is recorded as {@code silenced} and not notified. Notifications go to the log (logger
 * {@code dev.custos.command.alerts}, one line, no value) and to the rule's webhooks; a run ends
 * once its notifications are delivered or have failed. Thread-safe.
 */
public final class AlertEvaluator implements AutoCloseable {
  /** The logger that receives one line per alert fired or resolved. */
  public static final String LOGGER = "dev.custos.command.alerts";

  private static final Logger logger = LoggerFactory.getLogger(AlertEvaluator.class);
  private static final Logger alertLog = LoggerFactory.getLogger(LOGGER);
  private static final long MAX_WAIT_MS = 10 * 60_000L;

  private final AlertStore store;
  private final AlertsConfig config;
  private final CommandConfig.Retention retention;
  private final Clock clock;
  private final MeterRegistry registry;
  private final Webhooks webhooks;
  private final PeriodicTask timer;

  /** Creates the evaluator; {@link #start} schedules it. */
  public AlertEvaluator(AlertStore store, AlertsConfig config, CommandConfig.Retention retention,
      Clock clock, MeterRegistry registry) {
    this.store = requireNonNull(store, "store");
    this.config = requireNonNull(config, "config");
    this.retention = requireNonNull(retention, "retention");
    this.clock = requireNonNull(clock, "clock");
    this.registry = requireNonNull(registry, "registry");
    this.webhooks = new Webhooks(config.webhooks(), registry);
    this.timer = new PeriodicTask("custos-command-alerts", config.interval(), this::runOnce,
        e -> {
          count("custos_command_alert_evaluation_failures", "Alert evaluations that failed",
              null);
          logger.warn("alerts: evaluation failed: {}", e.getClass().getSimpleName());
        });
  }

  /** Schedules a run every {@code interval}, the first one interval from now. */
  public void start() {
    timer.start();
  }

  /** Returns the rules: those of the configuration, then those of the API. */
  public List<StoredRule> rules() throws SQLException {
    List<StoredRule> out = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (AlertsConfig.Rule r : config.rules()) {
      out.add(new StoredRule(r, "config", "", 0, ""));
      ids.add(r.id());
    }
    for (StoredRule r : store.rules()) {
      if (ids.add(r.rule().id())) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * Evaluates every rule now (by the plane's clock), notifies, and waits for the notifications.
   *
   * @return counts of this run: {@code fired}, {@code silenced}, {@code resolved}, {@code sent}
   *     and {@code failed} (webhook notifications)
   */
  public synchronized Map<String, Long> runOnce() throws SQLException {
    long now = clock.millis();
    Map<String, Long> counts = Collections.synchronizedMap(new LinkedHashMap<>());
    for (String k : List.of("fired", "silenced", "resolved", "sent", "failed")) {
      counts.put(k, 0L);
    }
    List<Silence> silences = new ArrayList<>();
    for (Silence s : store.silences(now)) {
      if (s.activeAt(now)) {
        silences.add(s);
      }
    }
    Map<String, CompletableFuture<String>> deliveries = new LinkedHashMap<>();
    List<CompletableFuture<String>> resolutions = new ArrayList<>();
    for (StoredRule sr : rules()) {
      AlertsConfig.Rule r = sr.rule();
      List<Finding> findings = switch (r.kind()) {
        case NEW_CATEGORY_ON_EDGE -> store.newCategoryOnEdge(r, now);
        case DISTINCT_VALUES -> store.distinctValues(r, now);
        case BLOCKED_SPIKE -> store.blockedSpike(r, now);
      };
      long windowMs = r.window().toMillis();
      long windowStart = Math.floorDiv(now, windowMs) * windowMs;
      Map<String, Alert> firing = store.firing(r.id());
      Set<String> holding = new HashSet<>();
      for (Finding f : findings) {
        String key = f.subjectKey();
        holding.add(key);
        Alert open = firing.get(key);
        if (open != null) {
          store.stillFiring(open.id(), f.value(), now);
          continue;
        }
        Silence silence = null;
        for (Silence s : silences) {
          if (s.matches(r.id(), f.subject())) {
            silence = s;
            break;
          }
        }
        String id = AlertStore.alertId(r.id(), key, windowStart);
        String summary = SlackMessage.summary(r, f.subject(), f.value(), f.details());
        AlertStore.Fired fired = store.fire(id, r, f, summary, windowStart, now,
            silence == null ? "pending" : "silenced", silence == null ? "" : silence.id());
        if (fired != AlertStore.Fired.INSERTED) {
          continue;
        }
        counts.merge("fired", 1L, Long::sum);
        count("custos_command_alerts_fired", "Alerts fired (once across replicas)", r);
        Alert a = new Alert(id, r.id(), r.kind().id(), f.subject(), windowStart, "firing",
            f.value(), f.details(), summary, now, now, null, "pending", "");
        if (silence != null) {
          counts.merge("silenced", 1L, Long::sum);
          count("custos_command_alerts_silenced", "Alerts fired while silenced, not notified",
              r);
          alertLog.info("alert silenced: rule={} kind={} {} silence={} id={}", r.id(),
              r.kind().id(), labels(f.subject()), silence.id(), id);
          continue;
        }
        alertLog.warn("alert firing: rule={} kind={} {} value={} {} window_start={} id={}",
            r.id(), r.kind().id(), labels(f.subject()), f.value(), labels(f.details()),
            Instant.ofEpochMilli(windowStart), id);
        deliveries.put(id, notify(false, a, r, summary, now, counts));
      }
      for (Alert a : firing.values()) {
        if (holding.contains(Finding.subjectKey(a.subject())) || !store.resolve(a.id(), now)) {
          continue;
        }
        counts.merge("resolved", 1L, Long::sum);
        count("custos_command_alerts_resolved", "Alerts resolved", r);
        alertLog.info("alert resolved: rule={} kind={} {} id={}", r.id(), r.kind().id(),
            labels(a.subject()), a.id());
        if (!a.notification().equals("silenced")) {
          resolutions.add(notify(true, a, r, a.summary(), now, counts));
        }
      }
    }
    List<CompletableFuture<String>> all = new ArrayList<>(deliveries.values());
    all.addAll(resolutions);
    try {
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
          .get(MAX_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      logger.warn("alerts: notifications still pending after {} ms", MAX_WAIT_MS);
    }
    for (Map.Entry<String, CompletableFuture<String>> e : deliveries.entrySet()) {
      store.notified(e.getKey(), e.getValue().getNow("pending"));
    }
    store.purge(now - retention.hourRollups().toMillis());
    synchronized (counts) {
      return Map.copyOf(counts);
    }
  }

  /**
   * Posts to the rule's webhooks (resolutions: those with send_resolved); the future completes
   * with the notification's state: {@code sent}, {@code failed} or {@code logged} (no webhook).
   */
  private CompletableFuture<String> notify(boolean resolved, Alert a, AlertsConfig.Rule r,
      String summary, long now, Map<String, Long> counts) {
    List<AlertsConfig.Webhook> targets = new ArrayList<>();
    if (r.webhooks().isEmpty()) {
      targets.addAll(webhooks.all());
    } else {
      for (String name : r.webhooks()) {
        AlertsConfig.Webhook w = webhooks.get(name);
        if (w == null) {
          logger.warn("alerts: rule {}: no webhook named {} is configured", r.id(), name);
        } else {
          targets.add(w);
        }
      }
    }
    if (resolved) {
      targets.removeIf(w -> !w.sendResolved());
    }
    String body = SlackMessage.body(resolved, a, r, summary, now);
    List<CompletableFuture<Boolean>> posts = new ArrayList<>();
    for (AlertsConfig.Webhook w : targets) {
      posts.add(webhooks.post(w, body).thenApply(ok -> {
        counts.merge(ok ? "sent" : "failed", 1L, Long::sum);
        count(ok ? "custos_command_alerts_sent" : "custos_command_alerts_failed",
            ok ? "Alert notifications a webhook accepted"
                : "Alert notifications that failed after their retries", r);
        return ok;
      }));
    }
    return CompletableFuture.allOf(posts.toArray(CompletableFuture[]::new)).thenApply(x ->
        posts.isEmpty() ? "logged" : posts.stream().allMatch(CompletableFuture::join) ? "sent"
            : "failed");
  }

  private static String labels(Map<String, ?> map) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, ?> e : map.entrySet()) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(e.getKey()).append('=').append(e.getValue());
    }
    return sb.toString();
  }

  private void count(String name, String description, AlertsConfig.@Nullable Rule r) {
    Counter.Builder b = Counter.builder(name).description(description);
    if (r != null) {
      b.tag("kind", r.kind().id());
    }
    b.register(registry).increment();
  }

  @Override
  public void close() {
    timer.close();
    webhooks.close();
  }
}
