package dev.custos.command.internal.store;

import dev.custos.command.internal.ingest.IngestEvent;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;

/**
 * Writes a group of batches inside the caller's transaction: their ids first (an id already
 * stored, or seen earlier in the group, makes that batch a duplicate), then the raw events of
 * the new batches, then the flow model's roll-ups ({@code rollup_minute}, {@code rollup_hour},
 * {@code hour_values}, keyed by the {@link Dictionaries}' ids) aggregated in memory over the
 * whole group and written in sorted key order (so that concurrent writers take row locks in the
 * same order), then the proxies' rows.
 *
 * <p>PostgreSQL: raw events with {@code COPY ... FROM STDIN} (text format), every roll-up table
 * with one {@code INSERT ... SELECT * FROM unnest(arrays) ON CONFLICT} statement. SQLite: the
 * portable path, JDBC batches of {@code INSERT ... ON CONFLICT}. Stateless; memory is linear in
 * the group.
 */
final class IngestWriter {
  static final long MINUTE = 60_000L;
  static final long HOUR = 3_600_000L;

  private static final String EVENT_COLUMNS = "batch_id, line_no, proxy_id, time_ms,"
      + " received_ms, route, cluster, service, protocol, direction, identity_hash, action,"
      + " blocked_by, shadow, alert, uninspectable, inspected_bytes, findings, categories, config_version, evidence";
  private static final String FLOW_COLUMNS = "bucket_ms, destination_id, source_id,"
      + " category, action";
  private static final String VALUE_KEY = "evidence_hash, destination_id, source_id, category,"
      + " bucket_ms";
  private static final String VALUE_UPSERT_HEAD = "INSERT INTO hour_values (" + VALUE_KEY
      + ", preview, first_seen_ms, last_seen_ms, sightings)";
  private static final String VALUE_UPSERT_TAIL = " ON CONFLICT (" + VALUE_KEY + ") DO UPDATE"
      + " SET sightings = hour_values.sightings + excluded.sightings,"
      + " first_seen_ms = CASE WHEN excluded.first_seen_ms < hour_values.first_seen_ms"
      + " THEN excluded.first_seen_ms ELSE hour_values.first_seen_ms END,"
      + " last_seen_ms = CASE WHEN excluded.last_seen_ms > hour_values.last_seen_ms"
      + " THEN excluded.last_seen_ms ELSE hour_values.last_seen_ms END,"
      + " preview = CASE WHEN excluded.preview = '' THEN hour_values.preview"
      + " ELSE excluded.preview END";
  private static final String PROXY_UPSERT = "INSERT INTO proxies (proxy_id, token_name,"
      + " config_version, first_seen_ms, last_seen_ms) VALUES (?, ?, ?, ?, ?)"
      + " ON CONFLICT (proxy_id) DO UPDATE SET token_name = excluded.token_name,"
      + " config_version = excluded.config_version, last_seen_ms = CASE WHEN"
      + " excluded.last_seen_ms > proxies.last_seen_ms THEN excluded.last_seen_ms ELSE"
      + " proxies.last_seen_ms END";

  private IngestWriter() {}

  /**
   * Writes {@code group} on {@code c}, whose auto-commit is off; the caller commits or rolls
   * back.
   *
   * @return per batch, in the group's order, the number of events stored or -1 for a duplicate
   */
  static int[] write(Connection c, List<Batch> group, boolean postgresql,
      Dictionaries.Ids ids) throws SQLException {
    int[] result = new int[group.size()];
    Map<String, Batch> unique = new TreeMap<>();
    for (int i = 0; i < group.size(); i++) {
      Batch b = group.get(i);
      if (unique.putIfAbsent(b.batchId(), b) != null) {
        result[i] = -1;
      }
    }
    Set<String> fresh = postgresql ? claimAll(c, unique) : claimEach(c, unique);
    List<Batch> stored = new ArrayList<>(fresh.size());
    for (int i = 0; i < group.size(); i++) {
      Batch b = group.get(i);
      // result[i] is 0 only at an id's first place in the group: the later ones are -1.
      if (result[i] == 0 && fresh.contains(b.batchId())) {
        result[i] = b.events().size();
        stored.add(b);
      } else {
        result[i] = -1;
      }
    }
    if (stored.isEmpty()) {
      return result;
    }
    Rollups r = Rollups.of(stored, ids);
    if (postgresql) {
      copyEvents(c, stored);
      upsertFlowsAll(c, "rollup_minute", r.minute);
      upsertFlowsAll(c, "rollup_hour", r.hour);
      upsertValuesAll(c, r.values);
    } else {
      insertEvents(c, stored);
      upsertFlows(c, "rollup_minute", r.minute);
      upsertFlows(c, "rollup_hour", r.hour);
      upsertValues(c, r.values);
    }
    // Last: a proxy's row is the one every batch of that proxy touches.
    upsertProxies(c, stored);
    return result;
  }

