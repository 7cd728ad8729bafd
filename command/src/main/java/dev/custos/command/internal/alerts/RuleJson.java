package dev.custos.command.internal.alerts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custos.command.AlertsConfig;
import java.time.Duration;

/** Writes a rule as the JSON object it is read from (the keys of {@code command.yaml}). */
final class RuleJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private RuleJson() {}

  /** Returns the rule with every key, defaults written out. */
  static ObjectNode of(AlertsConfig.Rule r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", r.id());
    o.put("kind", r.kind().id());
    o.put("window", duration(r.window()));
    switch (r.kind()) {
      case NEW_CATEGORY_ON_EDGE -> o.put("lookback", duration(r.lookback()));
      case DISTINCT_VALUES -> o.put("threshold", r.threshold());
      case BLOCKED_SPIKE -> {
        o.put("threshold", r.threshold());
        if (r.factor() > 0) {
          o.put("factor", r.factor());
        }
        o.put("baseline", r.baseline());
        o.put("by", r.groupBy().id());
      }
    }
    if (!r.category().isEmpty()) {
      o.put("category", r.category());
    }
    if (!r.route().isEmpty()) {
      o.put("route", r.route());
    }
    if (!r.proxy().isEmpty()) {
      o.put("proxy", r.proxy());
    }
    if (!r.webhooks().isEmpty()) {
      r.webhooks().forEach(o.putArray("webhooks")::add);
    }
    return o;
  }

  /** Returns a duration in the largest unit that writes it whole: 7d, 1h, 5m, 30s. */
  static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms % 86_400_000L == 0) {
      return ms / 86_400_000L + "d";
    }
    if (ms % 3_600_000L == 0) {
      return ms / 3_600_000L + "h";
    }
    if (ms % 60_000L == 0) {
      return ms / 60_000L + "m";
    }
    return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
  }
}
