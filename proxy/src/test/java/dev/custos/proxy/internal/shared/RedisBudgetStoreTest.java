package dev.custos.proxy.internal.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.custos.proxy.BudgetKey;
import dev.custos.proxy.BudgetStore;
import dev.custos.proxy.BudgetUsage;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.RateLimitStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Redis budget store against the in-memory one as the reference: the same histories of adds
 * (time moving forward, values repeating, windows sliding) must give the same usage, through
 * {@code load} and {@code projected}, as two replicas would read it.
 */
class RedisBudgetStoreTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration WINDOW = Duration.ofMinutes(60);

  private TestRedis redis;
  private final List<SimpleMeterRegistry> registries = new java.util.ArrayList<>();
  private SharedState replicaA;
  private SharedState replicaB;

  @BeforeEach
  void connect() {
    redis = TestRedis.require();
    replicaA = replica();
    replicaB = replica();
  }

  private SharedState replica() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    registries.add(registry);
    SharedState s = new SharedState(registry, BudgetStore.inMemory(), RateLimitStore.inMemory(),
        Nonces.inMemory(1000, System::nanoTime));
    s.update(new ProxyConfig.SharedState(URI.create(TestRedis.URL), null, null, redis.prefix,
        Duration.ofSeconds(2), Duration.ofSeconds(2),
        ProxyConfig.SharedState.OnUnavailable.FAIL_CLOSED));
    assertThat(s.awaitConnected()).isTrue();
    return s;
  }

  @AfterEach
  void close() {
    if (replicaA != null) {
      replicaA.close();
      replicaB.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void twoReplicasReadWhatAnInMemoryStoreWouldHaveCounted() {
    Random random = new Random(20261207L);
    for (int history = 0; history < 40; history++) {
      BudgetKey key = new BudgetKey("rule-" + history, "identity-hash", WINDOW);
      try (BudgetStore reference = BudgetStore.inMemory()) {
        long clock = 0;
        int steps = 1 + random.nextInt(40);
        for (int step = 0; step < steps; step++) {
          clock += random.nextInt(4) == 0 ? 0 : random.nextInt(15 * 60_000);
          Instant now = T0.plusMillis(clock);
          Set<String> values = values(random);
          int findings = random.nextInt(6);
          // Adds land at either replica, as requests would.
          BudgetStore writer = (random.nextBoolean() ? replicaA : replicaB).budgets();
          if (random.nextInt(3) > 0) {
            writer.add(key, findings, values, now);
            reference.add(key, findings, values, now);
            // Writes go behind (the other replica's connection may overtake them): wait.
            await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
                .atMost(Duration.ofSeconds(10))
                .until(() -> ((RedisBudgetStore) writer).pendingWrites() == 0);
          }
          Set<String> probe = values(random);
          for (SharedState reader : List.of(replicaA, replicaB)) {
            reader.budgets().load(List.of(key), now).toCompletableFuture().join();
            BudgetUsage got = reader.budgets().projected(key, 2, probe, now);
            assertThat(got).as("history %d step %d", history, step)
                .isEqualTo(reference.projected(key, 2, probe, now));
          }
        }
      }
    }
    assertThat(registries).allSatisfy(r ->
        assertThat(r.find("custos.shared.state.unavailable").counters()).isEmpty());
    // Hashes only: two keys per budget, each with an expiry.
    List<String> keys = redis.keys();
    assertThat(keys).isNotEmpty().allSatisfy(k -> {
      assertThat(k).matches(java.util.regex.Pattern.quote(redis.prefix)
          + "budget:\\{[0-9a-f]{32}\\}:[fv]");
      assertThat(redis.commands().pttl(k)).isPositive()
          .isLessThanOrEqualTo(WINDOW.toMillis() + 2 * WINDOW.toMillis() / 60);
    });
  }

  @Test
  void aReplicaSeesAnotherReplicasAddOnlyAfterLoading() {
    BudgetKey key = new BudgetKey("cards", "identity-hash", WINDOW);
    BudgetStore a = replicaA.budgets();
    BudgetStore b = replicaB.budgets();
    a.load(List.of(key), T0).toCompletableFuture().join();
    b.load(List.of(key), T0).toCompletableFuture().join();
    a.add(key, 1, Set.of("h1"), T0);
    await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
        .atMost(Duration.ofSeconds(10))
        .until(() -> ((RedisBudgetStore) a).pendingWrites() == 0);
    assertThat(a.projected(key, 0, Set.of(), T0)).isEqualTo(new BudgetUsage(1, 1));
    // Loaded before the add: B's view is the older one until it loads again.
    assertThat(b.projected(key, 0, Set.of(), T0)).isEqualTo(new BudgetUsage(0, 0));
    b.load(List.of(key), T0).toCompletableFuture().join();
    assertThat(b.projected(key, 1, Set.of("h1", "h2"), T0)).isEqualTo(new BudgetUsage(2, 2));
  }

  private static Set<String> values(Random random) {
    Set<String> values = new HashSet<>();
    int n = random.nextInt(4);
    for (int i = 0; i < n; i++) {
      values.add("hash-" + (char) ('a' + random.nextInt(8)));
    }
    return values;
  }
}
