package dev.custos.command.internal.store;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.custos.command.CommandConfig;
import dev.custos.command.internal.ingest.IngestEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jspecify.annotations.Nullable;

/**
 * The command plane's database: a HikariCP pool over SQLite or PostgreSQL, migrated by Flyway at
 * open, and every statement the plane runs. One schema serves both databases (portable SQL: upserts
 * with {@code ON CONFLICT}, times as epoch milliseconds). Thread-safe; every method blocks on
 * JDBC, so callers run it off event loops.
 *
 * <p>{@link #ingest} stores a batch in one transaction: its id first (a batch id already stored
 * makes it a duplicate, rolled back), then its raw events as a JDBC batch, then the flow
 * model's roll-ups aggregated in memory per batch, written in sorted key order so that concurrent
 * writers take row locks in the same order.
 */
public final class Store implements AutoCloseable {
  /** Where the migrations live on the classpath. */
  public static final String MIGRATIONS = "classpath:dev/custos/command/db";

  private static final long MINUTE = 60_000L;
  private static final long HOUR = 3_600_000L;
  private static final int RETRIES = 5;

  private final HikariDataSource pool;
  private final boolean postgresql;

  private Store(HikariDataSource pool, boolean postgresql) {
    this.pool = pool;
    this.postgresql = postgresql;
  }

  /**
   * Opens the pool and migrates the schema.
   *
   * @throws IllegalStateException if the database cannot be reached or migrated; the message
   *     names the database (without credentials) and the cause
   */
  public static Store open(CommandConfig.Database db) {
    requireNonNull(db, "db");
    HikariConfig hc = new HikariConfig();
    hc.setPoolName("custos-command");
    hc.setJdbcUrl(db.url());
    hc.setConnectionTimeout(10_000);
    hc.setInitializationFailTimeout(10_000);
    if (db.postgresql()) {
      hc.setMaximumPoolSize(db.poolSize());
      if (db.user() != null) {
        hc.setUsername(db.user());
      }
      if (db.passwordFile() != null) {
        try {
          hc.setPassword(new String(Files.readAllBytes(db.passwordFile()),
              StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
          throw new IllegalStateException("database: cannot read password_file: "
              + e.getClass().getSimpleName() + " (expected: a readable file)", e);
        }
      }
      db.schemaName().ifPresent(hc::setSchema);
      // Multi-row INSERTs from JDBC batches: several times the rate of one row per statement.
      hc.addDataSourceProperty("reWriteBatchedInserts", "true");
    } else {
      // One writer (the ingest queue has one worker for SQLite); a second connection for reads.
      hc.setMaximumPoolSize(2);
      hc.addDataSourceProperty("journal_mode", "WAL");
      hc.addDataSourceProperty("synchronous", "NORMAL");
      hc.addDataSourceProperty("busy_timeout", "10000");
    }
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(hc);
    } catch (RuntimeException e) {
      throw new IllegalStateException("database " + redacted(db.url()) + ": cannot connect: "
          + rootMessage(e, db.url()) + " (expected: a reachable database)", e);
    }
    try {
      var flyway = Flyway.configure(Store.class.getClassLoader())
          .dataSource(pool)
          .locations(MIGRATIONS)
          .failOnMissingLocations(true);
      if (db.postgresql() && db.schemaName().isPresent()) {
        flyway.schemas(db.schemaName().get()).defaultSchema(db.schemaName().get());
      }
      flyway.load().migrate();
    } catch (RuntimeException e) {
      pool.close();
      throw new IllegalStateException("database " + redacted(db.url()) + ": migration failed: "
          + rootMessage(e, db.url()), e);
    }
    return new Store(pool, db.postgresql());
  }

  /**
   * Returns the URL without what may hold credentials: query parameters, {@code ;key=value}
   * properties and user information ({@code //user:password@host}).
   */
  static String redacted(String url) {
    String u = url;
    int q = u.indexOf('?');
    if (q >= 0) {
      u = u.substring(0, q) + "?...";
    }
    int semicolon = u.indexOf(';');
    if (semicolon >= 0) {
      u = u.substring(0, semicolon) + ";...";
    }
    int authority = u.indexOf("//");
    if (authority >= 0) {
      int hostEnd = u.indexOf('/', authority + 2);
      int at = u.lastIndexOf('@', hostEnd < 0 ? u.length() - 1 : hostEnd);
      if (at > authority) {
        u = u.substring(0, authority + 2) + "...@" + u.substring(at + 1);
      }
    }
    return u;
  }

  /** Returns the deepest cause's first line, the database URL in it redacted. */
  private static String rootMessage(Throwable e, String url) {
    return rootMessage(e).replace(url, redacted(url));
  }

  private static String rootMessage(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String m = c.getMessage();
    return c.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst()
        .orElse(""));
  }

