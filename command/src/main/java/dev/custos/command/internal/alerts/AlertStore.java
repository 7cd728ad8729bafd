package dev.custos.command.internal.alerts;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custos.command.AlertsConfig;
import dev.custos.command.internal.config.AlertsBinder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The alerts' tables ({@code alert_rules}, {@code alerts}, {@code silences}, migration V4) and
 * the rules' queries over the flow data. Works on SQLite and PostgreSQL alike. Thread-safe;
 * every method blocks on JDBC, so callers run it off event loops.
 *
 * <p>Deduplication across replicas rests on two unique keys of {@code alerts}: the alert id (rule,
 * subject, window) and "one firing alert per rule and subject" (a partial unique index). A
 * replica notifies only for the row its own {@code INSERT ... ON CONFLICT DO NOTHING} added, and
 * for the resolution its own conditional {@code UPDATE} made.
 */
public final class AlertStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MINUTE = 60_000L;
  private static final long HOUR = 3_600_000L;

  private final DataSource db;

  /** Returns the store over this pool (already migrated). */
  public AlertStore(DataSource db) {
    this.db = requireNonNull(db, "db");
  }

  /** What {@link #fire} did. */
  public enum Fired {
    /** This call added the alert: the caller notifies. */
    INSERTED,
    /** The alert of this window had resolved and fires again: not notified again. */
    REOPENED,
    /** Another replica fired it first, or it fires already: nothing to do. */
    NONE
  }

  // ---- the rules' conditions ----

  /**
   * Returns the edges (proxy, route, cluster, caller) that carried a category within the rule's
   * window and not within the look-back before it. The window is counted in minute buckets
   * ({@code flow_minute}), the look-back in hour buckets ({@code flow_hour}) and the minutes
   * between the hour and the window's start.
   */
  public List<Finding> newCategoryOnEdge(AlertsConfig.Rule r, long now) throws SQLException {
    long recent = Math.floorDiv(now - r.window().toMillis(), MINUTE) * MINUTE;
    long hour = Math.floorDiv(recent, HOUR) * HOUR;
    long oldest = Math.floorDiv(recent - r.lookback().toMillis(), HOUR) * HOUR;
    Filter f = new Filter(r, "category", "route", "proxy_id");
    Map<String, long[]> seen = new LinkedHashMap<>();
    Map<String, Map<String, String>> subjects = new HashMap<>();
    String cols = "proxy_id, route, cluster, service, identity_hash, category";
    try (Connection c = db.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + cols + ", SUM(events),"
          + " SUM(findings) FROM flow_minute WHERE bucket_ms >= ? AND bucket_ms <= ?" + f.sql
          + " GROUP BY " + cols + " ORDER BY " + cols)) {
        ps.setLong(1, recent);
        ps.setLong(2, now);
        f.bind(ps, 3);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            Map<String, String> s = edge(rs);
            String key = Finding.subjectKey(s);
            subjects.putIfAbsent(key, s);
            long[] v = seen.computeIfAbsent(key, k -> new long[2]);
            v[0] += rs.getLong(7);
            v[1] += rs.getLong(8);
          }
        }
      }
      if (seen.isEmpty()) {
        return List.of();
      }
      // The minutes between the hour and the window, then the whole hours of the look-back.
      for (Range q : List.of(new Range("flow_minute", hour, recent),
          new Range("flow_hour", oldest, hour))) {
        try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT " + cols + " FROM "
            + q.table() + " WHERE bucket_ms >= ? AND bucket_ms < ?" + f.sql)) {
          ps.setLong(1, q.from());
          ps.setLong(2, q.to());
          f.bind(ps, 3);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              seen.remove(Finding.subjectKey(edge(rs)));
            }
          }
        }
      }
    }
    List<Finding> out = new ArrayList<>();
    for (Map.Entry<String, long[]> e : seen.entrySet()) {
      Map<String, Number> d = new LinkedHashMap<>();
      d.put("events", e.getValue()[0]);
      d.put("lookback_hours", r.lookback().toHours());
      out.add(new Finding(subjects.get(e.getKey()), e.getValue()[1], d));
    }
    return out;
  }

  /** Buckets {@code [from, to)} of a roll-up table. */
  private record Range(String table, long from, long to) {}

  /** The edge of a row of {@code proxy_id, route, cluster, service, identity_hash, category}. */
  private static Map<String, String> edge(ResultSet rs) throws SQLException {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("proxy_id", rs.getString(1));
    s.put("route", rs.getString(2));
    s.put("cluster", rs.getString(3));
    String service = rs.getString(4);
    if (service.isEmpty()) {
      s.put("identity_hash", rs.getString(5));
    } else {
      s.put("service", service);
    }
    s.put("category", rs.getString(6));
    return s;
  }

  /**
   * Returns the identities that pulled at least {@code threshold} distinct values (by evidence
   * hash) of a category within the rule's window: the current hour and the whole hours before
   * it ({@code flow_values} counts per hour).
   */
  public List<Finding> distinctValues(AlertsConfig.Rule r, long now) throws SQLException {
    long from = Math.floorDiv(now, HOUR) * HOUR - r.window().toMillis() + HOUR;
    Filter f = new Filter(r, "category", "route", "proxy_id");
    List<Finding> out = new ArrayList<>();
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT identity_hash, category,"
            + " COUNT(DISTINCT evidence_hash) FROM flow_values WHERE bucket_ms >= ? AND"
            + " bucket_ms <= ?" + f.sql + " GROUP BY identity_hash, category HAVING"
            + " COUNT(DISTINCT evidence_hash) >= ? ORDER BY identity_hash, category")) {
      ps.setLong(1, from);
      ps.setLong(2, now);
      int i = f.bind(ps, 3);
      ps.setLong(i, r.threshold());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Map<String, String> s = new LinkedHashMap<>();
          s.put("identity_hash", rs.getString(1));
          s.put("category", rs.getString(2));
          out.add(new Finding(s, rs.getLong(3), Map.of("threshold", r.threshold())));
        }
      }
    }
    return out;
  }

  /**
   * Returns the blocked requests (raw events with action {@code block}, shadow ones left out)
   * within the rule's sliding window, per group, where they reach {@code threshold} and pass
   * {@code factor} times the average of the {@code baseline} windows before.
   */
  public List<Finding> blockedSpike(AlertsConfig.Rule r, long now) throws SQLException {
    long w = r.window().toMillis();
    long current = now - w;
    long from = now - w * (r.baseline() + 1L);
    String group = switch (r.groupBy()) {
      case ALL -> "''";
      case ROUTE -> "route";
      case PROXY -> "proxy_id";
    };
    Filter f = new Filter(r, null, "route", "proxy_id");
    String categorySql = r.category().isEmpty() ? "" : " AND categories LIKE ? ESCAPE '!'";
    List<Finding> out = new ArrayList<>();
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT " + group + ", SUM(CASE WHEN"
            + " time_ms > ? THEN 1 ELSE 0 END), COUNT(*) FROM events WHERE time_ms > ? AND"
            + " time_ms <= ? AND action = 'block' AND shadow = ?" + f.sql + categorySql
            + (r.groupBy() == AlertsConfig.GroupBy.ALL ? "" : " GROUP BY " + group
            + " ORDER BY " + group))) {
      ps.setLong(1, current);
      ps.setLong(2, from);
      ps.setLong(3, now);
      ps.setBoolean(4, false);
      int i = f.bind(ps, 5);
      if (!r.category().isEmpty()) {
        ps.setString(i, "%\"" + r.category().replace("!", "!!").replace("%", "!%")
            .replace("_", "!_") + "\":%");
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long now1 = rs.getLong(2);
          long before = rs.getLong(3) - now1;
          double average = r.baseline() == 0 ? 0 : (double) before / r.baseline();
          if (now1 < r.threshold() || (r.factor() > 0 && now1 <= r.factor() * average)) {
            continue;
          }
          Map<String, String> s = new LinkedHashMap<>();
          if (r.groupBy() == AlertsConfig.GroupBy.ROUTE) {
            s.put("route", rs.getString(1));
          } else if (r.groupBy() == AlertsConfig.GroupBy.PROXY) {
            s.put("proxy_id", rs.getString(1));
          } else {
            s.put("scope", "all");
          }
          if (!r.category().isEmpty()) {
            s.put("category", r.category());
          }
          Map<String, Number> d = new LinkedHashMap<>();
          d.put("threshold", r.threshold());
          if (r.factor() > 0) {
            d.put("factor", r.factor());
          }
          d.put("baseline_average", Math.round(average * 100) / 100.0);
          out.add(new Finding(s, now1, d));
        }
      }
    }
    return out;
  }

  /** The rule's filters as SQL conditions and their parameters. */
  private static final class Filter {
    final String sql;
    final List<String> values = new ArrayList<>();

    Filter(AlertsConfig.Rule r, @Nullable String categoryColumn, String routeColumn,
        String proxyColumn) {
      StringBuilder sb = new StringBuilder();
      if (categoryColumn != null && !r.category().isEmpty()) {
        sb.append(" AND ").append(categoryColumn).append(" = ?");
        values.add(r.category());
      }
      if (!r.route().isEmpty()) {
        sb.append(" AND ").append(routeColumn).append(" = ?");
        values.add(r.route());
      }
      if (!r.proxy().isEmpty()) {
        sb.append(" AND ").append(proxyColumn).append(" = ?");
        values.add(r.proxy());
      }
      sql = sb.toString();
    }

    /** Binds the parameters from index {@code i}; returns the next index. */
    int bind(PreparedStatement ps, int i) throws SQLException {
      for (String v : values) {
        ps.setString(i++, v);
      }
      return i;
    }
  }

  // ---- alerts ----

  /** Returns the deduplication key of an alert: rule, subject and the window it started in. */
  public static String alertId(String ruleId, String subjectKey, long windowStartMillis) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest((ruleId + "\n" + subjectKey + "\n"
          + windowStartMillis).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Returns the rule's firing alerts by subject key. */
  public Map<String, Alert> firing(String ruleId) throws SQLException {
    Map<String, Alert> out = new HashMap<>();
    for (Alert a : select(" WHERE state = 'firing' AND rule_id = ?", ruleId, 0)) {
      out.put(Finding.subjectKey(a.subject()), a);
    }
    return out;
  }

  /**
   * Fires an alert unless this window's alert of the same rule and subject exists, or one of
   * them fires already; reopens this window's alert if it had resolved.
   */
  public Fired fire(String id, AlertsConfig.Rule rule, Finding f, String summary,
      long windowStart, long now, String notification, String silenceId) throws SQLException {
    try (Connection c = db.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO alerts (alert_id, rule_id,"
          + " kind, subject_key, subject, window_start_ms, state, value, details, summary,"
          + " started_ms, last_seen_ms, resolved_ms, notification, silence_id) VALUES (?, ?, ?,"
          + " ?, ?, ?, 'firing', ?, ?, ?, ?, ?, NULL, ?, ?) ON CONFLICT DO NOTHING")) {
        ps.setString(1, id);
        ps.setString(2, rule.id());
        ps.setString(3, rule.kind().id());
        ps.setString(4, f.subjectKey());
        ps.setString(5, json(f.subject()));
        ps.setLong(6, windowStart);
        ps.setLong(7, f.value());
        ps.setString(8, json(f.details()));
        ps.setString(9, summary);
        ps.setLong(10, now);
        ps.setLong(11, now);
        ps.setString(12, notification);
        ps.setString(13, silenceId);
        if (ps.executeUpdate() == 1) {
          return Fired.INSERTED;
        }
      }
      try (PreparedStatement ps = c.prepareStatement("UPDATE alerts SET state = 'firing',"
          + " resolved_ms = NULL, last_seen_ms = ?, value = ? WHERE alert_id = ? AND state ="
          + " 'resolved'")) {
        ps.setLong(1, now);
        ps.setLong(2, f.value());
        ps.setString(3, id);
        return ps.executeUpdate() == 1 ? Fired.REOPENED : Fired.NONE;
      } catch (SQLException e) {
        if (uniqueViolation(e)) {
          return Fired.NONE;
        }
        throw e;
      }
    }
  }

  private static boolean uniqueViolation(SQLException e) {
    return "23505".equals(e.getSQLState()) || (e.getErrorCode() & 0xff) == 19;
  }

  /** Records that a firing alert still holds, with its latest count. */
  public void stillFiring(String id, long value, long now) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("UPDATE alerts SET last_seen_ms = ?, value = ?"
            + " WHERE alert_id = ? AND state = 'firing'")) {
      ps.setLong(1, now);
      ps.setLong(2, value);
      ps.setString(3, id);
      ps.executeUpdate();
    }
  }

  /** Resolves a firing alert; returns whether this call did (then the caller notifies). */
  public boolean resolve(String id, long now) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("UPDATE alerts SET state = 'resolved',"
            + " resolved_ms = ? WHERE alert_id = ? AND state = 'firing'")) {
      ps.setLong(1, now);
      ps.setString(2, id);
      return ps.executeUpdate() == 1;
    }
  }

  /** Records how an alert's notification went. */
  public void notified(String id, String notification) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("UPDATE alerts SET notification = ? WHERE"
            + " alert_id = ?")) {
      ps.setString(1, notification);
      ps.setString(2, id);
      ps.executeUpdate();
    }
  }

  /**
   * Returns alerts, most recently started first.
   *
   * @param state {@code firing}, {@code resolved}, or null for both
   */
  public List<Alert> alerts(@Nullable String state, int limit) throws SQLException {
    return select(state == null ? "" : " WHERE state = ?", state, limit);
  }

  private List<Alert> select(String where, @Nullable String param, int limit)
      throws SQLException {
    List<Alert> out = new ArrayList<>();
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT alert_id, rule_id, kind, subject,"
            + " window_start_ms, state, value, details, summary, started_ms, last_seen_ms,"
            + " resolved_ms, notification, silence_id FROM alerts" + where
            + " ORDER BY started_ms DESC, alert_id" + (limit > 0 ? " LIMIT " + limit : ""))) {
      if (param != null) {
        ps.setString(1, param);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long resolved = rs.getLong(12);
          Long resolvedMillis = rs.wasNull() ? null : resolved;
          out.add(new Alert(rs.getString(1), rs.getString(2), rs.getString(3),
              readMap(rs.getString(4), new TypeReference<LinkedHashMap<String, String>>() {}),
              rs.getLong(5), rs.getString(6), rs.getLong(7),
              readMap(rs.getString(8), new TypeReference<LinkedHashMap<String, Number>>() {}),
              rs.getString(9), rs.getLong(10), rs.getLong(11), resolvedMillis,
              rs.getString(13), rs.getString(14)));
        }
      }
    }
    return out;
  }

  /** Deletes alerts resolved and silences ended before {@code before}; returns rows deleted. */
  public long purge(long before) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement a = c.prepareStatement("DELETE FROM alerts WHERE state = 'resolved'"
            + " AND resolved_ms < ?");
        PreparedStatement s = c.prepareStatement("DELETE FROM silences WHERE ends_ms < ?")) {
      a.setLong(1, before);
      s.setLong(1, before);
      return a.executeUpdate() + (long) s.executeUpdate();
    }
  }

  // ---- rules created through the API ----

  /**
   * Returns the rules created through the API. A stored rule that no longer binds (it cannot,
   * short of a hand-edited table) is left out.
   */
  public List<StoredRule> rules() throws SQLException {
    List<StoredRule> out = new ArrayList<>();
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT definition, created_by, created_ms,"
            + " comment FROM alert_rules ORDER BY rule_id");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        try {
          out.add(new StoredRule(AlertsBinder.parseStoredRule(rs.getString(1)), "api",
              rs.getString(2), rs.getLong(3), rs.getString(4)));
        } catch (RuntimeException e) {
          // left out: see the Javadoc
        }
      }
    }
    return out;
  }

  /** Adds a rule; returns false when a rule with its id exists. */
  public boolean addRule(StoredRule r) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("INSERT INTO alert_rules (rule_id, definition,"
            + " created_by, created_ms, comment) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
      ps.setString(1, r.rule().id());
      ps.setString(2, RuleJson.of(r.rule()).toString());
      ps.setString(3, r.createdBy());
      ps.setLong(4, r.createdMillis());
      ps.setString(5, r.comment());
      return ps.executeUpdate() == 1;
    }
  }

  /** Deletes a rule created through the API; returns whether it existed. */
  public boolean deleteRule(String id) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("DELETE FROM alert_rules WHERE rule_id = ?")) {
      ps.setString(1, id);
      return ps.executeUpdate() == 1;
    }
  }

  // ---- silences ----

  /** Adds a silence. */
  public void addSilence(Silence s) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("INSERT INTO silences (silence_id, rule_id,"
            + " category, route, identity_hash, starts_ms, ends_ms, created_by, created_ms,"
            + " comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, s.id());
      ps.setString(2, s.ruleId());
      ps.setString(3, s.category());
      ps.setString(4, s.route());
      ps.setString(5, s.identityHash());
      ps.setLong(6, s.startsMillis());
      ps.setLong(7, s.endsMillis());
      ps.setString(8, s.createdBy());
      ps.setLong(9, s.createdMillis());
      ps.setString(10, s.comment());
      ps.executeUpdate();
    }
  }

  /** Ends a silence now (kept for the record); returns whether it was active or pending. */
  public boolean expireSilence(String id, long now) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("UPDATE silences SET ends_ms = ? WHERE"
            + " silence_id = ? AND ends_ms > ?")) {
      ps.setLong(1, now);
      ps.setString(2, id);
      ps.setLong(3, now);
      return ps.executeUpdate() == 1;
    }
  }

  /** Returns whether a silence with this id exists, whatever its state. */
  public boolean silenceExists(String id) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT 1 FROM silences WHERE silence_id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Where a page of silences stops: the last silence's end and id. */
  public record SilencePosition(long endsMillis, String id) {
    /** Checks the id. */
    public SilencePosition {
      requireNonNull(id, "id");
    }
  }

  /**
   * Returns a page of the silences in a state at {@code now}, latest end first (ties by id):
   * those after {@code before} in that order, at most {@code limit}.
   *
   * @param state {@code active}, {@code pending}, {@code expired} or {@code all}
   */
  public List<Silence> silences(String state, long now, @Nullable SilencePosition before,
      int limit) throws SQLException {
    String where = switch (state) {
      case "active" -> "ends_ms > ? AND starts_ms <= ?";
      case "pending" -> "ends_ms > ? AND starts_ms > ?";
      case "expired" -> "ends_ms <= ?";
      case "all" -> "1 = 1";
      default -> throw new IllegalArgumentException("state: " + state
          + " (expected: active, pending, expired or all)");
    };
    List<Silence> out = new ArrayList<>();
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT silence_id, rule_id, category, route,"
            + " identity_hash, starts_ms, ends_ms, created_by, created_ms, comment FROM silences"
            + " WHERE " + where + (before == null ? ""
                : " AND (ends_ms < ? OR (ends_ms = ? AND silence_id > ?))")
            + " ORDER BY ends_ms DESC, silence_id LIMIT ?")) {
      int i = 1;
      if (!state.equals("all")) {
        ps.setLong(i++, now);
        if (!state.equals("expired")) {
          ps.setLong(i++, now);
        }
      }
      if (before != null) {
        ps.setLong(i++, before.endsMillis());
        ps.setLong(i++, before.endsMillis());
        ps.setString(i++, before.id());
      }
      ps.setInt(i, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(silence(rs));
        }
      }
    }
    return out;
  }

  private static Silence silence(ResultSet rs) throws SQLException {
    return new Silence(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
        rs.getString(5), rs.getLong(6), rs.getLong(7), rs.getString(8), rs.getLong(9),
        rs.getString(10));
  }

  /** Returns the silences ending after {@code endsAfter}, latest end first. */
  public List<Silence> silences(long endsAfter) throws SQLException {
    List<Silence> out = new ArrayList<>();
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT silence_id, rule_id, category, route,"
            + " identity_hash, starts_ms, ends_ms, created_by, created_ms, comment FROM silences"
            + " WHERE ends_ms > ? ORDER BY ends_ms DESC, silence_id")) {
      ps.setLong(1, endsAfter);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(silence(rs));
        }
      }
    }
    return out;
  }

  static String json(Map<String, ?> map) {
    try {
      return JSON.writeValueAsString(map);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static <T> T readMap(String json, TypeReference<T> type) throws SQLException {
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new SQLException("alerts: a stored subject or details is not JSON", e);
    }
  }
}
