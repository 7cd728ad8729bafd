package dev.custos.command.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.custos.command.CommandConfig;
import dev.custos.command.Databases;
import dev.custos.command.TestEvents;
import dev.custos.command.internal.ingest.IngestEvent;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Group commit in the store, against SQLite and PostgreSQL: several batches in one transaction
 * give the same rows as the same batches stored one by one; duplicates inside a group and a
 * failing batch in a group neither lose nor double-count anything; odd-but-valid text survives
 * {@code COPY} and the roll-up arrays.
 */
class GroupIngestTest {
  static final Instant T0 = Instant.parse("2026-12-07T10:15:30Z");
  static final List<String> TABLES = List.of("events", "batches", "flow_minute", "flow_hour",
      "flow_values", "value_sightings", "proxies");

  @TempDir
  Path dir;

  private final List<CommandConfig.Database> dbs = new ArrayList<>();
  private final List<Store> stores = new ArrayList<>();

  private Store open(Databases.Kind kind, String name) {
    CommandConfig.Database db = Databases.fresh(kind, dir.resolve(name));
    dir.resolve(name).toFile().mkdirs();
    dbs.add(db);
    Store s = Store.open(db);
    stores.add(s);
    return s;
  }

  @AfterEach
  void close() {
    stores.forEach(Store::close);
    dbs.forEach(Databases::drop);
  }

  static Batch batch(String proxy, long received, List<IngestEvent> events) {
    return new Batch(UUID.randomUUID().toString(), proxy, "edge", "v1", received, events);
  }

  static IngestEvent event(Instant t, String route, String identity, String protocol,
      Map<String, Integer> categories, IngestEvent.Evidence... evidence) {
    return new IngestEvent(t.toEpochMilli(), route, "payments", "", protocol, "response",
        identity, categories, "observe", null, false, false, null, 512, List.of(evidence));
  }

  static IngestEvent.Evidence card(int n) {
    TestEvents.Value v = TestEvents.card(n);
    return new IngestEvent.Evidence(v.category(), v.hash(), v.preview());
  }

