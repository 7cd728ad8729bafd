package dev.custos.command.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.command.CommandConfig;
import dev.custos.command.Databases;
import dev.custos.command.internal.ingest.IngestEvent;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The roll-ups' dictionaries under concurrency, against SQLite and PostgreSQL: two planes
 * (replicas on one database), each with two committers, storing at once batches whose
 * destinations and sources are all new create each entry once and count every finding once.
 */
class DictionariesTest {
  static final Instant T0 = Instant.parse("2026-12-07T10:15:30Z");

  @TempDir
  Path dir;

  private final List<Store> stores = new ArrayList<>();
  private CommandConfig.Database db;

  @AfterEach
  void close() {
    stores.forEach(Store::close);
    if (db != null) {
      Databases.drop(db);
    }
  }

  private static Batch batch(int writer, int n) {
    List<IngestEvent> events = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      // Every writer's batches cover the same 6 routes, 4 identities and 2 services.
      events.add(new IngestEvent(T0.toEpochMilli() + i, "route-" + (i % 6), "cluster",
          "service-" + (i % 2), "http", "request", "id-" + (i % 4), Map.of("email", 2),
          "observe", null, false, false, null, 100, List.of(new IngestEvent.Evidence("email",
              String.format("%032x", writer * 1000 + n * 20 + i), "j***@e***"))));
    }
    return new Batch(UUID.randomUUID().toString(), "gw-" + (n % 2), "edge", "v1",
        T0.toEpochMilli(), events);
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void replicasCreatingTheSameEntriesAtOnceShareOneIdPerEntry(Databases.Kind kind)
      throws Exception {
    db = Databases.fresh(kind, dir);
    Store first = Store.open(db);
    stores.add(first);
    Store second = Store.open(db);
    stores.add(second);
    int writers = 4;
    int batches = 5;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<List<Outcome>>> done = new ArrayList<>();
    try {
      for (int w = 0; w < writers; w++) {
        Store store = w % 2 == 0 ? first : second;
        int writer = w;
        done.add(pool.submit(() -> {
          List<Batch> group = new ArrayList<>();
          for (int n = 0; n < batches; n++) {
            group.add(batch(writer, n));
          }
          start.await();
          return store.ingest(group);
        }));
      }
      start.countDown();
      for (Future<List<Outcome>> f : done) {
        assertThat(f.get()).hasSize(batches)
            .allSatisfy(o -> assertThat(o).isEqualTo(Outcome.stored(20)));
      }
    } finally {
      pool.shutdownNow();
    }

    // 2 proxies x 6 routes; 4 identities x 2 services.
    assertThat(GroupIngestTest.sum(first, "SELECT COUNT(*) FROM destinations")).isEqualTo(12);
    assertThat(GroupIngestTest.sum(first, "SELECT COUNT(*) FROM sources")).isEqualTo(4);
    long findings = 2L * 20 * batches * writers;
    assertThat(GroupIngestTest.sum(first, "SELECT SUM(findings) FROM flow_hour"))
        .isEqualTo(findings);
    assertThat(GroupIngestTest.sum(second, "SELECT SUM(findings) FROM flow_minute"))
        .isEqualTo(findings);
    assertThat(GroupIngestTest.sum(first, "SELECT COUNT(DISTINCT evidence_hash) FROM"
        + " flow_values")).isEqualTo(20L * batches * writers);
    assertThat(GroupIngestTest.sum(second, "SELECT SUM(sightings) FROM value_sightings"))
        .isEqualTo(20L * batches * writers);
    // Every roll-up row's ids are in the dictionaries (the views are inner joins).
    assertThat(GroupIngestTest.sum(first, "SELECT COUNT(*) FROM rollup_hour r WHERE NOT EXISTS"
        + " (SELECT 1 FROM destinations d WHERE d.destination_id = r.destination_id)"))
        .isZero();
  }
}
