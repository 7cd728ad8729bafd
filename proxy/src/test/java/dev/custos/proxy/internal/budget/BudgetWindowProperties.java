package dev.custos.proxy.internal.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.proxy.BudgetKey;
import dev.custos.proxy.BudgetStore;
import dev.custos.proxy.BudgetUsage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The store against a plain list of events, replayed with the documented bucket semantics. */
class BudgetWindowProperties {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration WINDOW = Duration.ofMinutes(60);
  private static final long BUCKET_MILLIS = WINDOW.toMillis() / 60;

  record Step(long atMillis, int findings, Set<String> values, boolean add) {}

  @Provide
  Arbitrary<Step> steps() {
    return Combinators.combine(
            Arbitraries.longs().between(-60_000, 15 * 60_000), // mostly forward, sometimes back
            Arbitraries.integers().between(0, 5),
            Arbitraries.strings().withChars("abcdefgh").ofLength(1).set().ofMaxSize(4),
            Arbitraries.of(true, true, false))
        .as(Step::new);
  }

  @Provide
  Arbitrary<List<Step>> histories() {
    return steps().list().ofMaxSize(60);
  }

  @Property(tries = 300)
  void usageEqualsTheEventsInTheLastSixtyOneBuckets(@ForAll("histories") List<Step> steps) {
    BudgetKey key = new BudgetKey("rule", "id", WINDOW);
    List<long[]> kept = new ArrayList<>(); // {bucket, findings, index into valueSets}
    List<Set<String>> valueSets = new ArrayList<>();
    long latest = Long.MIN_VALUE;
    long clock = 0;
    try (BudgetStore store = BudgetStore.inMemory()) {
      for (Step s : steps) {
        clock = Math.max(0, clock + s.atMillis());
        Instant now = T0.plusMillis(clock);
        long bucket = Math.floorDiv(now.toEpochMilli(), BUCKET_MILLIS);
        latest = Math.max(latest, bucket);
        if (s.add()) {
          store.add(key, s.findings(), s.values(), now);
          if (bucket > latest - 61) {
            kept.add(new long[] {bucket, s.findings(), valueSets.size()});
            valueSets.add(s.values());
          }
        }
        long findings = 0;
        Set<String> distinct = new HashSet<>();
        for (long[] e : kept) {
          if (e[0] > latest - 61) {
            findings += e[1];
            distinct.addAll(valueSets.get((int) e[2]));
          }
        }
        assertThat(store.usage(key, now)).isEqualTo(new BudgetUsage(findings, distinct.size()));
      }
    }
  }

  @Property(tries = 200)
  void anEventCountsForAtLeastTheWindow(@ForAll("steps") Step step) {
    BudgetKey key = new BudgetKey("rule", "id", WINDOW);
    Instant at = T0.plusMillis(Math.abs(step.atMillis()));
    try (BudgetStore store = BudgetStore.inMemory()) {
      store.add(key, 1, Set.of("v"), at);
      assertThat(store.usage(key, at.plus(WINDOW).minusMillis(1))).isEqualTo(new BudgetUsage(1, 1));
      assertThat(store.usage(key, at.plus(WINDOW).plusMillis(BUCKET_MILLIS))).isEqualTo(BudgetUsage.NONE);
    }
  }
}
