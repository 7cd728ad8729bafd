package dev.custos.command.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.command.CommandConfig;
import dev.custos.command.internal.ingest.IngestEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The findings list's keyset pagination: for any events (many sharing a millisecond, across
 * batches) and any page size, following {@code next_before} visits every matching event exactly
 * once, newest first. One SQLite database; each try writes under a proxy id of its own and
 * filters on it.
 */
class EventPagesProperties {
  private static final long T0 = 1_796_000_000_000L;
  private static final AtomicInteger TRY = new AtomicInteger();
  private static Path dir;
  private static Store store;
  private static FlowQueries queries;

  @BeforeContainer
  static void open() throws Exception {
    dir = Files.createTempDirectory("event-pages");
    store = Store.open(CommandConfig.Database.sqlite(dir.resolve("pages.db")));
    queries = new FlowQueries(store.dataSource());
  }

  @AfterContainer
  static void close() throws Exception {
    store.close();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Provide
  Arbitrary<List<List<Integer>>> batches() {
    // Each batch: its events' time offsets in ms; a small range makes many ties.
    return Arbitraries.integers().between(0, 4).list().ofMinSize(1).ofMaxSize(12).list()
        .ofMinSize(1).ofMaxSize(5);
  }

  @Property(tries = 40)
  void followingNextBeforeVisitsEveryEventOnceNewestFirst(
      @ForAll("batches") List<List<Integer>> batches, @ForAll @IntRange(min = 1, max = 7) int size,
      @ForAll boolean onlyBlocked) throws Exception {
    String proxy = "p-" + TRY.incrementAndGet();
    int matching = 0;
    for (List<Integer> offsets : batches) {
      List<IngestEvent> events = new ArrayList<>();
      for (int i = 0; i < offsets.size(); i++) {
        boolean blocked = i % 2 == 0;
        matching += !onlyBlocked || blocked ? 1 : 0;
        events.add(new IngestEvent(T0 + offsets.get(i), "orders", "", "", "http", "response",
            "id-" + i, Map.of("credit_card", 1), blocked ? "block" : "observe",
            blocked ? "cards" : null, false, false, null, 10, List.of()));
      }
      store.ingest(new Batch(UUID.randomUUID().toString(), proxy, "edge", "v1", T0, events));
    }

    List<FlowQueries.Position> seen = new ArrayList<>();
    FlowQueries.Position before = null;
    for (int pages = 0; pages <= matching + 1; pages++) {
      List<FlowQueries.EventRow> page = queries.events(new FlowQueries.EventFilter(T0,
          T0 + 10, null, null, proxy, null, onlyBlocked ? "block" : null, null, before, size));
      page.forEach(r -> seen.add(r.position()));
      if (page.size() < size) {
        break;
      }
      before = page.get(page.size() - 1).position();
    }

    Set<FlowQueries.Position> distinct = new HashSet<>(seen);
    assertThat(distinct).as("no event twice").hasSameSizeAs(seen);
    assertThat(seen).as("every matching event").hasSize(matching);
    for (int i = 1; i < seen.size(); i++) {
      FlowQueries.Position a = seen.get(i - 1);
      FlowQueries.Position b = seen.get(i);
      assertThat(a.timeMillis()).as("newest first").isGreaterThanOrEqualTo(b.timeMillis());
    }
  }
}
