package dev.custos.command.internal.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custos.command.AlertsConfig;
import dev.custos.command.CommandConfig;
import dev.custos.engine.config.ConfigDocument;
import dev.custos.engine.config.ConfigException;
import dev.custos.engine.config.ConfigProblem;
import dev.custos.engine.config.Durations;
import dev.custos.engine.config.SchemaValidator;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Binds the schema-checked {@code alerts} section of {@code command.yaml}, and alert rules that
 * the API receives as JSON, to {@link AlertsConfig}: the checks the schema cannot make (keys
 * that belong to another kind, windows in the units the flow data has, retention long enough,
 * webhook names that exist, URL files that hold a URL). Problems carry line and column and never
 * echo a URL. Thread-safe (stateless).
 */
public final class AlertsBinder {
  private static final int MAX_URL_BYTES = 4096;
  private static final long MINUTE = 60_000L;
  private static final long HOUR = 3_600_000L;
  private static final int MAX_RULE_JSON = 16 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SchemaValidator RULE_SCHEMA = ruleSchema();

  private AlertsBinder() {}

  private static SchemaValidator ruleSchema() {
    JsonNode full = SchemaValidator.readSchemaJson(AlertsBinder.class.getClassLoader(),
        ConfigReader.SCHEMA_RESOURCE);
    ObjectNode s = JSON.createObjectNode();
    s.put("$schema", full.get("$schema").asText());
    s.put("$ref", "#/$defs/alert_rule");
    s.set("$defs", full.get("$defs"));
    return SchemaValidator.of(s, Pattern.compile("^$"));
  }

  /** Binds {@code /alerts} of a schema-valid document, adding problems to {@code problems}. */
  static AlertsConfig bind(ConfigDocument doc, Path baseDir, CommandConfig.Retention retention,
      List<ConfigProblem> problems) {
    JsonNode a = doc.root().path("alerts");
    if (a.isMissingNode()) {
      return AlertsConfig.NONE;
    }
    Duration interval = AlertsConfig.NONE.interval();
    if (a.has("interval")) {
      interval = Durations.parse(a.get("interval").asText());
      if (interval.isZero()) {
        problem(doc, problems, "/alerts/interval", "0 (expected: more than 0)");
        interval = AlertsConfig.NONE.interval();
      }
    }
    List<AlertsConfig.Webhook> webhooks = new ArrayList<>();
    Set<String> names = new HashSet<>();
    JsonNode hooks = a.path("webhooks");
    for (int i = 0; i < hooks.size(); i++) {
      String at = "/alerts/webhooks/" + i;
      JsonNode w = hooks.get(i);
      String name = w.get("name").asText();
      if (!names.add(name)) {
        problem(doc, problems, at + "/name", "duplicate name '" + name
            + "' (expected: a name used once)");
      }
      Path file = baseDir.resolve(w.get("url_file").asText()).normalize();
      try {
        readWebhookUrl(file);
      } catch (IllegalArgumentException e) {
        problem(doc, problems, at + "/url_file", e.getMessage());
        continue;
      }
      Duration timeout = w.has("timeout") ? Durations.parse(w.get("timeout").asText())
          : Duration.ofSeconds(5);
      if (timeout.isZero()) {
        problem(doc, problems, at + "/timeout", "0 (expected: more than 0)");
        continue;
      }
      webhooks.add(new AlertsConfig.Webhook(name, file, timeout,
          w.path("max_attempts").asInt(4),
          w.has("backoff") ? Durations.parse(w.get("backoff").asText()) : Duration.ofSeconds(1),
          w.path("send_resolved").asBoolean(false)));
    }
    List<AlertsConfig.Rule> rules = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    JsonNode list = a.path("rules");
    for (int i = 0; i < list.size(); i++) {
      String at = "/alerts/rules/" + i;
      String id = list.get(i).get("id").asText();
      if (!ids.add(id)) {
        problem(doc, problems, at + "/id", "duplicate id '" + id
            + "' (expected: an id used once)");
      }
      AlertsConfig.Rule r = rule(doc, at, names, retention, problems);
      if (r != null) {
        rules.add(r);
      }
    }
    return new AlertsConfig(interval, webhooks, rules);
  }

