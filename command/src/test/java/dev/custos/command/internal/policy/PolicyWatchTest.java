package dev.custos.command.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.command.CommandConfig;
import dev.custos.command.Databases;
import dev.custos.command.internal.store.Store;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The long polls' wake-ups; the database poll runs only when a test calls it (its interval is an hour here). */
class PolicyWatchTest {
  @TempDir
  Path dir;

  private CommandConfig.Database db;
  private Store store;
  private PolicyWatch watch;
  private PolicyStore policies;

  @BeforeEach
  void open() {
    db = Databases.fresh(Databases.Kind.SQLITE, dir);
    store = Store.open(db);
    policies = new PolicyStore(store.dataSource());
    watch = new PolicyWatch(policies, 2, Duration.ofHours(1),
        new SimpleMeterRegistry());
  }

  @AfterEach
  void close() {
    watch.close();
    store.close();
    Databases.drop(db);
  }

  @Test
  void aWaiterIsWokenByTheNextChange() {
    CompletableFuture<Void> next = watch.next(watch.generation());

    assertThat(next).isNotDone();
    watch.changed();
    assertThat(next).isDone();
  }

  @Test
  void aChangeBetweenReadingTheRolloutsAndWaitingIsNotMissed() {
    long seen = watch.generation();
    // A rollout changes after the caller read the rollouts, before it waits.
    watch.changed();

    assertThat(watch.next(seen)).isDone();
  }

  @Test
  void beyondTheBoundNoWaiterIsTaken() {
    long seen = watch.generation();
    assertThat(watch.next(seen)).isNotNull();
    CompletableFuture<Void> second = watch.next(seen);
    assertThat(watch.next(seen)).isNull();

    watch.done(second);
    assertThat(watch.next(seen)).isNotNull();
  }

  @Test
  void aChangeMadeHereWakesOnceAndTheDatabasePollDoesNotWakeAgainForIt() throws Exception {
    policies.addVersion("payments", PolicyStoreTest.V1, "", "alice", PolicyStoreTest.T0);
    CompletableFuture<Void> first = watch.next(watch.generation());
    policies.startRollout("payments", 1, List.of("*"), false, "alice", PolicyStoreTest.T0);
    watch.changed();
    assertThat(first).isDone();

    CompletableFuture<Void> second = watch.next(watch.generation());
    watch.poll();

    assertThat(second).isNotDone();
  }

  @Test
  void aChangeMadeByAnotherReplicaIsWokenByTheDatabasePoll() throws Exception {
    policies.addVersion("payments", PolicyStoreTest.V1, "", "alice", PolicyStoreTest.T0);
    CompletableFuture<Void> next = watch.next(watch.generation());
    watch.poll();
    assertThat(next).isNotDone();

    // Another replica's write: this one's changed() is not called.
    policies.startRollout("payments", 1, List.of("*"), false, "alice", PolicyStoreTest.T0);
    watch.poll();

    assertThat(next).isDone();
  }
}
