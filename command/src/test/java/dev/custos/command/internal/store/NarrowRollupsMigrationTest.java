package dev.custos.command.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.custos.command.CommandConfig;
import dev.custos.command.Databases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Migrations V6 (narrow roll-ups) and V7 (shadow events) on a database holding V5's tables, against SQLite and
 * PostgreSQL: the former tables' names, now views, answer with the same rows; the plane's reads
 * give the same answers; ingestion after the migration adds to the migrated rows.
 */
class NarrowRollupsMigrationTest {
  static final long HOUR = 3_600_000L;
  static final long H0 = Instant.parse("2026-12-07T10:00:00Z").toEpochMilli();
  static final String CARD_A = String.format("%032x", 11);
  static final String CARD_B = String.format("%032x", 12);
  static final String EMAIL = String.format("%032x", 13);
  static final List<String> FORMER = List.of("flow_minute", "flow_hour", "flow_values",
      "value_sightings");

  @TempDir
  Path dir;

  private final List<AutoCloseable> open = new ArrayList<>();
  private CommandConfig.Database db;

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    if (db != null) {
      Databases.drop(db);
    }
  }

  /** V5's roll-ups of a few events: two proxies, two hours, two services of one identity. */
  private static List<String> legacyRows() {
    List<String> sql = new ArrayList<>();
    String flow = " (bucket_ms, proxy_id, route, cluster, direction, identity_hash, service,"
        + " category, action, events, findings) VALUES ";
    sql.add("INSERT INTO flow_minute" + flow
        + "(" + (H0 + 60_000) + ", 'gw-1', 'orders', 'payments', 'response', 'id-a', '',"
        + " 'credit_card', 'observe', 2, 3),"
        + "(" + (H0 + HOUR) + ", 'gw-1', 'orders', 'payments', 'response', 'id-a', 'billing',"
        + " 'credit_card', 'block', 1, 1),"
        + "(" + (H0 + HOUR) + ", 'gw-2', 'refunds', '', 'request', 'id-b', '', 'email',"
        + " 'redact', 1, 1)");
    sql.add("INSERT INTO flow_hour" + flow
        + "(" + H0 + ", 'gw-1', 'orders', 'payments', 'response', 'id-a', '', 'credit_card',"
        + " 'observe', 2, 3),"
        + "(" + (H0 + HOUR) + ", 'gw-1', 'orders', 'payments', 'response', 'id-a', 'billing',"
        + " 'credit_card', 'block', 1, 1),"
        + "(" + (H0 + HOUR) + ", 'gw-2', 'refunds', '', 'request', 'id-b', '', 'email',"
        + " 'redact', 1, 1)");
    sql.add("INSERT INTO flow_values (bucket_ms, proxy_id, route, cluster, direction,"
        + " identity_hash, category, evidence_hash) VALUES "
        + "(" + H0 + ", 'gw-1', 'orders', 'payments', 'response', 'id-a', 'credit_card', '"
        + CARD_A + "'),"
        + "(" + H0 + ", 'gw-1', 'orders', 'payments', 'response', 'id-a', 'credit_card', '"
        + CARD_B + "'),"
        + "(" + (H0 + HOUR) + ", 'gw-1', 'orders', 'payments', 'response', 'id-a',"
        + " 'credit_card', '" + CARD_A + "'),"
        + "(" + (H0 + HOUR) + ", 'gw-2', 'refunds', '', 'request', 'id-b', 'email', '" + EMAIL
        + "')");
    sql.add("INSERT INTO value_sightings (evidence_hash, proxy_id, route, cluster, direction,"
        + " category, preview, first_seen_ms, last_seen_ms, sightings) VALUES "
        + "('" + CARD_A + "', 'gw-1', 'orders', 'payments', 'response', 'credit_card',"
        + " '****1111', " + (H0 + 60_000) + ", " + (H0 + HOUR + 5) + ", 3),"
        + "('" + CARD_B + "', 'gw-1', 'orders', 'payments', 'response', 'credit_card',"
        + " '****2222', " + (H0 + 61_000) + ", " + (H0 + 61_000) + ", 1),"
        + "('" + EMAIL + "', 'gw-2', 'refunds', '', 'request', 'email', 'j***@e***',"
        + " " + (H0 + HOUR + 9) + ", " + (H0 + HOUR + 9) + ", 1)");
    return sql;
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void existingRollupsReadTheSameAfterTheMigration(Databases.Kind kind) throws Exception {
    db = Databases.fresh(kind, dir);
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(db.url());
    if (db.postgresql()) {
      hc.setUsername(db.user());
      hc.setSchema(db.schemaName().orElseThrow());
    }
    HikariDataSource v5 = new HikariDataSource(hc);
    open.add(v5);
    Store.flyway(v5, db).target("5").load().migrate();
    try (Connection c = v5.getConnection(); Statement s = c.createStatement()) {
      for (String sql : legacyRows()) {
        s.executeUpdate(sql);
      }
    }
    Store before = new Store(v5, db.postgresql());
    Map<String, List<String>> expected = new TreeMap<>();
    for (String view : FORMER) {
      expected.put(view, GroupIngestTest.rows(before, view));
    }
    List<FlowRow> flows = before.flows(H0, H0 + 2 * HOUR, null, 100);
    List<Sighting> lineage = before.lineage(CARD_A);

    Store after = Store.open(db);
    open.add(after);

    for (String view : FORMER) {
      // V7 adds shadow_events to flow_minute and flow_hour: 0 for rows stored before it.
      assertThat(GroupIngestTest.rows(after, view)).as(view)
          .allSatisfy(r -> assertThat(r).doesNotContain("shadow_events=1"))
          .extracting(r -> r.replace("shadow_events=0 ", ""))
          .isEqualTo(expected.get(view));
    }
    assertThat(after.flows(H0, H0 + 2 * HOUR, null, 100)).isEqualTo(flows);
    assertThat(after.lineage(CARD_A)).isEqualTo(lineage);
    assertThat(flows).extracting(FlowRow::distinctValues).contains(2L);
    assertThat(lineage).singleElement().satisfies(s -> {
      assertThat(s.sightings()).isEqualTo(3);
      assertThat(s.preview()).isEqualTo("****1111");
    });

    // The migrated dictionaries serve new batches: their rows add to the migrated ones.
    Batch more = new Batch(UUID.randomUUID().toString(), "gw-1", "edge", "v1", H0 + HOUR + 100,
        List.of(new dev.custos.command.internal.ingest.IngestEvent(H0 + HOUR + 100, "orders",
            "payments", "", "http", "response", "id-a", Map.of("credit_card", 1), "observe",
            null, false, false, null, 10, List.of(new dev.custos.command.internal.ingest
            .IngestEvent.Evidence("credit_card", CARD_A, "****1111")))));
    assertThat(after.ingest(more)).isEqualTo(1);
    assertThat(after.lineage(CARD_A)).singleElement().satisfies(s -> {
      assertThat(s.sightings()).isEqualTo(4);
      assertThat(s.lastSeenMillis()).isEqualTo(H0 + HOUR + 100);
    });
    assertThat(GroupIngestTest.sum(after, "SELECT SUM(findings) FROM flow_hour WHERE"
        + " proxy_id = 'gw-1' AND route = 'orders'")).isEqualTo(5);
    assertThat(GroupIngestTest.sum(after, "SELECT COUNT(*) FROM destinations")).isEqualTo(2);
  }
}