  /**
   * Parses one rule as the API receives it: a JSON object with the keys a rule has in {@code
   * command.yaml}.
   *
   * @param webhooks the configured webhooks' names
   * @throws ConfigException naming every problem (the source name is {@code rule})
   */
  public static AlertsConfig.Rule parseRule(String json, Set<String> webhooks,
      CommandConfig.Retention retention) {
    return parse(json, webhooks, retention);
  }

  /**
   * Parses a rule the API stored: as {@link #parseRule}, without the checks against the
   * configuration of the day (webhook names, retention), which may have changed since.
   *
   * @throws ConfigException naming every problem
   */
  public static AlertsConfig.Rule parseStoredRule(String json) {
    return parse(json, null, LENIENT);
  }

  private static final CommandConfig.Retention LENIENT = new CommandConfig.Retention(
      Duration.ofDays(365_000), Duration.ofDays(365_000), Duration.ofDays(365_000),
      Duration.ofDays(1));

  private static AlertsConfig.Rule parse(String json, @Nullable Set<String> webhooks,
      CommandConfig.Retention retention) {
    if (json.length() > MAX_RULE_JSON) {
      throw new ConfigException("rule", List.of(new ConfigProblem(1, 1, "rule: longer than "
          + MAX_RULE_JSON + " characters (expected: one alert rule as a JSON object)")));
    }
    ConfigDocument doc = ConfigDocument.parse(json, "rule", "rule", MAX_RULE_JSON);
    if (doc == null) {
      throw new ConfigException("rule", List.of(new ConfigProblem(1, 1,
          "rule: empty (expected: an alert rule as a JSON object with id and kind)")));
    }
    List<ConfigProblem> problems = new ArrayList<>(RULE_SCHEMA.validate(doc));
    if (!problems.isEmpty()) {
      throw new ConfigException("rule", problems);
    }
    AlertsConfig.Rule r = rule(doc, "", webhooks, retention, problems);
    if (r == null || !problems.isEmpty()) {
      throw new ConfigException("rule", problems);
    }
    return r;
  }