  /** Returns every row of a table, each as text, sorted: comparable between two databases. */
  static List<String> rows(Store store, String table) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          String name = md.getColumnName(i).toLowerCase(java.util.Locale.ROOT);
          Object v = rs.getObject(i);
          sb.append(name).append('=').append(v instanceof Number n ? n.longValue()
              : v instanceof Boolean b ? (b ? 1 : 0) : v).append(' ');
        }
        out.add(sb.toString());
      }
    }
    out.sort(null);
    return out;
  }

  static long sum(Store store, String sql) throws SQLException {
    try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void aGroupGivesTheSameRowsAsItsBatchesStoredOneByOne(Databases.Kind kind) throws Exception {
    Store oneByOne = open(kind, "a");
    Store grouped = open(kind, "b");
    Random random = new Random(7);
    List<Batch> batches = new ArrayList<>();
    for (int b = 0; b < 12; b++) {
      List<IngestEvent> events = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        // Few routes, identities and values: many keys shared between batches of the group.
        Map<String, Integer> cats = new TreeMap<>();
        List<IngestEvent.Evidence> ev = new ArrayList<>();
        for (int k = 0; k < 1 + random.nextInt(3); k++) {
          int value = random.nextInt(15);
          cats.merge(k % 2 == 0 ? "credit_card" : "email", 1, Integer::sum);
          ev.add(k % 2 == 0 ? card(value) : new IngestEvent.Evidence("email",
              String.format("%032x", 1000 + value), "****" + value % 10));
        }
        events.add(event(T0.plusSeconds(random.nextInt(7200)), "route-" + random.nextInt(3),
            "id-" + random.nextInt(4), "http", cats,
            ev.toArray(IngestEvent.Evidence[]::new)));
      }
      batches.add(batch("proxy-" + b % 3, T0.toEpochMilli() + b, events));
    }

    for (Batch b : batches) {
      assertThat(oneByOne.ingest(b)).isEqualTo(30);
    }
    List<Outcome> outcomes = grouped.ingest(batches);

    assertThat(outcomes).allSatisfy(o -> assertThat(o).isEqualTo(Outcome.stored(30)));
    for (String table : TABLES) {
      assertThat(rows(grouped, table)).as(table).isEqualTo(rows(oneByOne, table));
    }
    assertThat(sum(grouped, "SELECT SUM(sightings) FROM value_sightings"))
        .isEqualTo(sum(grouped, "SELECT SUM(findings) FROM events"));
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void aBatchTwiceInOneGroupAndABatchAlreadyStoredAreDuplicates(Databases.Kind kind)
      throws Exception {
    Store store = open(kind, "a");
    Batch old = batch("gw-1", T0.toEpochMilli(), List.of(event(T0, "orders", "id-a", "http",
        Map.of("credit_card", 1), card(1))));
    Batch fresh = batch("gw-2", T0.toEpochMilli(), List.of(event(T0, "orders", "id-b", "http",
        Map.of("credit_card", 2), card(2), card(3))));
    assertThat(store.ingest(old)).isEqualTo(1);

    List<Outcome> outcomes = store.ingest(List.of(fresh, old, fresh));

    assertThat(outcomes).containsExactly(Outcome.stored(1), Outcome.stored(-1),
        Outcome.stored(-1));
    assertThat(outcomes.get(1).duplicate()).isTrue();
    assertThat(sum(store, "SELECT COUNT(*) FROM events")).isEqualTo(2);
    assertThat(sum(store, "SELECT COUNT(*) FROM batches")).isEqualTo(2);
    assertThat(sum(store, "SELECT SUM(findings) FROM flow_hour")).isEqualTo(3);
    assertThat(sum(store, "SELECT SUM(findings) FROM flow_minute")).isEqualTo(3);
    assertThat(sum(store, "SELECT SUM(sightings) FROM value_sightings")).isEqualTo(3);
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void aFailingBatchInAGroupIsRefusedAloneAndTheOthersAreStoredOnce(Databases.Kind kind)
      throws Exception {
    Store store = open(kind, "a");
    Batch good1 = batch("gw-1", T0.toEpochMilli(), List.of(event(T0, "orders", "id-a", "http",
        Map.of("credit_card", 1), card(1))));
    // A protocol of null breaks the events table's NOT NULL constraint in the database itself,
    // after this group's roll-ups were aggregated.
    Batch bad = batch("gw-2", T0.toEpochMilli(), List.of(event(T0, "orders", "id-b", null,
        Map.of("credit_card", 1), card(2))));
    Batch good2 = batch("gw-3", T0.toEpochMilli(), List.of(event(T0, "refunds", "id-c", "http",
        Map.of("credit_card", 2), card(3), card(1))));

    List<Outcome> outcomes = store.ingest(List.of(good1, bad, good2, good1));

    assertThat(outcomes.get(0)).isEqualTo(Outcome.stored(1));
    assertThat(outcomes.get(1).failure()).isInstanceOf(SQLException.class);
    // What was wrong, without the row (events hold evidence hashes and masked previews).
    assertThat(outcomes.get(1).failure().getMessage()).contains("protocol")
        .doesNotContain(card(2).hash()).doesNotContain(card(2).preview());
    assertThat(outcomes.get(2)).isEqualTo(Outcome.stored(1));
    assertThat(outcomes.get(3).duplicate()).isTrue();
    assertThat(sum(store, "SELECT COUNT(*) FROM events")).isEqualTo(2);
    assertThat(sum(store, "SELECT COUNT(*) FROM batches")).isEqualTo(2);
    assertThat(sum(store, "SELECT SUM(findings) FROM flow_hour")).isEqualTo(3);
    assertThat(sum(store, "SELECT SUM(sightings) FROM value_sightings")).isEqualTo(3);
    assertThat(store.lineage(card(2).hash())).isEmpty();
    assertThat(store.lineage(card(1).hash())).extracting(Sighting::route)
        .containsExactlyInAnyOrder("orders", "refunds");
    // The refused batch, corrected and sent again, is not a duplicate.
    Batch fixed = new Batch(bad.batchId(), bad.proxyId(), "edge", "v1", bad.receivedMillis(),
        List.of(event(T0, "orders", "id-b", "http", Map.of("credit_card", 1), card(2))));
    assertThat(store.ingest(fixed)).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void eachEventRecordsItsBatchsConfigVersion(Databases.Kind kind) throws Exception {
    Store store = open(kind, "a");
    Batch v1 = new Batch(UUID.randomUUID().toString(), "gw-1", "edge", "policy-7",
        T0.toEpochMilli(), List.of(event(T0, "orders", "id-a", "http", Map.of("credit_card", 1),
            card(1))));
    Batch v2 = new Batch(UUID.randomUUID().toString(), "gw-1", "edge", "policy-8",
        T0.toEpochMilli() + 1, List.of(event(T0, "orders", "id-a", "http",
            Map.of("credit_card", 1), card(1)), event(T0, "orders", "id-b", "http",
            Map.of("credit_card", 1), card(2))));

    assertThat(store.ingest(List.of(v1, v2))).containsExactly(Outcome.stored(1),
        Outcome.stored(2));

    Map<String, Long> perVersion = new TreeMap<>();
    try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT config_version, COUNT(*) FROM events"
            + " GROUP BY config_version")) {
      while (rs.next()) {
        perVersion.put(rs.getString(1), rs.getLong(2));
      }
    }
    assertThat(perVersion).containsExactly(Map.entry("policy-7", 1L), Map.entry("policy-8", 2L));
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void oddButValidTextIsStoredAsSent(Databases.Kind kind) throws Exception {
    Store store = open(kind, "a");
    List<String> routes = List.of("tab\there", "back\\slash", "\\N", "\\.", "quote\"s and 'single'",
        "{braces,comma}", "NULL", "café 日本 " + new String(Character.toChars(0x1f4b3)), "line\nbreak\r\n",
        " leading and trailing ", "semi;colon|pipe");
    List<Batch> group = new ArrayList<>();
    for (int i = 0; i < routes.size(); i++) {
      String route = routes.get(i);
      IngestEvent e = new IngestEvent(T0.toEpochMilli(), route, route + "-cluster",
          route + "-service", "http", "request", "id-" + i, Map.of("email", 1), "redact",
          route + "-rule", true, false, route + "-why", 1, List.of(new IngestEvent.Evidence(
              "email", String.format("%032x", i), route + "-preview")));
      group.add(batch("gw-" + i, T0.toEpochMilli(), List.of(e)));
    }

    assertThat(store.ingest(group)).allSatisfy(o -> assertThat(o.stored()).isEqualTo(1));

    try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT route, cluster, service, blocked_by, uninspectable,"
            + " shadow, evidence FROM events")) {
      List<String> seen = new ArrayList<>();
      while (rs.next()) {
        String route = rs.getString(1);
        seen.add(route);
        assertThat(rs.getString(2)).isEqualTo(route + "-cluster");
        assertThat(rs.getString(3)).isEqualTo(route + "-service");
        assertThat(rs.getString(4)).isEqualTo(route + "-rule");
        assertThat(rs.getString(5)).isEqualTo(route + "-why");
        assertThat(rs.getBoolean(6)).isTrue();
        var evidence = new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(rs.getString(7));
        assertThat(evidence).hasSize(1);
        assertThat(evidence.get(0).get(0).asText()).isEqualTo("email");
        assertThat(evidence.get(0).get(2).asText()).isEqualTo(route + "-preview");
      }
      assertThat(seen).containsExactlyInAnyOrderElementsOf(routes);
    }
    List<FlowRow> flows = store.flows(T0.minusSeconds(3600).toEpochMilli(),
        T0.plusSeconds(3600).toEpochMilli(), null, 100);
    assertThat(flows).extracting(FlowRow::route).containsExactlyInAnyOrderElementsOf(routes);
    assertThat(flows).allSatisfy(f -> {
      assertThat(f.cluster()).isEqualTo(f.route() + "-cluster");
      assertThat(f.service()).isEqualTo(f.route() + "-service");
      assertThat(f.distinctValues()).isEqualTo(1);
    });
    for (int i = 0; i < routes.size(); i++) {
      String route = routes.get(i);
      assertThat(store.lineage(String.format("%032x", i))).singleElement().satisfies(v -> {
        assertThat(v.route()).isEqualTo(route);
        assertThat(v.preview()).isEqualTo(route + "-preview");
      });
    }
  }

  @Test
  void aGroupWithoutAConnectionFailsAtOnceInsteadOfBatchByBatch() {
    // A pool that never gets a connection (a folder that does not exist) and gives up quickly.
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl("jdbc:sqlite:" + dir.resolve("missing").resolve("command.db"));
    hc.setInitializationFailTimeout(-1);
    hc.setConnectionTimeout(250);
    Store store = new Store(new HikariDataSource(hc), false);
    stores.add(store);
    List<Batch> group = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      group.add(batch("gw-" + i, T0.toEpochMilli(), List.of(event(T0, "orders", "id-a", "http",
          Map.of("credit_card", 1), card(i)))));
    }

    List<Outcome> outcomes = store.ingest(group);

    assertThat(outcomes).hasSize(3).allSatisfy(o -> assertThat(o.failure())
        .isInstanceOf(SQLTransientConnectionException.class));
    // The group's one failure, not three more attempts of a connection each.
    assertThat(outcomes).extracting(Outcome::failure).containsOnly(outcomes.get(0).failure());
  }
}