  /** Inserts the batch ids in one statement (sorted); returns those that were new. */
  private static Set<String> claimAll(Connection c, Map<String, Batch> sorted)
      throws SQLException {
    int n = sorted.size();
    String[] ids = new String[n];
    String[] proxies = new String[n];
    long[] received = new long[n];
    long[] events = new long[n];
    int i = 0;
    for (Batch b : sorted.values()) {
      ids[i] = b.batchId();
      proxies[i] = b.proxyId();
      received[i] = b.receivedMillis();
      events[i] = b.events().size();
      i++;
    }
    Set<String> fresh = new HashSet<>();
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO batches (batch_id, proxy_id,"
        + " received_ms, events) SELECT * FROM unnest(?::text[], ?::text[], ?::bigint[],"
        + " ?::bigint[]) ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id")) {
      text(ps, 1, ids);
      text(ps, 2, proxies);
      ps.setObject(3, received);
      ps.setObject(4, events);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          fresh.add(rs.getString(1));
        }
      }
    }
    return fresh;
  }

  private static Set<String> claimEach(Connection c, Map<String, Batch> sorted)
      throws SQLException {
    Set<String> fresh = new HashSet<>();
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO batches (batch_id, proxy_id,"
        + " received_ms, events) VALUES (?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING")) {
      for (Batch b : sorted.values()) {
        ps.setString(1, b.batchId());
        ps.setString(2, b.proxyId());
        ps.setLong(3, b.receivedMillis());
        ps.setInt(4, b.events().size());
        if (ps.executeUpdate() > 0) {
          fresh.add(b.batchId());
        }
      }
    }
    return fresh;
  }

  /**
   * Binds a text array as one array literal ({@code {"a","b"}}, every element quoted, backslash
   * and double quote escaped), cast by the statement with {@code ?::text[]}: a fraction of the
   * driver's cost per element for arrays of tens of thousands of names.
   */
  private static void text(PreparedStatement ps, int index, String[] values)
      throws SQLException {
    ps.setString(index, arrayLiteral(values));
  }

  static String arrayLiteral(String[] values) {
    int size = 2;
    for (String v : values) {
      size += v.length() + 3;
    }
    StringBuilder sb = new StringBuilder(size + 16).append('{');
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append('"');
      String v = values[i];
      for (int j = 0; j < v.length(); j++) {
        char ch = v.charAt(j);
        if (ch == '"' || ch == '\\') {
          sb.append('\\');
        }
        sb.append(ch);
      }
      sb.append('"');
    }
    return sb.append('}').toString();
  }

  /** Copies the raw events with {@code COPY ... FROM STDIN}, text format. */
  private static void copyEvents(Connection c, List<Batch> batches) throws SQLException {
    StringBuilder sb = new StringBuilder(1 << 16);
    for (Batch b : batches) {
      int line = 0;
      for (IngestEvent e : b.events()) {
        copyField(sb, b.batchId()).append('\t').append(++line).append('\t');
        copyField(sb, b.proxyId()).append('\t').append(e.timeMillis()).append('\t')
            .append(b.receivedMillis()).append('\t');
        copyField(sb, e.route()).append('\t');
        copyField(sb, e.cluster()).append('\t');
        copyField(sb, e.service()).append('\t');
        copyField(sb, e.protocol()).append('\t');
        copyField(sb, e.direction()).append('\t');
        copyField(sb, e.identityHash()).append('\t');
        copyField(sb, e.action()).append('\t');
        copyField(sb, e.blockedBy()).append('\t').append(e.shadow() ? 't' : 'f').append('\t')
            .append(e.alert() ? 't' : 'f').append('\t');
        copyField(sb, e.uninspectable()).append('\t').append(e.inspectedBytes()).append('\t')
            .append(e.findings()).append('\t');
        copyField(sb, Store.categoriesJson(e.categories())).append('\t');
        copyField(sb, b.configVersion()).append('\t');
        copyField(sb, Store.evidenceJson(e.evidence())).append('\n');
      }
    }
    byte[] data = sb.toString().getBytes(StandardCharsets.UTF_8);
    try {
      c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY events (" + EVENT_COLUMNS
          + ") FROM STDIN", new ByteArrayInputStream(data), 1 << 16);
    } catch (IOException e) {
      throw new SQLException("COPY events: " + e.getClass().getSimpleName(), e);
    }
  }

  /**
   * Appends a value as a field of {@code COPY}'s text format: {@code \N} for null; backslash,
   * line feed, carriage return and tab escaped with a backslash; everything else as is.
   */
  static StringBuilder copyField(StringBuilder sb, @Nullable String s) {
    if (s == null) {
      return sb.append("\\N");
    }
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> sb.append(ch);
      }
    }
    return sb;
  }

  private static void insertEvents(Connection c, List<Batch> batches) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO events (" + EVENT_COLUMNS
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (Batch b : batches) {
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
          ps.setString(19, Store.categoriesJson(e.categories()));
          ps.setString(20, b.configVersion());
          ps.setString(21, Store.evidenceJson(e.evidence()));
          ps.addBatch();
        }
      }
      ps.executeBatch();
    }
  }

  private static String flowUpsert(String table, String source) {
    return "INSERT INTO " + table + " (" + FLOW_COLUMNS + ", events, findings, shadow_events) "
        + source + " ON CONFLICT (" + FLOW_COLUMNS + ") DO UPDATE SET events = " + table
        + ".events + excluded.events, findings = " + table + ".findings + excluded.findings,"
        + " shadow_events = " + table + ".shadow_events + excluded.shadow_events";
  }

  private static void upsertFlowsAll(Connection c, String table, FlowKey[] keys)
      throws SQLException {
    if (keys.length == 0) {
      return;
    }
    int n = keys.length;
    long[] bucket = new long[n];
    long[] destination = new long[n];
    long[] source = new long[n];
    String[] category = new String[n];
    String[] action = new String[n];
    long[] events = new long[n];
    long[] findings = new long[n];
    long[] shadow = new long[n];
    for (int i = 0; i < n; i++) {
      FlowKey k = keys[i];
      bucket[i] = k.bucket;
      destination[i] = k.destination;
      source[i] = k.source;
      category[i] = k.category;
      action[i] = k.action;
      events[i] = k.events;
      findings[i] = k.findings;
      shadow[i] = k.shadowEvents;
    }
    try (PreparedStatement ps = c.prepareStatement(flowUpsert(table, "SELECT * FROM unnest("
        + "?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::bigint[],"
        + " ?::bigint[], ?::bigint[])"))) {
      ps.setObject(1, bucket);
      ps.setObject(2, destination);
      ps.setObject(3, source);
      text(ps, 4, category);
      text(ps, 5, action);
      ps.setObject(6, events);
      ps.setObject(7, findings);
      ps.setObject(8, shadow);
      ps.executeUpdate();
    }
  }

  private static void upsertFlows(Connection c, String table, FlowKey[] keys)
      throws SQLException {
    if (keys.length == 0) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(flowUpsert(table,
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"))) {
      for (FlowKey k : keys) {
        ps.setLong(1, k.bucket);
        ps.setLong(2, k.destination);
        ps.setLong(3, k.source);
        ps.setString(4, k.category);
        ps.setString(5, k.action);
        ps.setLong(6, k.events);
        ps.setLong(7, k.findings);
        ps.setLong(8, k.shadowEvents);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private static void upsertValuesAll(Connection c, ValueKey[] keys) throws SQLException {
    if (keys.length == 0) {
      return;
    }
    int n = keys.length;
    String[] hash = new String[n];
    long[] destination = new long[n];
    long[] source = new long[n];
    String[] category = new String[n];
    long[] bucket = new long[n];
    String[] preview = new String[n];
    long[] first = new long[n];
    long[] last = new long[n];
    long[] count = new long[n];
    for (int i = 0; i < n; i++) {
      ValueKey k = keys[i];
      hash[i] = k.hash;
      destination[i] = k.destination;
      source[i] = k.source;
      category[i] = k.category;
      bucket[i] = k.bucket;
      preview[i] = k.preview;
      first[i] = k.first;
      last[i] = k.last;
      count[i] = k.count;
    }
    try (PreparedStatement ps = c.prepareStatement(VALUE_UPSERT_HEAD + " SELECT * FROM"
        + " unnest(?::text[], ?::bigint[], ?::bigint[], ?::text[], ?::bigint[], ?::text[],"
        + " ?::bigint[], ?::bigint[], ?::bigint[])" + VALUE_UPSERT_TAIL)) {
      text(ps, 1, hash);
      ps.setObject(2, destination);
      ps.setObject(3, source);
      text(ps, 4, category);
      ps.setObject(5, bucket);
      text(ps, 6, preview);
      ps.setObject(7, first);
      ps.setObject(8, last);
      ps.setObject(9, count);
      ps.executeUpdate();
    }
  }

  private static void upsertValues(Connection c, ValueKey[] keys) throws SQLException {
    if (keys.length == 0) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(VALUE_UPSERT_HEAD
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)" + VALUE_UPSERT_TAIL)) {
      for (ValueKey k : keys) {
        ps.setString(1, k.hash);
        ps.setLong(2, k.destination);
        ps.setLong(3, k.source);
        ps.setString(4, k.category);
        ps.setLong(5, k.bucket);
        ps.setString(6, k.preview);
        ps.setLong(7, k.first);
        ps.setLong(8, k.last);
        ps.setLong(9, k.count);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** One row per proxy, in proxy id order: its latest batch's token and version. */
  private static void upsertProxies(Connection c, List<Batch> batches) throws SQLException {
    Map<String, Batch> latest = new TreeMap<>();
    Map<String, Long> first = new HashMap<>();
    for (Batch b : batches) {
      latest.merge(b.proxyId(), b, (old, now) ->
          now.receivedMillis() >= old.receivedMillis() ? now : old);
      first.merge(b.proxyId(), b.receivedMillis(), Math::min);
    }
    try (PreparedStatement ps = c.prepareStatement(PROXY_UPSERT)) {
      for (Batch b : latest.values()) {
        ps.setString(1, b.proxyId());
        ps.setString(2, b.tokenName());
        ps.setString(3, b.configVersion());
        ps.setLong(4, first.get(b.proxyId()));
        ps.setLong(5, b.receivedMillis());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** The roll-ups of a group of batches, aggregated in memory and sorted by key. */
  static final class Rollups {
    FlowKey[] minute;
    FlowKey[] hour;
    ValueKey[] values;

    static Rollups of(List<Batch> batches, Dictionaries.Ids ids) {
      Map<FlowKey, FlowKey> minute = new HashMap<>();
      Map<FlowKey, FlowKey> hour = new HashMap<>();
      Map<ValueKey, ValueKey> values = new HashMap<>();
      for (Batch b : batches) {
        for (IngestEvent e : b.events()) {
          long t = e.timeMillis();
          long m = Math.floorDiv(t, MINUTE) * MINUTE;
          long h = Math.floorDiv(t, HOUR) * HOUR;
          long destination = ids.destination(b.proxyId(), e);
          long source = ids.source(e);
          String action = e.action();
          for (Map.Entry<String, Integer> c : e.categories().entrySet()) {
            String category = c.getKey();
            add(minute, new FlowKey(m, destination, source, category, action), c.getValue(),
                e.shadow());
            add(hour, new FlowKey(h, destination, source, category, action), c.getValue(),
                e.shadow());
          }
          for (IngestEvent.Evidence v : e.evidence()) {
            ValueKey vk = new ValueKey(v.hash(), destination, source, v.category(), h);
            ValueKey s = values.putIfAbsent(vk, vk);
            if (s == null) {
              s = vk;
              s.first = t;
              s.last = t;
            }
            s.first = Math.min(s.first, t);
            s.last = Math.max(s.last, t);
            s.count++;
            if (!v.preview().isEmpty()) {
              s.preview = v.preview();
            }
          }
        }
      }
      Rollups r = new Rollups();
      r.minute = sorted(minute.keySet().toArray(new FlowKey[0]));
      r.hour = sorted(hour.keySet().toArray(new FlowKey[0]));
      r.values = sorted(values.keySet().toArray(new ValueKey[0]));
      return r;
    }

    private static <T extends Comparable<T>> T[] sorted(T[] keys) {
      Arrays.sort(keys);
      return keys;
    }

    private static void add(Map<FlowKey, FlowKey> m, FlowKey k, int findings, boolean shadow) {
      FlowKey v = m.putIfAbsent(k, k);
      if (v == null) {
        v = k;
      }
      v.events++;
      v.findings += findings;
      if (shadow) {
        v.shadowEvents++;
      }
    }
  }

  /**
   * A roll-up row's key (equality and order), with its counts (mutable, outside equality):
   * the primary key's columns in the primary key's order.
   */
  static final class FlowKey implements Comparable<FlowKey> {
    final long bucket;
    final long destination;
    final long source;
    final String category;
    final String action;
    private final int hash;
    long events;
    long findings;
    long shadowEvents;

    FlowKey(long bucket, long destination, long source, String category, String action) {
      this.bucket = bucket;
      this.destination = destination;
      this.source = source;
      this.category = category;
      this.action = action;
      this.hash = (((Long.hashCode(bucket) * 31 + Long.hashCode(destination)) * 31
          + Long.hashCode(source)) * 31 + category.hashCode()) * 31 + action.hashCode();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof FlowKey k && hash == k.hash && compareTo(k) == 0;
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public int compareTo(FlowKey o) {
      int c = Long.compare(bucket, o.bucket);
      if (c == 0) {
        c = Long.compare(destination, o.destination);
      }
      if (c == 0) {
        c = Long.compare(source, o.source);
      }
      if (c == 0) {
        c = category.compareTo(o.category);
      }
      if (c == 0) {
        c = action.compareTo(o.action);
      }
      return c;
    }
  }

  /**
   * A distinct value's row in an hour (the primary key's columns in its order) with what is
   * aggregated for it (mutable, outside equality).
   */
  static final class ValueKey implements Comparable<ValueKey> {
    final String hash;
    final long destination;
    final long source;
    final String category;
    final long bucket;
    private final int hashCode;
    long first;
    long last;
    long count;
    String preview = "";

    ValueKey(String hash, long destination, long source, String category, long bucket) {
      this.hash = hash;
      this.destination = destination;
      this.source = source;
      this.category = category;
      this.bucket = bucket;
      this.hashCode = (((hash.hashCode() * 31 + Long.hashCode(destination)) * 31
          + Long.hashCode(source)) * 31 + category.hashCode()) * 31 + Long.hashCode(bucket);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ValueKey k && hashCode == k.hashCode && compareTo(k) == 0;
    }

    @Override
    public int hashCode() {
      return hashCode;
    }

    @Override
    public int compareTo(ValueKey o) {
      int c = hash.compareTo(o.hash);
      if (c == 0) {
        c = Long.compare(destination, o.destination);
      }
      if (c == 0) {
        c = Long.compare(source, o.source);
      }
      if (c == 0) {
        c = category.compareTo(o.category);
      }
      if (c == 0) {
        c = Long.compare(bucket, o.bucket);
      }
      return c;
    }
  }
}