  /** Returns the rule at {@code at}, or null after adding its problems. */
  private static AlertsConfig.@Nullable Rule rule(ConfigDocument doc, String at,
      @Nullable Set<String> webhookNames, CommandConfig.Retention retention, List<ConfigProblem> problems) {
    JsonNode n = node(doc, at);
    int before = problems.size();
    AlertsConfig.Kind kind = AlertsConfig.Kind.of(n.get("kind").asText());
    List<String> only = switch (kind) {
      case NEW_CATEGORY_ON_EDGE -> List.of("lookback");
      case DISTINCT_VALUES -> List.of("threshold");
      case BLOCKED_SPIKE -> List.of("threshold", "factor", "baseline", "by");
    };
    for (String key : List.of("lookback", "threshold", "factor", "baseline", "by")) {
      if (n.has(key) && !only.contains(key)) {
        problem(doc, problems, at + "/" + key, "not a key of kind " + kind.id()
            + " (expected: " + (only.isEmpty() ? "none of lookback, threshold, factor,"
            + " baseline, by" : "of these only " + String.join(", ", only)) + ")");
      }
    }
    Duration window = n.has("window") ? Durations.parse(n.get("window").asText())
        : kind == AlertsConfig.Kind.BLOCKED_SPIKE ? Duration.ofMinutes(5) : Duration.ofHours(1);
    long unit = kind == AlertsConfig.Kind.DISTINCT_VALUES ? HOUR : MINUTE;
    if (window.toMillis() < unit || window.toMillis() % unit != 0) {
      problem(doc, problems, at + "/window", window(window) + " (expected: whole "
          + (unit == HOUR ? "hours: distinct values are counted per hour"
          : "minutes, at least 1m") + ")");
    }
    Duration lookback = Duration.ZERO;
    long threshold = 0;
    double factor = 0;
    int baseline = 0;
    AlertsConfig.GroupBy by = AlertsConfig.GroupBy.ALL;
    switch (kind) {
      case NEW_CATEGORY_ON_EDGE -> {
        lookback = n.has("lookback") ? Durations.parse(n.get("lookback").asText())
            : Duration.ofDays(7);
        if (lookback.toMillis() < HOUR) {
          problem(doc, problems, at + "/lookback", window(lookback)
              + " (expected: at least 1h)");
        }
        if (window.compareTo(retention.minuteRollups()) > 0) {
          problem(doc, problems, at + "/window", window(window) + " is longer than"
              + " retention.minute_rollups (expected: at most " + window(
              retention.minuteRollups()) + ")");
        }
        if (window.plus(lookback).compareTo(retention.hourRollups()) > 0) {
          problem(doc, problems, at + "/lookback", "window and lookback are longer than"
              + " retention.hour_rollups (expected: at most " + window(retention.hourRollups())
              + " together)");
        }
      }
      case DISTINCT_VALUES -> {
        if (!n.has("threshold")) {
          problem(doc, problems, at, "missing key 'threshold' in alert rule of kind "
              + kind.id() + " (expected: the distinct values that fire)");
        }
        threshold = n.path("threshold").asLong(1);
        if (window.compareTo(retention.hourRollups()) > 0) {
          problem(doc, problems, at + "/window", window(window) + " is longer than"
              + " retention.hour_rollups (expected: at most " + window(retention.hourRollups())
              + ")");
        }
      }
      case BLOCKED_SPIKE -> {
        threshold = n.path("threshold").asLong(1);
        factor = n.path("factor").asDouble(0);
        baseline = n.path("baseline").asInt(3);
        by = AlertsConfig.GroupBy.valueOf(n.path("by").asText("all").toUpperCase(Locale.ROOT));
        if (window.multipliedBy(baseline + 1L).compareTo(retention.rawEvents()) > 0) {
          problem(doc, problems, at + "/window", "the window and its " + baseline
              + " baseline windows are longer than retention.raw_events (expected: at most "
              + window(retention.rawEvents()) + " together)");
        }
      }
    }
    List<String> hooks = new ArrayList<>();
    JsonNode h = n.path("webhooks");
    for (int i = 0; i < h.size(); i++) {
      String name = h.get(i).asText();
      if (webhookNames != null && !webhookNames.contains(name)) {
        problem(doc, problems, at + "/webhooks/" + i, "no webhook named '" + name
            + "' (expected: one of alerts.webhooks: "
            + String.join(", ", webhookNames.stream().sorted().toList()) + ")");
      }
      hooks.add(name);
    }
    if (problems.size() > before) {
      return null;
    }
    return new AlertsConfig.Rule(n.get("id").asText(), kind, window, lookback, threshold, factor,
        baseline, by, n.path("category").asText(""), n.path("route").asText(""),
        n.path("proxy").asText(""), hooks);
  }

  private static JsonNode node(ConfigDocument doc, String pointer) {
    return pointer.isEmpty() ? doc.root() : doc.root().at(pointer);
  }

  private static String window(Duration d) {
    long ms = d.toMillis();
    if (ms % 86_400_000L == 0) {
      return ms / 86_400_000L + "d";
    }
    if (ms % HOUR == 0) {
      return ms / HOUR + "h";
    }
    if (ms % MINUTE == 0) {
      return ms / MINUTE + "m";
    }
    return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
  }

  /**
   * Reads a webhook's URL from its file.
   *
   * @throws IllegalArgumentException if the file cannot be read or holds no http(s) URL; the
   *     message never holds the file's content
   */
  public static URI readWebhookUrl(Path file) {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_URL_BYTES + 1);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file.getFileName() + ": "
          + e.getClass().getSimpleName() + " (expected: a readable file holding the webhook's"
          + " URL)");
    }
    String text = new String(bytes, StandardCharsets.UTF_8).trim();
    URI uri = null;
    try {
      uri = bytes.length > MAX_URL_BYTES ? null : new URI(text);
    } catch (URISyntaxException e) {
      uri = null;
    }
    if (uri == null || uri.getScheme() == null || uri.getHost() == null
        || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
      throw new IllegalArgumentException(file.getFileName() + " holds no http or https URL"
          + " (expected: one URL such as https://hooks.slack.com/services/..., at most "
          + MAX_URL_BYTES + " bytes)");
    }
    return uri;
  }

  private static void problem(ConfigDocument doc, List<ConfigProblem> problems, String pointer,
      String text) {
    ConfigDocument.Entry e = doc.entry(pointer);
    problems.add(new ConfigProblem(e.line(), e.column(),
        doc.displayPath(e.path()) + ": " + text));
  }
}
