package dev.custos.command.internal.alerts;

import static dev.custos.command.internal.api.ApiBasics.blocking;
import static dev.custos.command.internal.api.ApiBasics.error;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import dev.custos.command.AlertsConfig;
import dev.custos.command.CommandConfig;
import dev.custos.command.internal.api.ApiAccess;
import dev.custos.command.internal.api.Role;
import dev.custos.command.internal.config.AlertsBinder;
import dev.custos.engine.config.ConfigException;
import dev.custos.engine.config.ConfigProblem;
import dev.custos.engine.config.Durations;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The alerts API: {@code GET /api/v1/alerts}, {@code GET|POST /api/v1/alert-rules}, {@code
 * DELETE /api/v1/alert-rules/{id}}, {@code GET|POST /api/v1/silences} and {@code DELETE
 * /api/v1/silences/{id}}. Reading needs {@link Role#READ}, writing {@link Role#ADMIN}; bodies
 * are JSON of at most 64 KiB, checked before anything is stored; database work runs on the
 * blocking task executor. Thread-safe.
 */
public final class AlertsApi {
  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8)
          .maxStringLength(1 << 14).maxNumberLength(32).build())
      .build());
  private static final int MAX_BODY = 64 * 1024;
  private static final int MAX_LIMIT = 1000;
  private static final int MAX_COMMENT = 1000;
  private static final Duration MAX_SILENCE = Duration.ofDays(365);
  private static final Pattern CATEGORY = Pattern.compile("[a-z0-9_.-]{1,64}");
  private static final Pattern IDENTITY = Pattern.compile("[A-Za-z0-9:_.-]{1,128}");
  private static final Pattern SILENCE_ID = Pattern.compile("[0-9a-f-]{36}");
  private static final Set<String> SILENCE_KEYS = Set.of("rule", "category", "route",
      "identity_hash", "starts", "ends", "duration", "comment");

  private AlertsApi() {}

  /** Adds the alerts API's routes. */
  public static void addTo(ServerBuilder sb, AlertStore store, AlertEvaluator evaluator,
      CommandConfig config, ApiAccess access, Clock clock) {
    Set<String> webhooks = new HashSet<>();
    config.alerts().webhooks().forEach(w -> webhooks.add(w.name()));
    Set<String> configRules = new HashSet<>();
    config.alerts().rules().forEach(r -> configRules.add(r.id()));

    HttpService alerts = (ctx, req) -> {
      String state = ctx.queryParam("state");
      if (state == null) {
        state = "all";
      }
      if (!List.of("firing", "resolved", "all").contains(state)) {
        return error(HttpStatus.BAD_REQUEST, "state: unknown (expected: firing, resolved or"
            + " all)");
      }
      int limit = limit(ctx.queryParam("limit"));
      if (limit < 0) {
        return error(HttpStatus.BAD_REQUEST, "limit: out of range (expected: 1 to "
            + MAX_LIMIT + ")");
      }
      String s = state.equals("all") ? null : state;
      return blocking(ctx, () -> {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("alerts");
        for (Alert a : store.alerts(s, limit)) {
          list.add(alertJson(a));
        }
        return ok(HttpStatus.OK, root);
      });
    };

    HttpService rules = (ctx, req) -> blocking(ctx, () -> {
      ObjectNode root = JSON.createObjectNode();
      ArrayNode list = root.putArray("rules");
      for (StoredRule r : evaluator.rules()) {
        list.add(ruleJson(r));
      }
      return ok(HttpStatus.OK, root);
    });

    HttpService addRule = (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> {
      JsonNode body;
      try {
        body = object(agg.contentUtf8());
      } catch (IllegalArgumentException e) {
        return error(HttpStatus.BAD_REQUEST, e.getMessage());
      }
      String comment;
      try {
        comment = text(body, "comment", MAX_COMMENT, false);
      } catch (IllegalArgumentException e) {
        return error(HttpStatus.BAD_REQUEST, e.getMessage());
      }
      ((ObjectNode) body).remove("comment");
      AlertsConfig.Rule rule;
      try {
        rule = AlertsBinder.parseRule(body.toString(), webhooks, config.retention());
      } catch (ConfigException e) {
        List<String> texts = new ArrayList<>();
        for (ConfigProblem p : e.problems()) {
          texts.add(p.text());
        }
        return error(HttpStatus.BAD_REQUEST, String.join("; ", texts));
      }
      if (configRules.contains(rule.id())) {
        return error(HttpStatus.CONFLICT, "id: " + rule.id() + " is a rule of command.yaml"
            + " (expected: an id no rule has)");
      }
      StoredRule stored = new StoredRule(rule, "api", ApiAccess.caller(ctx).name(),
          clock.millis(), comment);
      return blocking(ctx, () -> store.addRule(stored) ? ok(HttpStatus.CREATED,
          ruleJson(stored)) : error(HttpStatus.CONFLICT, "id: " + rule.id()
          + " exists (expected: an id no rule has)"));
    }));

    HttpService deleteRule = (ctx, req) -> {
      String id = ctx.pathParam("id");
      if (id == null || !AlertsConfig.NAME.matcher(id).matches()) {
        return error(HttpStatus.BAD_REQUEST, "id: not a rule id (expected: matching "
            + AlertsConfig.NAME.pattern() + ")");
      }
      if (configRules.contains(id)) {
        return error(HttpStatus.CONFLICT, "id: " + id + " is a rule of command.yaml"
            + " (expected: a rule created through the API; edit command.yaml for this one)");
      }
      return blocking(ctx, () -> store.deleteRule(id) ? HttpResponse.of(HttpStatus.NO_CONTENT)
          : error(HttpStatus.NOT_FOUND, "id: no rule " + id + " (expected: a rule created"
          + " through the API)"));
    };

    HttpService silences = (ctx, req) -> {
      String state = ctx.queryParam("state");
      if (state == null) {
        state = "active";
      }
      if (!List.of("active", "pending", "expired", "all").contains(state)) {
        return error(HttpStatus.BAD_REQUEST, "state: unknown (expected: active, pending,"
            + " expired or all)");
      }
      int limit = limit(ctx.queryParam("limit"));
      if (limit < 0) {
        return error(HttpStatus.BAD_REQUEST, "limit: out of range (expected: 1 to "
            + MAX_LIMIT + ")");
      }
      String cursor = ctx.queryParam("before");
      AlertStore.SilencePosition before = cursor == null ? null : silencePosition(cursor);
      if (cursor != null && before == null) {
        return error(HttpStatus.BAD_REQUEST, "before: not a cursor (expected: the next_before"
            + " of a previous answer)");
      }
      String wanted = state;
      return blocking(ctx, () -> {
        long now = clock.millis();
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("silences");
        List<Silence> page = store.silences(wanted, now, before, limit);
        for (Silence s : page) {
          list.add(silenceJson(s, now));
        }
        if (page.size() == limit) {
          Silence last = page.get(page.size() - 1);
          root.put("next_before", silenceCursor(new AlertStore.SilencePosition(
              last.endsMillis(), last.id())));
        } else {
          root.putNull("next_before");
        }
        return ok(HttpStatus.OK, root);
      });
    };

    HttpService addSilence = (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> {
      Silence s;
      try {
        s = silence(object(agg.contentUtf8()), ApiAccess.caller(ctx).name(), clock.millis());
      } catch (IllegalArgumentException e) {
        return error(HttpStatus.BAD_REQUEST, e.getMessage());
      }
      return blocking(ctx, () -> {
        store.addSilence(s);
        return ok(HttpStatus.CREATED, silenceJson(s, clock.millis()));
      });
    }));

    HttpService deleteSilence = (ctx, req) -> {
      String id = ctx.pathParam("id");
      if (id == null || !SILENCE_ID.matcher(id).matches()) {
        return error(HttpStatus.BAD_REQUEST, "id: not a silence id (expected: a UUID)");
      }
      return blocking(ctx, () -> {
        if (store.expireSilence(id, clock.millis())) {
          return HttpResponse.of(HttpStatus.NO_CONTENT);
        }
        return store.silenceExists(id) ? error(HttpStatus.CONFLICT, "id: silence " + id
            + " has ended (expected: an active or pending silence)")
            : error(HttpStatus.NOT_FOUND, "id: no silence " + id + " (expected: an id that"
            + " GET /api/v1/silences lists)");
      });
    };

    sb.route().get("/api/v1/alerts").decorator(access.require(Role.READ)).build(alerts);
    sb.route().get("/api/v1/alert-rules").decorator(access.require(Role.READ)).build(rules);
    sb.route().post("/api/v1/alert-rules").maxRequestLength(MAX_BODY)
        .decorator(access.require(Role.ADMIN)).build(addRule);
    sb.route().delete("/api/v1/alert-rules/{id}").decorator(access.require(Role.ADMIN))
        .build(deleteRule);
    sb.route().get("/api/v1/silences").decorator(access.require(Role.READ)).build(silences);
    sb.route().post("/api/v1/silences").maxRequestLength(MAX_BODY)
        .decorator(access.require(Role.ADMIN)).build(addSilence);
    sb.route().delete("/api/v1/silences/{id}").decorator(access.require(Role.ADMIN))
        .build(deleteSilence);
  }

  /**
   * Reads a silence from a request body.
   *
   * @throws IllegalArgumentException naming the field that is wrong, never echoing its value
   */
  static Silence silence(JsonNode body, String createdBy, long now) {
    for (var it = body.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!SILENCE_KEYS.contains(k)) {
        throw new IllegalArgumentException("silence: unknown key (expected only: comment,"
            + " duration, ends, starts, rule, category, route, identity_hash)");
      }
    }
    String rule = text(body, "rule", 64, false);
    if (!rule.isEmpty() && !AlertsConfig.NAME.matcher(rule).matches()) {
      throw new IllegalArgumentException("rule: not a rule id (expected: matching "
          + AlertsConfig.NAME.pattern() + ")");
    }
    String category = text(body, "category", 64, false);
    if (!category.isEmpty() && !CATEGORY.matcher(category).matches()) {
      throw new IllegalArgumentException("category: not a category id (expected: matching "
          + CATEGORY.pattern() + ")");
    }
    String route = text(body, "route", 256, false);
    String identity = text(body, "identity_hash", 128, false);
    if (!identity.isEmpty() && !IDENTITY.matcher(identity).matches()) {
      throw new IllegalArgumentException("identity_hash: malformed (expected: matching "
          + IDENTITY.pattern() + ")");
    }
    if (rule.isEmpty() && category.isEmpty() && route.isEmpty() && identity.isEmpty()) {
      throw new IllegalArgumentException("silence: no matcher (expected: at least one of rule,"
          + " category, route, identity_hash)");
    }
    String comment = text(body, "comment", MAX_COMMENT, true);
    long starts = body.has("starts") ? instant(body, "starts") : now;
    long ends;
    if (body.has("ends") == body.has("duration")) {
      throw new IllegalArgumentException("ends, duration: exactly one is needed (expected: ends"
          + " as an ISO-8601 instant, or duration such as 2h)");
    } else if (body.has("ends")) {
      ends = instant(body, "ends");
    } else {
      String d = text(body, "duration", 16, true);
      if (!d.matches("[0-9]{1,9}(ms|s|m|h|d)")) {
        throw new IllegalArgumentException("duration: malformed (expected: a number with ms,"
            + " s, m, h or d, such as 2h)");
      }
      try {
        ends = Math.addExact(starts, Math.min(Durations.parse(d).toMillis(),
            MAX_SILENCE.toMillis() + 1));
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("starts: too far ahead (expected: a silence ending"
            + " within 365 days)");
      }
    }
    if (ends <= now || ends <= starts || ends - Math.max(starts, now) > MAX_SILENCE.toMillis()) {
      throw new IllegalArgumentException("ends: not after now and starts, or more than 365 days"
          + " ahead (expected: a silence ending in the future, within 365 days)");
    }
    return new Silence(UUID.randomUUID().toString(), rule, category, route, identity, starts,
        ends, createdBy, now, comment);
  }

  private static long instant(JsonNode body, String field) {
    String t = text(body, field, 64, true);
    try {
      return Instant.parse(t).toEpochMilli();
    } catch (DateTimeParseException | ArithmeticException e) {
      throw new IllegalArgumentException(field + ": not an instant (expected: ISO-8601 such as"
          + " 2026-12-07T13:00:00Z)");
    }
  }

  /**
   * Returns a body's JSON object.
   *
   * @throws IllegalArgumentException if it is not one
   */
  static JsonNode object(String body) {
    JsonNode n;
    try {
      n = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      n = null;
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("body: not a JSON object (expected: a JSON object)");
    }
    return n;
  }

  /** Returns a text field (empty when absent and optional), checked for length and controls. */
  static String text(JsonNode body, String field, int max, boolean required) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      if (required) {
        throw new IllegalArgumentException(field + ": missing (expected: text)");
      }
      return "";
    }
    if (!v.isTextual() || v.asText().length() > max || (required && v.asText().isBlank())
        || v.asText().chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new IllegalArgumentException(field + ": not text of at most " + max
          + " characters without control characters" + (required ? ", not blank" : ""));
    }
    return v.asText();
  }

  /** Returns the opaque cursor of a silence's place: base64url of "ends:id". */
  static String silenceCursor(AlertStore.SilencePosition p) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString((p.endsMillis() + ":"
        + p.id()).getBytes(StandardCharsets.US_ASCII));
  }

  /** Returns the place a cursor stands for, or null when it is not a cursor. */
  static AlertStore.@Nullable SilencePosition silencePosition(String cursor) {
    if (cursor.length() > 100) {
      return null;
    }
    try {
      String text = new String(Base64.getUrlDecoder().decode(cursor),
          StandardCharsets.US_ASCII);
      int colon = text.indexOf(':');
      if (colon < 1 || !SILENCE_ID.matcher(text.substring(colon + 1)).matches()) {
        return null;
      }
      return new AlertStore.SilencePosition(Long.parseLong(text.substring(0, colon)),
          text.substring(colon + 1));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static int limit(@Nullable String text) {
    if (text == null) {
      return 100;
    }
    try {
      int n = Integer.parseInt(text);
      return n < 1 || n > MAX_LIMIT ? -1 : n;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static ObjectNode alertJson(Alert a) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", a.id());
    o.put("rule", a.ruleId());
    o.put("kind", a.kind());
    o.put("state", a.state());
    ObjectNode subject = o.putObject("subject");
    a.subject().forEach(subject::put);
    o.put("summary", a.summary());
    o.put("value", a.value());
    ObjectNode details = o.putObject("details");
    for (Map.Entry<String, Number> e : a.details().entrySet()) {
      details.putPOJO(e.getKey(), e.getValue());
    }
    o.put("window_start", Instant.ofEpochMilli(a.windowStartMillis()).toString());
    o.put("started", Instant.ofEpochMilli(a.startedMillis()).toString());
    o.put("last_seen", Instant.ofEpochMilli(a.lastSeenMillis()).toString());
    if (a.resolvedMillis() == null) {
      o.putNull("resolved");
    } else {
      o.put("resolved", Instant.ofEpochMilli(a.resolvedMillis()).toString());
    }
    o.put("notification", a.notification());
    if (a.silenceId().isEmpty()) {
      o.putNull("silence");
    } else {
      o.put("silence", a.silenceId());
    }
    return o;
  }

  static ObjectNode ruleJson(StoredRule r) {
    ObjectNode o = RuleJson.of(r.rule());
    o.put("source", r.source());
    if (r.source().equals("api")) {
      o.put("created_by", r.createdBy());
      o.put("created", Instant.ofEpochMilli(r.createdMillis()).toString());
      o.put("comment", r.comment());
    }
    return o;
  }

  private static String silenceState(Silence s, long now) {
    // Ended first: deleting a pending silence ends it before it starts.
    return now >= s.endsMillis() ? "expired" : now < s.startsMillis() ? "pending" : "active";
  }

  static ObjectNode silenceJson(Silence s, long now) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", s.id());
    o.put("state", silenceState(s, now));
    ObjectNode m = o.putObject("matchers");
    if (!s.ruleId().isEmpty()) {
      m.put("rule", s.ruleId());
    }
    if (!s.category().isEmpty()) {
      m.put("category", s.category());
    }
    if (!s.route().isEmpty()) {
      m.put("route", s.route());
    }
    if (!s.identityHash().isEmpty()) {
      m.put("identity_hash", s.identityHash());
    }
    o.put("starts", Instant.ofEpochMilli(s.startsMillis()).toString());
    o.put("ends", Instant.ofEpochMilli(s.endsMillis()).toString());
    o.put("created_by", s.createdBy());
    o.put("created", Instant.ofEpochMilli(s.createdMillis()).toString());
    o.put("comment", s.comment());
    return o;
  }

  private static HttpResponse ok(HttpStatus status, JsonNode body) {
    return HttpResponse.of(status, MediaType.JSON_UTF_8, body.toString());
  }

}
