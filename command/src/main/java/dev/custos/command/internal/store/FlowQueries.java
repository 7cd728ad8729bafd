package dev.custos.command.internal.store;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The read side of the flow model for the dashboard: the service map, the category heatmap, the
 * top identities and the findings list, over the roll-ups ({@code flow_minute},
 * {@code flow_hour}, {@code flow_values}) and the raw {@code events}. Portable SQL (SQLite and
 * PostgreSQL). Every query is bounded by its caller: a time range (capped by the API) and a row
 * limit. Thread-safe; every method blocks on JDBC, so callers run it off event loops.
 */
public final class FlowQueries {
  private final DataSource db;

  /** Returns the queries over this database (the store's pool). */
  public FlowQueries(DataSource db) {
    this.db = requireNonNull(db, "db");
  }

  /**
   * One edge of the service map: a caller (a service, or an identity hash when no service is
   * known) to a route of a proxy, for one category.
   *
   * @param service the caller's service, or empty
   * @param identityHash the caller's identity hash when {@code service} is empty, else empty
   * @param proxyId the proxy
   * @param route the route
   * @param category the category
   * @param events messages with the category
   * @param findings values found
   * @param distinctValues distinct values by evidence hash
   * @param blocked messages blocked (not counting shadow mode's)
   * @param wouldHaveBlocked messages a policy in shadow mode would have blocked
   */
  public record MapEdge(String service, String identityHash, String proxyId, String route,
      String category, long events, long findings, long distinctValues, long blocked,
      long wouldHaveBlocked) {}