  /** Returns whether the database is PostgreSQL (otherwise SQLite). */
  public boolean postgresql() {
    return postgresql;
  }

  /** Returns the pool, for tests and the bench. */
  public DataSource dataSource() {
    return pool;
  }

  /** Returns whether the database answers a trivial query. */
  public boolean ping() {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      s.execute("SELECT 1");
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  /**
   * Stores a batch in one transaction; a batch whose id is already stored is a duplicate and
   * changes nothing.
   *
   * @return the number of events stored, or -1 for a duplicate
   * @throws SQLException if the database fails (after retrying deadlocks and busy errors)
   */
  public int ingest(Batch batch) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try (Connection c = pool.getConnection()) {
        c.setAutoCommit(false);
        try {
          int n = ingest(c, batch);
          c.commit();
          return n;
        } catch (SQLException | RuntimeException e) {
          c.rollback();
          throw e;
        } finally {
          c.setAutoCommit(true);
        }
      } catch (SQLException e) {
        if (attempt >= RETRIES || !retryable(e)) {
          throw e;
        }
      }
    }
  }

  /** Deadlocks and serialization failures (PostgreSQL), a busy or locked database (SQLite). */
  private static boolean retryable(SQLException e) {
    String state = e.getSQLState();
    return "40P01".equals(state) || "40001".equals(state)
        || (e.getErrorCode() & 0xff) == 5 || (e.getErrorCode() & 0xff) == 6;
  }

  private int ingest(Connection c, Batch b) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO batches (batch_id, proxy_id,"
        + " received_ms, events) VALUES (?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING")) {
      ps.setString(1, b.batchId());
      ps.setString(2, b.proxyId());
      ps.setLong(3, b.receivedMillis());
      ps.setInt(4, b.events().size());
      if (ps.executeUpdate() == 0) {
        return -1;
      }
    }
    insertEvents(c, b);
    Rollups r = Rollups.of(b);
    upsertFlows(c, "flow_minute", r.minute);
    upsertFlows(c, "flow_hour", r.hour);
    if (!r.values.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO flow_values (bucket_ms,"
          + " proxy_id, route, cluster, direction, identity_hash, category, evidence_hash)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
        for (ValueKey k : r.values) {
          ps.setLong(1, k.bucket);
          ps.setString(2, b.proxyId());
          ps.setString(3, k.route);
          ps.setString(4, k.cluster);
          ps.setString(5, k.direction);
          ps.setString(6, k.identity);
          ps.setString(7, k.category);
          ps.setString(8, k.hash);
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
    if (!r.sightings.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO value_sightings"
          + " (evidence_hash, proxy_id, route, cluster, direction, category, preview,"
          + " first_seen_ms, last_seen_ms, sightings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
          + " ON CONFLICT (evidence_hash, proxy_id, route, cluster, direction, category)"
          + " DO UPDATE SET sightings = value_sightings.sightings + excluded.sightings,"
          + " first_seen_ms = CASE WHEN excluded.first_seen_ms < value_sightings.first_seen_ms"
          + " THEN excluded.first_seen_ms ELSE value_sightings.first_seen_ms END,"
          + " last_seen_ms = CASE WHEN excluded.last_seen_ms > value_sightings.last_seen_ms"
          + " THEN excluded.last_seen_ms ELSE value_sightings.last_seen_ms END,"
          + " preview = excluded.preview")) {
        for (Map.Entry<SightingKey, long[]> e : r.sightings.entrySet()) {
          SightingKey k = e.getKey();
          long[] v = e.getValue();
          ps.setString(1, k.hash);
          ps.setString(2, b.proxyId());
          ps.setString(3, k.route);
          ps.setString(4, k.cluster);
          ps.setString(5, k.direction);
          ps.setString(6, k.category);
          ps.setString(7, r.previews.getOrDefault(k, ""));
          ps.setLong(8, v[0]);
          ps.setLong(9, v[1]);
          ps.setLong(10, v[2]);
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
    // Last: the proxy's row is the one every batch of that proxy touches.
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO proxies (proxy_id, token_name,"
        + " config_version, first_seen_ms, last_seen_ms) VALUES (?, ?, ?, ?, ?)"
        + " ON CONFLICT (proxy_id) DO UPDATE SET token_name = excluded.token_name,"
        + " config_version = excluded.config_version, last_seen_ms = CASE WHEN"
        + " excluded.last_seen_ms > proxies.last_seen_ms THEN excluded.last_seen_ms ELSE"
        + " proxies.last_seen_ms END")) {
      ps.setString(1, b.proxyId());
      ps.setString(2, b.tokenName());
      ps.setString(3, b.configVersion());
      ps.setLong(4, b.receivedMillis());
      ps.setLong(5, b.receivedMillis());
      ps.executeUpdate();
    }
    return b.events().size();
  }

  private static void insertEvents(Connection c, Batch b) throws SQLException {
    if (b.events().isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO events (batch_id, line_no,"
        + " proxy_id, time_ms, received_ms, route, cluster, service, protocol, direction,"
        + " identity_hash, action, blocked_by, shadow, alert, uninspectable, inspected_bytes,"
        + " findings, categories) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        + " ?)")) {
      int line = 0;
      for (IngestEvent e : b.events()) {
        ps.setString(1, b.batchId());
        ps.setInt(2, ++line);
        ps.setString(3, b.proxyId());
        ps.setLong(4, e.timeMillis());
        ps.setLong(5, b.receivedMillis());
        ps.setString(6, e.route());
        ps.setString(7, e.cluster());
        ps.setString(8, e.service());
        ps.setString(9, e.protocol());
        ps.setString(10, e.direction());
        ps.setString(11, e.identityHash());
        ps.setString(12, e.action());
        ps.setString(13, e.blockedBy());
        ps.setBoolean(14, e.shadow());
        ps.setBoolean(15, e.alert());
        ps.setString(16, e.uninspectable());
        ps.setLong(17, e.inspectedBytes());
        ps.setLong(18, e.findings());
        ps.setString(19, categoriesJson(e.categories()));
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** Category ids match {@code [a-z0-9_.-]+}: nothing to escape. */
  static String categoriesJson(Map<String, Integer> categories) {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, Integer> e : new TreeMap<>(categories).entrySet()) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append('"').append(e.getKey()).append("\":").append(e.getValue());
    }
    return sb.append('}').toString();
  }

  private static void upsertFlows(Connection c, String table, Map<FlowKey, long[]> rows)
      throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (bucket_ms,"
        + " proxy_id, route, cluster, direction, identity_hash, service, category, action,"
        + " events, findings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (bucket_ms,"
        + " proxy_id, route, cluster, direction, identity_hash, service, category, action)"
        + " DO UPDATE SET events = " + table + ".events + excluded.events, findings = "
        + table + ".findings + excluded.findings")) {
      for (Map.Entry<FlowKey, long[]> e : rows.entrySet()) {
        FlowKey k = e.getKey();
        ps.setLong(1, k.bucket);
        ps.setString(2, k.proxy);
        ps.setString(3, k.route);
        ps.setString(4, k.cluster);
        ps.setString(5, k.direction);
        ps.setString(6, k.identity);
        ps.setString(7, k.service);
        ps.setString(8, k.category);
        ps.setString(9, k.action);
        ps.setLong(10, e.getValue()[0]);
        ps.setLong(11, e.getValue()[1]);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /**
   * Deletes what retention no longer keeps.
   *
   * @param rawBefore raw events and batch ids received before this instant (epoch ms)
   * @param minuteBefore minute roll-ups whose bucket starts before this instant
   * @param hourBefore hour roll-ups, distinct values and sightings older than this instant
   * @return rows deleted per table
   */
  public Map<String, Long> deleteOlderThan(long rawBefore, long minuteBefore, long hourBefore)
      throws SQLException {
    Map<String, Long> deleted = new LinkedHashMap<>();
    try (Connection c = pool.getConnection()) {
      deleted.put("events", delete(c, "DELETE FROM events WHERE received_ms < ?", rawBefore));
      deleted.put("batches", delete(c, "DELETE FROM batches WHERE received_ms < ?", rawBefore));
      deleted.put("flow_minute", delete(c, "DELETE FROM flow_minute WHERE bucket_ms < ?",
          minuteBefore));
      deleted.put("flow_hour", delete(c, "DELETE FROM flow_hour WHERE bucket_ms < ?",
          hourBefore));
      deleted.put("flow_values", delete(c, "DELETE FROM flow_values WHERE bucket_ms < ?",
          hourBefore));
      deleted.put("value_sightings", delete(c,
          "DELETE FROM value_sightings WHERE last_seen_ms < ?", hourBefore));
    }
    return deleted;
  }

  private static long delete(Connection c, String sql, long before) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, before);
      return ps.executeUpdate();
    }
  }

  /**
   * Returns the flow model's edges over hour buckets in {@code [fromMillis, toMillis)}, most
   * findings first.
   */
  public List<FlowRow> flows(long fromMillis, long toMillis, @Nullable String category,
      int limit) throws SQLException {
    String where = " WHERE bucket_ms >= ? AND bucket_ms < ?"
        + (category == null ? "" : " AND category = ?");
    Map<String, Long> distinct = new HashMap<>();
    List<FlowRow> rows = new ArrayList<>();
    try (Connection c = pool.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement("SELECT route, cluster, direction,"
          + " identity_hash, category, COUNT(DISTINCT evidence_hash) FROM flow_values" + where
          + " GROUP BY route, cluster, direction, identity_hash, category")) {
        bind(ps, fromMillis, toMillis, category);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            distinct.put(edge(rs.getString(1), rs.getString(2), rs.getString(3),
                rs.getString(4), rs.getString(5)), rs.getLong(6));
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT route, cluster, direction,"
          + " identity_hash, service, category, action, SUM(events), SUM(findings) FROM"
          + " flow_hour" + where + " GROUP BY route, cluster, direction, identity_hash, service,"
          + " category, action ORDER BY SUM(findings) DESC, route, identity_hash, category,"
          + " action LIMIT ?")) {
        int i = bind(ps, fromMillis, toMillis, category);
        ps.setInt(i, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String route = rs.getString(1);
            String cluster = rs.getString(2);
            String direction = rs.getString(3);
            String identity = rs.getString(4);
            String cat = rs.getString(6);
            rows.add(new FlowRow(route, cluster, direction, identity, rs.getString(5), cat,
                rs.getString(7), rs.getLong(8), rs.getLong(9),
                distinct.getOrDefault(edge(route, cluster, direction, identity, cat), 0L)));
          }
        }
      }
    }
    return rows;
  }

  private static String edge(String... parts) {
    return String.join("\u0000", parts);
  }

  private static int bind(PreparedStatement ps, long from, long to, @Nullable String category)
      throws SQLException {
    ps.setLong(1, from);
    ps.setLong(2, to);
    if (category != null) {
      ps.setString(3, category);
      return 4;
    }
    return 3;
  }

  /** Returns where a value (by evidence hash) was seen, first sighting first. */
  public List<Sighting> lineage(String evidenceHash) throws SQLException {
    List<Sighting> out = new ArrayList<>();
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT proxy_id, route, cluster, direction,"
            + " category, preview, first_seen_ms, last_seen_ms, sightings FROM value_sightings"
            + " WHERE evidence_hash = ? ORDER BY first_seen_ms, proxy_id, route, cluster,"
            + " direction")) {
      ps.setString(1, evidenceHash);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Sighting(rs.getString(1), rs.getString(2), rs.getString(3),
              rs.getString(4), rs.getString(5), rs.getString(6), rs.getLong(7), rs.getLong(8),
              rs.getLong(9)));
        }
      }
    }
    return out;
  }

  @Override
  public void close() {
    pool.close();
  }

  /** The roll-ups of one batch, aggregated in memory and sorted by key. */
  private static final class Rollups {
    final TreeMap<FlowKey, long[]> minute = new TreeMap<>();
    final TreeMap<FlowKey, long[]> hour = new TreeMap<>();
    final TreeSet<ValueKey> values = new TreeSet<>();
    final TreeMap<SightingKey, long[]> sightings = new TreeMap<>();
    final Map<SightingKey, String> previews = new HashMap<>();

    static Rollups of(Batch b) {
      Rollups r = new Rollups();
      for (IngestEvent e : b.events()) {
        long t = e.timeMillis();
        long minute = Math.floorDiv(t, MINUTE) * MINUTE;
        long hour = Math.floorDiv(t, HOUR) * HOUR;
        for (Map.Entry<String, Integer> c : e.categories().entrySet()) {
          add(r.minute, new FlowKey(minute, b.proxyId(), e, c.getKey()), c.getValue());
          add(r.hour, new FlowKey(hour, b.proxyId(), e, c.getKey()), c.getValue());
        }
        for (IngestEvent.Evidence v : e.evidence()) {
          r.values.add(new ValueKey(hour, e.route(), e.cluster(), e.direction(),
              e.identityHash(), v.category(), v.hash()));
          SightingKey k = new SightingKey(v.hash(), e.route(), e.cluster(), e.direction(),
              v.category());
          long[] s = r.sightings.computeIfAbsent(k, x -> new long[] {t, t, 0});
          s[0] = Math.min(s[0], t);
          s[1] = Math.max(s[1], t);
          s[2]++;
          if (!v.preview().isEmpty()) {
            r.previews.put(k, v.preview());
          }
        }
      }
      return r;
    }

    private static void add(Map<FlowKey, long[]> m, FlowKey k, int findings) {
      long[] v = m.computeIfAbsent(k, x -> new long[2]);
      v[0]++;
      v[1] += findings;
    }
  }

  private record FlowKey(long bucket, String proxy, String route, String cluster,
      String direction, String identity, String service, String category, String action)
      implements Comparable<FlowKey> {
    static final Comparator<FlowKey> ORDER = Comparator.comparingLong(FlowKey::bucket)
        .thenComparing(FlowKey::proxy).thenComparing(FlowKey::route)
        .thenComparing(FlowKey::cluster).thenComparing(FlowKey::direction)
        .thenComparing(FlowKey::identity).thenComparing(FlowKey::service)
        .thenComparing(FlowKey::category).thenComparing(FlowKey::action);

    FlowKey(long bucket, String proxy, IngestEvent e, String category) {
      this(bucket, proxy, e.route(), e.cluster(), e.direction(), e.identityHash(), e.service(),
          category, e.action());
    }

    @Override
    public int compareTo(FlowKey o) {
      return ORDER.compare(this, o);
    }
  }

  private record ValueKey(long bucket, String route, String cluster, String direction,
      String identity, String category, String hash) implements Comparable<ValueKey> {
    static final Comparator<ValueKey> ORDER = Comparator.comparingLong(ValueKey::bucket)
        .thenComparing(ValueKey::route).thenComparing(ValueKey::cluster)
        .thenComparing(ValueKey::direction).thenComparing(ValueKey::identity)
        .thenComparing(ValueKey::category).thenComparing(ValueKey::hash);

    @Override
    public int compareTo(ValueKey o) {
      return ORDER.compare(this, o);
    }
  }

  private record SightingKey(String hash, String route, String cluster, String direction,
      String category) implements Comparable<SightingKey> {
    static final Comparator<SightingKey> ORDER = Comparator.comparing(SightingKey::hash)
        .thenComparing(SightingKey::route).thenComparing(SightingKey::cluster)
        .thenComparing(SightingKey::direction).thenComparing(SightingKey::category);

    @Override
    public int compareTo(SightingKey o) {
      return ORDER.compare(this, o);
    }
  }
}
