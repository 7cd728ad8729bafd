package dev.custos.command.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.command.CommandConfig;
import dev.custos.command.Databases;
import dev.custos.command.internal.store.Store;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The long polls' wake-ups, without the database poll (its interval is an hour here). */
class PolicyWatchTest {
  @TempDir
  Path dir;

  private CommandConfig.Database db;
  private Store store;
  private PolicyWatch watch;

  @BeforeEach
  void open() {
    db = Databases.fresh(Databases.Kind.SQLITE, dir);
    store = Store.open(db);
    watch = new PolicyWatch(new PolicyStore(store.dataSource()), 2, Duration.ofHours(1),
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
}
