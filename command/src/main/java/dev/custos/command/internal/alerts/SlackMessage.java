package dev.custos.command.internal.alerts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custos.command.AlertsConfig;
import java.time.Instant;
import java.util.Map;

/**
 * The notification of an alert as Slack's incoming webhooks take it: {@code text} (the fallback
 * and the line other chat tools show) and {@code blocks} (a header section, the subject as
 * fields, a context line). Only rule ids, names, keyed hashes, categories and counts; text is
 * escaped for Slack's mrkdwn ({@code &}, {@code <}, {@code >}). Thread-safe (stateless).
 */
final class SlackMessage {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SlackMessage() {}

  /** Returns the one-line summary, also the log's and the {@code text} field's. */
  static String summary(AlertsConfig.Rule r, Map<String, String> s, long value,
      Map<String, Number> d) {
    String on = s.containsKey("route") ? " on route " + s.get("route")
        + (s.containsKey("proxy_id") ? " of proxy " + s.get("proxy_id") : "")
        : s.containsKey("proxy_id") ? " on proxy " + s.get("proxy_id") : "";
    String window = RuleJson.duration(r.window());
    return switch (r.kind()) {
      case NEW_CATEGORY_ON_EDGE -> "category " + s.get("category") + " newly seen" + on
          + (s.getOrDefault("cluster", "").isEmpty() ? "" : " (cluster " + s.get("cluster")
          + ")") + " for " + (s.containsKey("service") ? "service " + s.get("service")
          : "identity " + s.get("identity_hash")) + ": " + value + " findings within " + window
          + ", none in the " + RuleJson.duration(r.lookback()) + " before";
      case DISTINCT_VALUES -> "identity " + s.get("identity_hash") + " pulled " + value
          + " distinct " + s.get("category") + " values within " + window + " (threshold "
          + r.threshold() + ")";
      case BLOCKED_SPIKE -> value + " blocked requests" + on
          + (s.containsKey("category") ? " with " + s.get("category") : "") + " within "
          + window + " (threshold " + r.threshold()
          + (r.factor() > 0 ? ", more than " + r.factor() + " times the average " + d.get(
          "baseline_average") + " of the " + r.baseline() + " windows before" : "") + ")";
    };
  }

  /** Returns the webhook body. */
  static String body(boolean resolved, Alert a, AlertsConfig.Rule r, String summary,
      long nowMillis) {
    String head = (resolved ? "[RESOLVED] " : "[FIRING] ") + a.ruleId() + " (" + a.kind()
        + ")";
    ObjectNode o = JSON.createObjectNode();
    o.put("text", escape(head + ": " + summary));
    ArrayNode blocks = o.putArray("blocks");
    ObjectNode section = blocks.addObject().put("type", "section");
    section.putObject("text").put("type", "mrkdwn").put("text", "*" + escape(head) + "*\n"
        + escape(summary));
    ArrayNode fields = blocks.addObject().put("type", "section").putArray("fields");
    for (Map.Entry<String, String> e : a.subject().entrySet()) {
      if (fields.size() == 10) {
        break;
      }
      fields.addObject().put("type", "mrkdwn").put("text", "*" + e.getKey() + "*\n"
          + escape(e.getValue()));
    }
    blocks.addObject().put("type", "context").putArray("elements").addObject()
        .put("type", "mrkdwn").put("text", escape("custos command plane, alert " + a.id()
            + ", started " + Instant.ofEpochMilli(a.startedMillis())
            + (resolved ? ", resolved " + Instant.ofEpochMilli(nowMillis) : "")));
    return o.toString();
  }

  /** Escapes what Slack's mrkdwn reads as markup: {@code &}, {@code <}, {@code >}. */
  static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
