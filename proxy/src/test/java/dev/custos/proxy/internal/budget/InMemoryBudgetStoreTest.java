package dev.custos.proxy.internal.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.proxy.BudgetKey;
import dev.custos.proxy.BudgetStore;
import dev.custos.proxy.BudgetUsage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InMemoryBudgetStoreTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final BudgetKey CARDS = new BudgetKey("card budget", "id:alice", Duration.ofHours(1));

  @Test
  void countsFindingsAndDistinctValuesWithinTheWindow() {
    try (BudgetStore store = BudgetStore.inMemory()) {
      store.add(CARDS, 2, Set.of("h1", "h2"), T0);
      store.add(CARDS, 3, Set.of("h2", "h3"), T0.plusSeconds(600));

      assertThat(store.usage(CARDS, T0.plusSeconds(1200))).isEqualTo(new BudgetUsage(5, 3));
    }
  }

  @Test
  void projectedUsageIncludesTheMessageButChangesNothing() {
    try (BudgetStore store = BudgetStore.inMemory()) {
      store.add(CARDS, 1, Set.of("h1"), T0);

      assertThat(store.projected(CARDS, 2, Set.of("h1", "h9"), T0.plusSeconds(5)))
          .isEqualTo(new BudgetUsage(3, 2));
      assertThat(store.usage(CARDS, T0.plusSeconds(5))).isEqualTo(new BudgetUsage(1, 1));
    }
  }

  @Test
  void forgetsWhatIsOlderThanTheWindowPlusOneBucket() {
    try (BudgetStore store = BudgetStore.inMemory()) {
      store.add(CARDS, 4, Set.of("h1"), T0);

      assertThat(store.usage(CARDS, T0.plus(Duration.ofMinutes(59)))).isEqualTo(new BudgetUsage(4, 1));
      assertThat(store.usage(CARDS, T0.plus(Duration.ofMinutes(61)))).isEqualTo(BudgetUsage.NONE);
    }
  }

  @Test
  void keysAreIndependent() {
    BudgetKey bob = new BudgetKey("card budget", "id:bob", Duration.ofHours(1));
    BudgetKey otherRule = new BudgetKey("ssn budget", "id:alice", Duration.ofHours(1));
    try (BudgetStore store = BudgetStore.inMemory()) {
      store.add(CARDS, 1, Set.of("h1"), T0);

      assertThat(store.usage(bob, T0)).isEqualTo(BudgetUsage.NONE);
      assertThat(store.usage(otherRule, T0)).isEqualTo(BudgetUsage.NONE);
    }
  }

  @Test
  void distinctValuesStopGrowingAtTheLimit() {
    try (BudgetStore store = BudgetStore.inMemory(3)) {
      store.add(CARDS, 5, Set.of("h1", "h2", "h3", "h4", "h5"), T0);

      assertThat(store.usage(CARDS, T0)).isEqualTo(new BudgetUsage(5, 3));
      assertThat(store.projected(CARDS, 1, Set.of("h6"), T0).distinctValues()).isEqualTo(3);
    }
  }

  @Test
  void memoryIsBoundedByTrackedValuesAcrossKeys() {
    InMemoryBudgetStore store = new InMemoryBudgetStore(1_000);
    for (int i = 0; i < 5_000; i++) {
      BudgetKey key = new BudgetKey("r", "id:" + i, Duration.ofHours(1));
      store.add(key, 1, Set.of("h" + i), T0);
    }

    assertThat(store.keyCount()).isLessThanOrEqualTo(1_000);
    store.close();
  }

  @Test
  void concurrentAddsAreAllCounted() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (BudgetStore store = BudgetStore.inMemory()) {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 1_000; i++) {
                    store.add(CARDS, 1, Set.of("t" + thread + "-" + (i % 50)), T0.plusMillis(i));
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }

      assertThat(store.usage(CARDS, T0.plusSeconds(2))).isEqualTo(new BudgetUsage(4_000, 200));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void refusesNegativeFindingsAndNonPositiveWindows() {
    try (BudgetStore store = BudgetStore.inMemory()) {
      assertThatThrownBy(() -> store.add(CARDS, -1, Set.of(), T0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("findings: -1 (expected: >= 0)");
    }
    assertThatThrownBy(() -> new BudgetKey("r", "id", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("window: PT0S (expected: > 0)");
    assertThatThrownBy(() -> BudgetStore.inMemory(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxTrackedValues: 0 (expected: > 0)");
  }
}