  /**
   * Returns the service map's edges over hour buckets in {@code [fromMillis, toMillis)}, most
   * findings first, at most {@code limit}.
   */
  public List<MapEdge> map(long fromMillis, long toMillis, @Nullable String category, int limit)
      throws SQLException {
    String caller = "service, CASE WHEN service = '' THEN identity_hash ELSE '' END";
    String where = " WHERE bucket_ms >= ? AND bucket_ms < ?"
        + (category == null ? "" : " AND category = ?");
    Map<List<String>, Long> distinct = new HashMap<>();
    List<MapEdge> edges = new ArrayList<>();
    try (Connection c = db.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement("SELECT h.service, CASE WHEN h.service ="
          + " '' THEN h.identity_hash ELSE '' END, h.proxy_id, h.route, h.category,"
          + " COUNT(DISTINCT v.evidence_hash) FROM (SELECT DISTINCT bucket_ms, proxy_id, route,"
          + " cluster, direction, identity_hash, service, category FROM flow_hour" + where
          + ") h JOIN flow_values v ON v.bucket_ms = h.bucket_ms AND v.proxy_id = h.proxy_id"
          + " AND v.route = h.route AND v.cluster = h.cluster AND v.direction = h.direction"
          + " AND v.identity_hash = h.identity_hash AND v.category = h.category"
          + " GROUP BY 1, 2, 3, 4, 5")) {
        bind(ps, 1, fromMillis, toMillis, category);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            distinct.put(List.of(rs.getString(1), rs.getString(2), rs.getString(3),
                rs.getString(4), rs.getString(5)), rs.getLong(6));
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT " + caller + ", proxy_id, route,"
          + " category, SUM(events), SUM(findings), SUM(CASE WHEN action = 'block' THEN events"
          + " - shadow_events ELSE 0 END), SUM(CASE WHEN action = 'block' THEN shadow_events"
          + " ELSE 0 END) FROM flow_hour" + where + " GROUP BY 1, 2, 3, 4, 5"
          + " ORDER BY 7 DESC, 1, 2, 3, 4, 5 LIMIT ?")) {
        int i = bind(ps, 1, fromMillis, toMillis, category);
        ps.setInt(i, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            List<String> key = List.of(rs.getString(1), rs.getString(2), rs.getString(3),
                rs.getString(4), rs.getString(5));
            edges.add(new MapEdge(key.get(0), key.get(1), key.get(2), key.get(3), key.get(4),
                rs.getLong(6), rs.getLong(7), distinct.getOrDefault(key, 0L), rs.getLong(8),
                rs.getLong(9)));
          }
        }
      }
    }
    return edges;
  }

  /**
   * Findings per category per time bucket.
   *
   * @param categories the categories seen, sorted
   * @param counts findings per category (outer, in the order of {@code categories}) per bucket
   *     (inner, one per bucket from the range's first)
   */
  public record Heatmap(List<String> categories, List<long[]> counts) {}

  /**
   * Returns findings per category per bucket over {@code [fromMillis, toMillis)}: minute
   * buckets from {@code flow_minute} or hour buckets from {@code flow_hour}; {@code fromMillis}
   * must be a bucket's start and the range at most {@code buckets} buckets long.
   */
  public Heatmap heatmap(long fromMillis, long toMillis, boolean hourly, int buckets)
      throws SQLException {
    long size = hourly ? 3_600_000L : 60_000L;
    TreeMap<String, long[]> rows = new TreeMap<>();
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT bucket_ms, category, SUM(findings)"
            + " FROM " + (hourly ? "flow_hour" : "flow_minute") + " WHERE bucket_ms >= ? AND"
            + " bucket_ms < ? GROUP BY bucket_ms, category")) {
      ps.setLong(1, fromMillis);
      ps.setLong(2, toMillis);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          int at = (int) ((rs.getLong(1) - fromMillis) / size);
          if (at >= 0 && at < buckets) {
            rows.computeIfAbsent(rs.getString(2), k -> new long[buckets])[at] += rs.getLong(3);
          }
        }
      }
    }
    return new Heatmap(List.copyOf(rows.keySet()), List.copyOf(rows.values()));
  }

  /**
   * One identity among those that received the most findings.
   *
   * @param identityHash the caller's identity hash
   * @param service the caller's service, or empty
   * @param findings values found
   * @param distinctValues distinct values (by evidence hash, per category, summed)
   * @param categories findings per category
   * @param distinctByCategory distinct values per category
   */
  public record TopIdentity(String identityHash, String service, long findings,
      long distinctValues, Map<String, Long> categories, Map<String, Long> distinctByCategory) {}

  /**
   * Returns the identities with the most findings over hour buckets in
   * {@code [fromMillis, toMillis)}, most first, at most {@code limit}.
   *
   * @param category only this category, if not null
   * @param direction only this direction ({@code request}, {@code response}), if not null
   */
  public List<TopIdentity> topIdentities(long fromMillis, long toMillis,
      @Nullable String category, @Nullable String direction, int limit) throws SQLException {
    String where = " WHERE bucket_ms >= ? AND bucket_ms < ?"
        + (category == null ? "" : " AND category = ?")
        + (direction == null ? "" : " AND direction = ?");
    LinkedHashMap<String, Top> top = new LinkedHashMap<>();
    try (Connection c = db.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement("SELECT identity_hash, SUM(findings),"
          + " MAX(service) FROM flow_hour" + where + " GROUP BY identity_hash"
          + " ORDER BY 2 DESC, 1 LIMIT ?")) {
        int i = bind(ps, 1, fromMillis, toMillis, category, direction);
        ps.setInt(i, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            top.put(rs.getString(1), new Top(rs.getLong(2), rs.getString(3)));
          }
        }
      }
      if (top.isEmpty()) {
        return List.of();
      }
      String in = " AND identity_hash IN (" + String.join(", ",
          Collections.nCopies(top.size(), "?")) + ") GROUP BY identity_hash, category";
      perCategory(c, "SELECT identity_hash, category, SUM(findings) FROM flow_hour" + where
          + in, fromMillis, toMillis, category, direction, top, false);
      perCategory(c, "SELECT identity_hash, category, COUNT(DISTINCT evidence_hash) FROM"
          + " flow_values" + where + in, fromMillis, toMillis, category, direction, top, true);
    }
    List<TopIdentity> out = new ArrayList<>();
    for (Map.Entry<String, Top> e : top.entrySet()) {
      Top t = e.getValue();
      long sum = t.distinct.values().stream().mapToLong(Long::longValue).sum();
      out.add(new TopIdentity(e.getKey(), t.service, t.findings, sum,
          Collections.unmodifiableMap(t.categories), Collections.unmodifiableMap(t.distinct)));
    }
    return out;
  }

  /** One top identity while its per-category figures are read. */
  private static final class Top {
    final long findings;
    final String service;
    final Map<String, Long> categories = new TreeMap<>();
    final Map<String, Long> distinct = new TreeMap<>();

    Top(long findings, String service) {
      this.findings = findings;
      this.service = service;
    }
  }

  private static void perCategory(Connection c, String sql, long from, long to,
      @Nullable String category, @Nullable String direction, Map<String, Top> top,
      boolean distinct) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = bind(ps, 1, from, to, category, direction);
      for (String identity : top.keySet()) {
        ps.setString(i++, identity);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Top t = top.get(rs.getString(1));
          (distinct ? t.distinct : t.categories).put(rs.getString(2), rs.getLong(3));
        }
      }
    }
  }

  /**
   * What the findings list shows: raw events in {@code [fromMillis, toMillis)} matching every
   * filter that is not null, newest first, before a position when paging.
   *
   * @param fromMillis start, inclusive
   * @param toMillis end, exclusive
   * @param category only events with this category
   * @param route only this route
   * @param proxyId only this proxy
   * @param identityHash only this caller
   * @param action only this strongest action
   * @param shadow only events in (true) or out of (false) shadow mode
   * @param before only events strictly before this position (the previous page's last)
   * @param limit at most this many events
   */
  public record EventFilter(long fromMillis, long toMillis, @Nullable String category,
      @Nullable String route, @Nullable String proxyId, @Nullable String identityHash,
      @Nullable String action, @Nullable Boolean shadow, @Nullable Position before,
      int limit) {}

  /**
   * An event's position in the findings list's order (time, batch, line; newest first).
   *
   * @param timeMillis the event's time
   * @param batchId its batch
   * @param lineNo its line in the batch
   */
  public record Position(long timeMillis, String batchId, int lineNo) {}

  /**
   * One findings event.
   *
   * @param position where it sits in the list
   * @param proxyId the proxy that saw it
   * @param route the route
   * @param cluster the upstream cluster, or empty
   * @param service the caller's service, or empty
   * @param protocol what carried the message
   * @param direction request or response
   * @param identityHash the caller's identity hash
   * @param action the strongest action
   * @param blockedBy the rule that blocked, or null
   * @param shadow whether the policy was in shadow mode
   * @param categoriesJson findings per category, as a JSON object
   * @param findings values found
   * @param evidenceJson the values found, as a JSON array of {@code [category, hash, preview]}
   */
  public record EventRow(Position position, String proxyId, String route, String cluster,
      String service, String protocol, String direction, String identityHash, String action,
      @Nullable String blockedBy, boolean shadow, String categoriesJson, long findings,
      String evidenceJson) {}

  /** Returns the findings events matching the filter, newest first. */
  public List<EventRow> events(EventFilter f) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT time_ms, batch_id, line_no, proxy_id, route,"
        + " cluster, service, protocol, direction, identity_hash, action, blocked_by, shadow,"
        + " categories, findings, evidence FROM events WHERE time_ms >= ? AND time_ms < ?");
    List<Object> args = new ArrayList<>(List.of(f.fromMillis(), f.toMillis()));
    if (f.category() != null) {
      // Category ids are [a-z0-9_.-]: '_' is LIKE's one-character wildcard, escaped with '!'.
      sql.append(" AND categories LIKE ? ESCAPE '!'");
      args.add("%\"" + f.category().replace("_", "!_") + "\":%");
    }
    filter(sql, args, "route", f.route());
    filter(sql, args, "proxy_id", f.proxyId());
    filter(sql, args, "identity_hash", f.identityHash());
    filter(sql, args, "action", f.action());
    if (f.shadow() != null) {
      sql.append(" AND shadow = ?");
      args.add(f.shadow());
    }
    Position b = f.before();
    if (b != null) {
      sql.append(" AND (time_ms < ? OR (time_ms = ? AND (batch_id < ? OR (batch_id = ? AND"
          + " line_no < ?))))");
      args.addAll(List.of(b.timeMillis(), b.timeMillis(), b.batchId(), b.batchId(),
          b.lineNo()));
    }
    sql.append(" ORDER BY time_ms DESC, batch_id DESC, line_no DESC LIMIT ?");
    args.add(f.limit());
    List<EventRow> out = new ArrayList<>();
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) {
        Object a = args.get(i);
        if (a instanceof Long l) {
          ps.setLong(i + 1, l);
        } else if (a instanceof Integer n) {
          ps.setInt(i + 1, n);
        } else if (a instanceof Boolean bool) {
          ps.setBoolean(i + 1, bool);
        } else {
          ps.setString(i + 1, (String) a);
        }
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new EventRow(new Position(rs.getLong(1), rs.getString(2), rs.getInt(3)),
              rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7),
              rs.getString(8), rs.getString(9), rs.getString(10), rs.getString(11),
              rs.getString(12), rs.getBoolean(13), rs.getString(14), rs.getLong(15),
              rs.getString(16)));
        }
      }
    }
    return out;
  }

  private static void filter(StringBuilder sql, List<Object> args, String column,
      @Nullable String value) {
    if (value != null) {
      sql.append(" AND ").append(column).append(" = ?");
      args.add(value);
    }
  }

  private static int bind(PreparedStatement ps, int first, long from, long to,
      @Nullable String... optional) throws SQLException {
    int i = first;
    ps.setLong(i++, from);
    ps.setLong(i++, to);
    for (String o : optional) {
      if (o != null) {
        ps.setString(i++, o);
      }
    }
    return i;
  }
}
