package dev.custos.command.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.command.CommandConfig;
import dev.custos.command.Databases;
import dev.custos.command.MutableClock;
import dev.custos.command.TestEvents;
import dev.custos.command.internal.RetentionJob;
import dev.custos.command.internal.ingest.EventParser;
import dev.custos.command.internal.ingest.IngestEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The same repository tests against SQLite and PostgreSQL. */
class StoreTest {
  static final Instant T0 = Instant.parse("2026-12-07T10:15:30Z");

  @TempDir
  Path dir;

  private CommandConfig.Database db;
  private Store store;

  private Store open(Databases.Kind kind) {
    db = Databases.fresh(kind, dir);
    store = Store.open(db);
    return store;
  }

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
    if (db != null) {
      Databases.drop(db);
    }
  }

  static Batch batch(String proxy, Instant received, List<String> lines) throws Exception {
    List<IngestEvent> events = EventParser.parse(TestEvents.body(lines));
    return new Batch(UUID.randomUUID().toString(), proxy, "edge", "v1", received.toEpochMilli(),
        events);
  }

  static String event(Instant t, String route, String identity, Map<String, Integer> cats,
      List<String> actions, TestEvents.Value... values) {
    return TestEvents.line(t, route, "payments", "response", identity, cats, actions,
        List.of(values));
  }

  long count(String sql) throws Exception {
    try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void eventsAreStoredAndRolledUpIntoFlows(Databases.Kind kind) throws Exception {
    open(kind);
    Batch b = batch("gw-1", T0, List.of(
        event(T0, "orders", "id-a", Map.of("credit_card", 2), List.of("redact"),
            TestEvents.card(1), TestEvents.card(2)),
        event(T0.plusSeconds(20), "orders", "id-a", Map.of("credit_card", 1, "email", 1),
            List.of("observe", "redact"), TestEvents.card(1)),
        event(T0.plusSeconds(40), "orders", "id-b", Map.of("credit_card", 1), List.of("block"),
            TestEvents.card(3))));

    assertThat(store.ingest(b)).isEqualTo(3);

    assertThat(count("SELECT COUNT(*) FROM events")).isEqualTo(3);
    List<FlowRow> flows = store.flows(T0.minus(Duration.ofHours(1)).toEpochMilli(),
        T0.plus(Duration.ofHours(1)).toEpochMilli(), null, 100);
    assertThat(flows).containsExactlyInAnyOrder(
        new FlowRow("orders", "payments", "response", "id-a", "", "credit_card", "redact", 2, 3,
            2),
        new FlowRow("orders", "payments", "response", "id-a", "", "email", "redact", 1, 1, 0),
        new FlowRow("orders", "payments", "response", "id-b", "", "credit_card", "block", 1, 1,
            1));
    assertThat(store.flows(T0.minus(Duration.ofHours(1)).toEpochMilli(),
        T0.plus(Duration.ofHours(1)).toEpochMilli(), "email", 100)).hasSize(1);
    // 10:15:30, 10:15:50 and 10:16:10 fall in two minutes; one hour.
    assertThat(count("SELECT COUNT(DISTINCT bucket_ms) FROM flow_minute")).isEqualTo(2);
    assertThat(count("SELECT COUNT(DISTINCT bucket_ms) FROM flow_hour")).isEqualTo(1);
    assertThat(count("SELECT SUM(findings) FROM flow_minute")).isEqualTo(5);
    assertThat(count("SELECT SUM(findings) FROM flow_hour")).isEqualTo(5);
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void aBatchIdAlreadyStoredIsADuplicateAndChangesNothing(Databases.Kind kind) throws Exception {
    open(kind);
    Batch b = batch("gw-1", T0, List.of(event(T0, "orders", "id-a", Map.of("credit_card", 1),
        List.of("observe"), TestEvents.card(1))));

    assertThat(store.ingest(b)).isEqualTo(1);
    assertThat(store.ingest(b)).isEqualTo(-1);

    assertThat(count("SELECT COUNT(*) FROM events")).isEqualTo(1);
    assertThat(count("SELECT SUM(findings) FROM flow_hour")).isEqualTo(1);
    assertThat(count("SELECT SUM(sightings) FROM value_sightings")).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void theSameValueAtTwoProxiesIsALineagePath(Databases.Kind kind) throws Exception {
    open(kind);
    TestEvents.Value card = TestEvents.card(42);
    store.ingest(batch("gateway", T0, List.of(event(T0, "checkout", "id-a",
        Map.of("credit_card", 1), List.of("observe"), card))));
    store.ingest(batch("billing-sidecar", T0, List.of(event(T0.plusSeconds(5), "invoices",
        "id-b", Map.of("credit_card", 1), List.of("redact"), card))));
    store.ingest(batch("gateway", T0, List.of(event(T0.plusSeconds(9), "checkout", "id-a",
        Map.of("credit_card", 1), List.of("observe"), card))));

    List<Sighting> path = store.lineage(card.hash());

    assertThat(path).extracting(Sighting::proxyId, Sighting::route, Sighting::sightings)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("gateway", "checkout", 2L),
            org.assertj.core.groups.Tuple.tuple("billing-sidecar", "invoices", 1L));
    assertThat(path.get(0).firstSeenMillis()).isEqualTo(T0.toEpochMilli());
    assertThat(path.get(0).lastSeenMillis()).isEqualTo(T0.plusSeconds(9).toEpochMilli());
    assertThat(path.get(0).preview()).isEqualTo(card.preview());
    assertThat(store.lineage(TestEvents.card(43).hash())).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void retentionDeletesRawEventsFirstAndRollupsLater(Databases.Kind kind) throws Exception {
    open(kind);
    MutableClock clock = new MutableClock(T0);
    CommandConfig.Retention retention = new CommandConfig.Retention(Duration.ofDays(1),
        Duration.ofDays(2), Duration.ofDays(10), Duration.ofHours(1));
    RetentionJob job = new RetentionJob(store, retention, clock, new SimpleMeterRegistry());
    store.ingest(batch("gw-1", T0, List.of(event(T0, "orders", "id-a",
        Map.of("credit_card", 1), List.of("observe"), TestEvents.card(1)))));

    clock.advance(Duration.ofHours(23));
    assertThat(job.runOnce().values()).allMatch(n -> n == 0);
    assertThat(count("SELECT COUNT(*) FROM events")).isEqualTo(1);

    clock.advance(Duration.ofHours(2));
    Map<String, Long> deleted = job.runOnce();
    assertThat(deleted).containsEntry("events", 1L).containsEntry("batches", 1L)
        .containsEntry("rollup_minute", 0L).containsEntry("rollup_hour", 0L);
    assertThat(count("SELECT COUNT(*) FROM flow_hour")).isEqualTo(1);

    clock.advance(Duration.ofDays(1));
    assertThat(job.runOnce()).containsEntry("rollup_minute", 1L)
        .containsEntry("rollup_hour", 0L);

    clock.advance(Duration.ofDays(8));
    assertThat(job.runOnce()).containsEntry("rollup_hour", 1L)
        .containsEntry("hour_values", 1L);
    for (String table : List.of("events", "batches", "flow_minute", "flow_hour", "flow_values",
        "value_sightings")) {
      assertThat(count("SELECT COUNT(*) FROM " + table)).as(table).isZero();
    }
    job.close();
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void concurrentBatchesFromSeveralProxiesAreAllCounted(Databases.Kind kind) throws Exception {
    open(kind);
    int proxies = 4;
    int batches = 10;
    ExecutorService pool = Executors.newFixedThreadPool(proxies);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int p = 0; p < proxies; p++) {
        String proxy = "proxy-" + p;
        done.add(pool.submit(() -> {
          for (int i = 0; i < batches; i++) {
            List<String> lines = new ArrayList<>();
            for (int j = 0; j < 20; j++) {
              // The same identities, categories and values from every proxy: shared rows.
              lines.add(event(T0.plusSeconds(j), "orders", "id-" + (j % 3),
                  Map.of("credit_card", 1, "email", 2), List.of("observe"),
                  TestEvents.card(j % 5)));
            }
            store.ingest(batch(proxy, T0, lines));
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    assertThat(count("SELECT COUNT(*) FROM events")).isEqualTo(proxies * batches * 20L);
    assertThat(count("SELECT SUM(findings) FROM flow_hour")).isEqualTo(proxies * batches * 60L);
    assertThat(count("SELECT SUM(sightings) FROM value_sightings"))
        .isEqualTo(proxies * batches * 20L);
    assertThat(count("SELECT COUNT(*) FROM proxies")).isEqualTo(proxies);
  }
}
