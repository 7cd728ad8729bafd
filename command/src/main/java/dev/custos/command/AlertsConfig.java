package dev.custos.command;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The {@code alerts} section of {@code command.yaml}: rules over the flow data, the webhooks they
 * notify, and how often they are evaluated. Immutable; holds the files of webhook URLs, never
 * the URLs (they are secrets, read when a notification is sent).
 *
 * @param interval how often the rules are evaluated
 * @param webhooks where notifications are POSTed (Slack-compatible JSON)
 * @param rules the rules of the configuration (the API may add more)
 */
public record AlertsConfig(Duration interval, List<Webhook> webhooks, List<Rule> rules) {
  /** No rules, no webhooks, evaluated every minute. */
  public static final AlertsConfig NONE = new AlertsConfig(Duration.ofMinutes(1), List.of(),
      List.of());

  /** What rule and webhook ids and names look like. */
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");

  /** Copies the lists and checks the values. */
  public AlertsConfig {
    requireNonNull(interval, "interval");
    webhooks = List.copyOf(webhooks);
    rules = List.copyOf(rules);
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval: " + interval + " (expected: more than 0)");
    }
  }

  /** The kinds of rule. */
  public enum Kind {
    /** A category seen on an edge (proxy, route, cluster, caller) for the first time. */
    NEW_CATEGORY_ON_EDGE,
    /** An identity pulling at least {@code threshold} distinct values of a category. */
    DISTINCT_VALUES,
    /** Blocked requests at least {@code threshold}, and above {@code factor} times usual. */
    BLOCKED_SPIKE;

    /** Returns the name used in configuration and the API, such as {@code distinct_values}. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Returns the kind named {@code id}.
     *
     * @throws IllegalArgumentException if no kind has that name
     */
    public static Kind of(String id) {
      for (Kind k : values()) {
        if (k.id().equals(id)) {
          return k;
        }
      }
      throw new IllegalArgumentException("kind: unknown (expected: new_category_on_edge,"
          + " distinct_values or blocked_spike)");
    }
  }

  /** How {@link Kind#BLOCKED_SPIKE} groups blocked requests. */
  public enum GroupBy {
    /** One count for everything the rule's filters select. */
    ALL,
    /** One count per route. */
    ROUTE,
    /** One count per proxy. */
    PROXY;

    /** Returns the name used in configuration and the API. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One alert rule.
   *
   * @param id the rule's id, unique among rules
   * @param kind what the rule watches
   * @param window the time over which a condition is measured (and alerts deduplicated)
   * @param lookback {@link Kind#NEW_CATEGORY_ON_EDGE}: how far back an edge must not have
   *     carried the category; zero for the other kinds
   * @param threshold {@link Kind#DISTINCT_VALUES}: distinct values that fire;
   *     {@link Kind#BLOCKED_SPIKE}: blocked requests that fire; 0 for the other kind
   * @param factor {@link Kind#BLOCKED_SPIKE}: how many times the previous windows' average the
   *     count must pass, or 0 for no comparison
   * @param baseline {@link Kind#BLOCKED_SPIKE}: how many previous windows make the average
   * @param groupBy {@link Kind#BLOCKED_SPIKE}: how blocked requests are counted
   * @param category only this category, or empty for any
   * @param route only this route, or empty for any
   * @param proxy only this proxy id, or empty for any
   * @param webhooks the webhooks notified, by name; empty for every configured webhook
   */
  public record Rule(String id, Kind kind, Duration window, Duration lookback, long threshold,
      double factor, int baseline, GroupBy groupBy, String category, String route, String proxy,
      List<String> webhooks) {
    /** Copies the list and checks the values. */
    public Rule {
      requireNonNull(id, "id");
      requireNonNull(kind, "kind");
      requireNonNull(window, "window");
      requireNonNull(lookback, "lookback");
      requireNonNull(groupBy, "groupBy");
      requireNonNull(category, "category");
      requireNonNull(route, "route");
      requireNonNull(proxy, "proxy");
      webhooks = List.copyOf(webhooks);
      if (!NAME.matcher(id).matches()) {
        throw new IllegalArgumentException("id: not a rule id (expected: matching "
            + NAME.pattern() + ")");
      }
      if (window.toMillis() < 60_000) {
        throw new IllegalArgumentException("window: " + window + " (expected: at least 1m)");
      }
      if (threshold < 0 || factor < 0 || baseline < 0 || lookback.isNegative()) {
        throw new IllegalArgumentException("threshold, factor, baseline, lookback: negative"
            + " (expected: at least 0)");
      }
    }
  }

  /**
   * A webhook notified when alerts fire (and, if asked, resolve): a Slack-compatible JSON body
   * ({@code text} and {@code blocks}) POSTed to the URL held in a file.
   *
   * @param name the webhook's name, used by rules and in logs and metrics
   * @param urlFile the file holding the URL (trimmed); read at each notification, never logged
   * @param timeout how long one attempt may take
   * @param maxAttempts attempts before a notification counts as failed
   * @param backoff the wait after the first failed attempt; doubled after each, at most 30s
   * @param sendResolved whether resolved alerts are notified too
   */
  public record Webhook(String name, Path urlFile, Duration timeout, int maxAttempts,
      Duration backoff, boolean sendResolved) {
    /** Checks the values. */
    public Webhook {
      requireNonNull(name, "name");
      requireNonNull(urlFile, "urlFile");
      requireNonNull(timeout, "timeout");
      requireNonNull(backoff, "backoff");
      if (maxAttempts < 1 || timeout.isZero() || timeout.isNegative() || backoff.isNegative()) {
        throw new IllegalArgumentException("webhook " + name + ": maxAttempts " + maxAttempts
            + ", timeout " + timeout + ", backoff " + backoff
            + " (expected: at least 1 attempt, a timeout above 0, a backoff of at least 0)");
      }
    }
  }
}
