package dev.custos.command.internal.store;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.custos.command.CommandConfig;
import dev.custos.command.internal.ingest.IngestEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.jspecify.annotations.Nullable;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * The command plane's database: a HikariCP pool over SQLite or PostgreSQL, migrated by Flyway at
 * open, and every statement the plane runs. One schema serves both databases (portable SQL: upserts
 * with {@code ON CONFLICT}, times as epoch milliseconds). Thread-safe; every method blocks on
 * JDBC, so callers run it off event loops.
 *
 * <p>{@link #ingest(List)} first resolves the group's dictionary ids (see {@link
 * Dictionaries}), then stores the group in one transaction (see {@link IngestWriter}): batch
 * ids first (an id already stored makes that batch a duplicate), then
 * their raw events ({@code COPY} on PostgreSQL), then the flow model's roll-ups aggregated in
 * memory over the group, written in sorted key order so that concurrent writers take row locks
 * in the same order.
 */
public final class Store implements AutoCloseable {
  /** Where the migrations live on the classpath. */
  public static final String MIGRATIONS = "classpath:dev/custos/command/db";

  private final HikariDataSource pool;
  private final boolean postgresql;
  private final Dictionaries dictionaries = new Dictionaries();

  Store(HikariDataSource pool, boolean postgresql) {
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
      flyway(pool, db).load().migrate();
    } catch (RuntimeException e) {
      pool.close();
      throw new IllegalStateException("database " + redacted(db.url()) + ": migration failed: "
          + rootMessage(e, db.url()), e);
    }
    return new Store(pool, db.postgresql());
  }

  /**
   * Returns the Flyway configuration of {@code db}'s migrations over {@code dataSource}: the
   * placeholder {@code id_column} is the one dialect difference of the schema (an auto-assigned
   * BIGINT primary key).
   */
  static FluentConfiguration flyway(DataSource dataSource, CommandConfig.Database db) {
    var flyway = Flyway.configure(Store.class.getClassLoader())
        .dataSource(dataSource)
        .locations(MIGRATIONS)
        .failOnMissingLocations(true)
        .placeholders(Map.of("id_column", db.postgresql()
            ? "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY"));
    if (db.postgresql() && db.schemaName().isPresent()) {
      flyway.schemas(db.schemaName().get()).defaultSchema(db.schemaName().get());
    }
    return flyway;
  }

  /**
   * Returns the URL without what may hold credentials: query parameters, {@code ;key=value}
   * properties and user information ({@code //user:password@host}).
   */
  static String redacted(String url) {
    String u = url;
    int authority = u.indexOf("//");
    // The last '@': a password may hold '/', '?', ';' or '@' itself.
    int at = u.lastIndexOf('@');
    if (authority >= 0 && at > authority) {
      int props = firstOf(u, authority, '?', ';');
      if (props >= 0 && props < at) {
        // Either the password holds '?' or ';', or a parameter holds '@': hide everything.
        return u.substring(0, authority + 2) + "...";
      }
      u = u.substring(0, authority + 2) + "...@" + u.substring(at + 1);
    }
    int q = u.indexOf('?');
    if (q >= 0) {
      u = u.substring(0, q) + "?...";
    }
    int semicolon = u.indexOf(';');
    if (semicolon >= 0) {
      u = u.substring(0, semicolon) + ";...";
    }
    return u;
  }

  private static int firstOf(String s, int from, char a, char b) {
    int i = s.indexOf(a, from);
    int j = s.indexOf(b, from);
    return i < 0 ? j : j < 0 ? i : Math.min(i, j);
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
    requireNonNull(batch, "batch");
    try {
      return write(List.of(batch))[0];
    } catch (SQLException e) {
      throw withoutRowData(e);
    }
  }

  /**
   * Stores a group of batches in one transaction (group commit), their roll-ups aggregated
   * over the whole group. A batch whose id is already stored, or came earlier in the group, is
   * a duplicate. When the group's transaction fails (after retrying deadlocks and busy errors),
   * each batch is stored alone in a transaction of its own, so that one failing batch neither
   * loses nor double-counts the others; when it failed for want of a connection, every batch
   * fails with that failure at once.
   *
   * @return per batch, in the group's order, what became of it
   */
  public List<Outcome> ingest(List<Batch> group) {
    List<Batch> batches = List.copyOf(group);
    if (batches.size() > 1) {
      try {
        int[] stored = write(batches);
        List<Outcome> out = new ArrayList<>(stored.length);
        for (int n : stored) {
          out.add(Outcome.stored(n));
        }
        return out;
      } catch (SQLException | RuntimeException e) {
        if (e instanceof SQLException s && unreachable(s)) {
          // No connection: each batch alone would wait as long again and fail the same way.
          List<Outcome> out = new ArrayList<>(batches.size());
          for (int i = 0; i < batches.size(); i++) {
            out.add(Outcome.failed(e));
          }
          return out;
        }
        // Retried below, batch by batch.
      }
    }
    List<Outcome> out = new ArrayList<>(batches.size());
    for (Batch b : batches) {
      try {
        out.add(Outcome.stored(write(List.of(b))[0]));
      } catch (SQLException e) {
        out.add(Outcome.failed(withoutRowData(e)));
      } catch (RuntimeException e) {
        out.add(Outcome.failed(e));
      }
    }
    return out;
  }

  private int[] write(List<Batch> group) throws SQLException {
    // Dictionary entries first, each committed at once: outside the group's transaction.
    return Transactions.run(pool, Transactions::contention,
        c -> dictionaries.resolve(c, group, postgresql),
        (c, ids) -> IngestWriter.write(c, group, postgresql, ids));
  }

  /**
   * Returns PostgreSQL's error without the row data it carries: an error about a row holds the
   * row in its detail ("Failing row contains (...)") and a {@code COPY} line in its context, and
   * the events' rows hold keyed hashes and masked previews, which travel in no failure. The
   * primary message (what was wrong, which column, constraint or table) and the SQLState stay.
   */
  static SQLException withoutRowData(SQLException e) {
    if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
      ServerErrorMessage m = p.getServerErrorMessage();
      return new SQLException(m.getSeverity() + ": " + m.getMessage(), p.getSQLState());
    }
    return e;
  }

  /** No connection to the database: none free in time, or a connection failure (class 08). */
  private static boolean unreachable(SQLException e) {
    String state = e.getSQLState();
    return e instanceof SQLTransientConnectionException
        || (state != null && state.startsWith("08"));
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

  /**
   * Returns an event's values as a compact JSON array of {@code [category, hash, preview]}
   * (the {@code events.evidence} column): masked previews and keyed hashes only.
   */
  static String evidenceJson(List<IngestEvent.Evidence> evidence) {
    if (evidence.isEmpty()) {
      return "[]";
    }
    JsonStringEncoder quote = JsonStringEncoder.getInstance();
    StringBuilder sb = new StringBuilder(evidence.size() * 64).append('[');
    for (IngestEvent.Evidence v : evidence) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append("[\"");
      quote.quoteAsString(v.category(), sb);
      sb.append("\",\"");
      quote.quoteAsString(v.hash(), sb);
      sb.append("\",\"");
      quote.quoteAsString(v.preview(), sb);
      sb.append("\"]");
    }
    return sb.append(']').toString();
  }

  /**
   * Deletes what retention no longer keeps.
   *
   * @param rawBefore raw events and batch ids received before this instant (epoch ms)
   * @param minuteBefore minute roll-ups whose bucket starts before this instant
   * @param hourBefore hour roll-ups and distinct values (with their sightings) whose bucket
   *     starts before this instant
   * @return rows deleted per table
   */
  public Map<String, Long> deleteOlderThan(long rawBefore, long minuteBefore, long hourBefore)
      throws SQLException {
    Map<String, Long> deleted = new LinkedHashMap<>();
    try (Connection c = pool.getConnection()) {
      deleted.put("events", delete(c, "DELETE FROM events WHERE received_ms < ?", rawBefore));
      deleted.put("batches", delete(c, "DELETE FROM batches WHERE received_ms < ?", rawBefore));
      deleted.put("rollup_minute", delete(c, "DELETE FROM rollup_minute WHERE bucket_ms < ?",
          minuteBefore));
      deleted.put("rollup_hour", delete(c, "DELETE FROM rollup_hour WHERE bucket_ms < ?",
          hourBefore));
      // Distinct values and lineage: a value's sightings go with their hours.
      deleted.put("hour_values", delete(c, "DELETE FROM hour_values WHERE bucket_ms < ?",
          hourBefore));
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
}
