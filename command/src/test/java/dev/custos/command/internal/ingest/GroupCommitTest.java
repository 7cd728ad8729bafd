package dev.custos.command.internal.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.command.CommandConfig;
import dev.custos.command.Databases;
import dev.custos.command.TestEvents;
import dev.custos.command.internal.store.Batch;
import dev.custos.command.internal.store.Outcome;
import dev.custos.command.internal.store.Store;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Writers hand batches to committers, which store what queued up meanwhile in one transaction. */
class GroupCommitTest {
  static final Instant T0 = Instant.parse("2026-12-07T10:15:30Z");

  @TempDir
  Path dir;

  private CommandConfig.Database db;
  private Store store;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ExecutorService writers = Executors.newFixedThreadPool(4);

  @AfterEach
  void close() {
    writers.shutdownNow();
    if (store != null) {
      store.close();
    }
    if (db != null) {
      Databases.drop(db);
    }
  }

  private Store open(Databases.Kind kind) {
    db = Databases.fresh(kind, dir);
    store = Store.open(db);
    return store;
  }

  static Batch batch(String proxy, int card, String protocol) {
    return new Batch(UUID.randomUUID().toString(), proxy, "edge", "v1", T0.toEpochMilli(),
        List.of(new IngestEvent(T0.toEpochMilli(), "orders", "", "", protocol, "request",
            "id-a", Map.of("credit_card", 1), "observe", null, false, false, null, 10,
            List.of(new IngestEvent.Evidence("credit_card", TestEvents.card(card).hash(),
                TestEvents.card(card).preview())))));
  }

  long count(String sql) throws SQLException {
    try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void batchesFromConcurrentWritersAreEachStoredOnce(Databases.Kind kind) throws Exception {
    open(kind);
    try (GroupCommit commits = new GroupCommit(store, 2, 50, registry)) {
      List<Future<Integer>> done = new ArrayList<>();
      List<Batch> sent = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        Batch b = batch("proxy-" + i % 4, i % 7, "http");
        sent.add(b);
        done.add(writers.submit(() -> commits.store(b)));
      }
      for (Future<Integer> f : done) {
        assertThat(f.get()).isEqualTo(1);
      }
      // Retries of every batch, concurrently: all duplicates.
      List<Future<Integer>> again = new ArrayList<>();
      for (Batch b : sent) {
        again.add(writers.submit(() -> commits.store(b)));
      }
      for (Future<Integer> f : again) {
        assertThat(f.get()).isEqualTo(-1);
      }
    }
    assertThat(count("SELECT COUNT(*) FROM events")).isEqualTo(40);
    assertThat(count("SELECT SUM(findings) FROM flow_hour")).isEqualTo(40);
    assertThat(count("SELECT SUM(sightings) FROM value_sightings")).isEqualTo(40);
    assertThat(count("SELECT COUNT(*) FROM proxies")).isEqualTo(4);
  }

  @Test
  void batchesQueuedWhileTheDatabaseIsBusyGoInOneGroupAndAFailingOneFailsAlone()
      throws Exception {
    open(Databases.Kind.SQLITE);
    DistributionSummary groups;
    try (GroupCommit commits = new GroupCommit(store, 1, 10_000, registry);
        Connection lock = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("command.db"));
        Statement s = lock.createStatement()) {
      groups = registry.get("custos_command_ingest_group_batches").summary();
      // Another connection holds the write lock: the committer's first group waits on it
      // (busy_timeout) while three more batches queue up.
      s.execute("BEGIN IMMEDIATE");
      Future<Integer> first = writers.submit(() -> commits.store(batch("gw", 1, "http")));
      Awaitility.await().until(() -> commits.taken() == 1);
      Future<Integer> second = writers.submit(() -> commits.store(batch("gw", 2, "http")));
      Future<Integer> bad = writers.submit(() -> commits.store(batch("gw", 3, null)));
      Future<Integer> third = writers.submit(() -> commits.store(batch("gw", 4, "http")));
      Awaitility.await().until(() -> commits.queued() == 3);
      s.execute("COMMIT");

      assertThat(first.get()).isEqualTo(1);
      assertThat(second.get()).isEqualTo(1);
      assertThat(third.get()).isEqualTo(1);
      assertThatThrownBy(bad::get).hasCauseInstanceOf(SQLException.class);
    }
    assertThat(groups.count()).isEqualTo(2);
    assertThat(groups.max()).isEqualTo(3);
    assertThat(count("SELECT COUNT(*) FROM events")).isEqualTo(3);
    assertThat(count("SELECT SUM(sightings) FROM value_sightings")).isEqualTo(3);
    assertThat(store.lineage(TestEvents.card(3).hash())).isEmpty();
  }

  @Test
  void closeStoresWhatIsQueuedFirstThenRefusesMore() throws Exception {
    open(Databases.Kind.SQLITE);
    GroupCommit commits = new GroupCommit(store, 1, 10_000, registry);
    List<Future<Integer>> done = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      int card = i;
      done.add(writers.submit(() -> commits.store(batch("gw", card, "http"))));
    }
    Awaitility.await().until(() -> commits.queued() + count("SELECT COUNT(*) FROM events")
        == 10);

    commits.close();

    for (Future<Integer> f : done) {
      assertThat(f.get()).isEqualTo(1);
    }
    assertThat(count("SELECT COUNT(*) FROM events")).isEqualTo(10);
    assertThatThrownBy(() -> commits.store(batch("gw", 11, "http")))
        .isInstanceOf(SQLException.class).hasMessageContaining("stopping");
  }

  @Test
  void aStuckDatabaseFreesItsWritersAfterTheMaximumWaitAndWithdrawsWhatIsStillQueued()
      throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch stuck = new CountDownLatch(1);
    List<List<Batch>> groups = new CopyOnWriteArrayList<>();
    GroupCommit commits = new GroupCommit(batches -> {
      groups.add(batches);
      entered.countDown();
      try {
        stuck.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return batches.stream().map(b -> Outcome.stored(b.events().size())).toList();
    }, 1, 10_000, Duration.ofMillis(200), registry);
    try {
      Future<Integer> first = writers.submit(() -> commits.store(batch("gw", 1, "http")));
      entered.await();

      assertThatThrownBy(first::get).hasCauseInstanceOf(SQLTimeoutException.class)
          .hasMessageContaining("not stored within 200 ms");
      // The committer is still held: the next batch waits in the queue, then is withdrawn.
      assertThatThrownBy(() -> commits.store(batch("gw", 2, "http")))
          .isInstanceOf(SQLTimeoutException.class);
      assertThat(commits.queued()).isZero();
      assertThat(registry.get("custos_command_ingest_store_timeouts").counter().count())
          .isEqualTo(2);
    } finally {
      stuck.countDown();
      commits.close();
    }
    assertThat(groups).singleElement().satisfies(g -> assertThat(g).hasSize(1));
  }
}
