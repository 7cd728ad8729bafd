package dev.custos.command.internal.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.custos.command.internal.ingest.IngestEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The roll-ups' two dictionaries (migration V6): {@code destinations} (proxy, route, cluster,
 * direction) and {@code sources} (identity hash, service), each name tuple mapped to a BIGINT
 * id the database assigns. Ids are cached in memory (they never change: dictionary rows are
 * never deleted); a tuple not cached is created with {@code INSERT ... ON CONFLICT DO NOTHING}
 * and its id read back, in autocommit (outside the group's transaction, so that no committer
 * holds a dictionary row's lock while it writes its roll-ups). Several committers and replicas
 * creating the same tuple at once all read the one id the database kept. Thread-safe.
 */
final class Dictionaries {
  /** At most this many ids cached per dictionary; the least used are evicted, the rows stay. */
  static final int MAX_CACHED = 200_000;

  private static final Comparator<List<String>> ORDER = (a, b) -> {
    for (int i = 0; i < a.size(); i++) {
      int c = a.get(i).compareTo(b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return 0;
  };

  private final Dictionary destinations = new Dictionary("destinations", "destination_id",
      List.of("proxy_id", "route", "cluster", "direction"));
  private final Dictionary sources = new Dictionary("sources", "source_id",
      List.of("identity_hash", "service"));

  /** One group's ids, looked up by name tuple. */
  static final class Ids {
    private final Map<List<String>, Long> destinations;
    private final Map<List<String>, Long> sources;

    private Ids(Map<List<String>, Long> destinations, Map<List<String>, Long> sources) {
      this.destinations = destinations;
      this.sources = sources;
    }

    long destination(String proxyId, IngestEvent e) {
      return id(destinations, destinationKey(proxyId, e), "destination");
    }

    long source(IngestEvent e) {
      return id(sources, sourceKey(e), "source");
    }

    private static long id(Map<List<String>, Long> ids, List<String> key, String what) {
      Long id = ids.get(key);
      if (id == null) {
        throw new IllegalStateException("no " + what + " id resolved for one of the group's"
            + " events (expected: Dictionaries.resolve over the same group)");
      }
      return id;
    }
  }

  static List<String> destinationKey(String proxyId, IngestEvent e) {
    return List.of(proxyId, e.route(), e.cluster(), e.direction());
  }

  static List<String> sourceKey(IngestEvent e) {
    return List.of(e.identityHash(), e.service());
  }

  /**
   * Returns the ids of every destination and source of {@code group}'s events, creating those
   * the database does not hold yet. {@code c} must be in autocommit mode.
   */
  Ids resolve(Connection c, List<Batch> group, boolean postgresql) throws SQLException {
    Map<List<String>, Long> dest = new HashMap<>();
    Map<List<String>, Long> src = new HashMap<>();
    for (Batch b : group) {
      for (IngestEvent e : b.events()) {
        dest.putIfAbsent(destinationKey(b.proxyId(), e), 0L);
        src.putIfAbsent(sourceKey(e), 0L);
      }
    }
    destinations.fill(c, dest, postgresql);
    sources.fill(c, src, postgresql);
    return new Ids(dest, src);
  }

  /** One dictionary table and its cache. */
  private static final class Dictionary {
    private final String table;
    private final String idColumn;
    private final List<String> columns;
    // Eviction runs on the writing thread, not on a pool of Caffeine's.
    private final Cache<List<String>, Long> cache = Caffeine.newBuilder()
        .maximumSize(MAX_CACHED).executor(Runnable::run).build();

    Dictionary(String table, String idColumn, List<String> columns) {
      this.table = table;
      this.idColumn = idColumn;
      this.columns = columns;
    }

    /** Sets every key's id in {@code ids}: from the cache, else from the database. */
    void fill(Connection c, Map<List<String>, Long> ids, boolean postgresql)
        throws SQLException {
      TreeSet<List<String>> missing = new TreeSet<>(ORDER);
      for (Map.Entry<List<String>, Long> e : ids.entrySet()) {
        Long id = cache.getIfPresent(e.getKey());
        if (id == null) {
          missing.add(e.getKey());
        } else {
          e.setValue(id);
        }
      }
      if (missing.isEmpty()) {
        return;
      }
      Map<List<String>, Long> found = postgresql ? createAll(c, missing)
          : createEach(c, missing);
      if (found.size() != missing.size()) {
        throw new SQLException(table + ": " + (missing.size() - found.size()) + " of "
            + missing.size() + " new entries have no id after INSERT ... ON CONFLICT DO NOTHING"
            + " (expected: every entry inserted or already present)");
      }
      cache.putAll(found);
      ids.putAll(found);
    }

    /** PostgreSQL: one insert and one select for all keys, whatever their number. */
    private Map<List<String>, Long> createAll(Connection c, Collection<List<String>> keys)
        throws SQLException {
      int n = columns.size();
      String[][] arrays = new String[n][keys.size()];
      int row = 0;
      for (List<String> k : keys) {
        for (int j = 0; j < n; j++) {
          arrays[j][row] = k.get(j);
        }
        row++;
      }
      String names = String.join(", ", columns);
      String unnest = "unnest(" + String.join(", ", Collections.nCopies(n,
          "?::text[]")) + ")";
      // Sorted keys: concurrent creators wait on each other's rows in one order.
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (" + names
          + ") SELECT * FROM " + unnest + " ON CONFLICT DO NOTHING")) {
        bindArrays(ps, arrays);
        ps.executeUpdate();
      }
      Map<List<String>, Long> found = new HashMap<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT " + idColumn + ", " + names
          + " FROM " + table + " WHERE (" + names + ") IN (SELECT * FROM " + unnest + ")")) {
        bindArrays(ps, arrays);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            found.put(key(rs, n), rs.getLong(1));
          }
        }
      }
      return found;
    }

    private static void bindArrays(PreparedStatement ps, String[][] arrays)
        throws SQLException {
      for (int j = 0; j < arrays.length; j++) {
        ps.setString(j + 1, IngestWriter.arrayLiteral(arrays[j]));
      }
    }

    /** SQLite (one writer): an insert and a select per key. */
    private Map<List<String>, Long> createEach(Connection c, Collection<List<String>> keys)
        throws SQLException {
      int n = columns.size();
      String names = String.join(", ", columns);
      String marks = String.join(", ", Collections.nCopies(n, "?"));
      List<String> where = new ArrayList<>(n);
      for (String col : columns) {
        where.add(col + " = ?");
      }
      Map<List<String>, Long> found = new HashMap<>();
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + table + " (" + names
          + ") VALUES (" + marks + ") ON CONFLICT DO NOTHING");
          PreparedStatement select = c.prepareStatement("SELECT " + idColumn + ", " + names
              + " FROM " + table + " WHERE " + String.join(" AND ", where))) {
        for (List<String> k : keys) {
          for (int j = 0; j < n; j++) {
            insert.setString(j + 1, k.get(j));
            select.setString(j + 1, k.get(j));
          }
          insert.executeUpdate();
          try (ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
              found.put(key(rs, n), rs.getLong(1));
            }
          }
        }
      }
      return found;
    }

    private static List<String> key(ResultSet rs, int n) throws SQLException {
      String[] parts = new String[n];
      for (int j = 0; j < n; j++) {
        parts[j] = rs.getString(j + 2);
      }
      return List.of(parts);
    }
  }
}
