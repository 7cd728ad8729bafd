package dev.custos.command.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The schedule the retention job and the alert evaluator share. */
class PeriodicTaskTest {
  @Test
  void aFailingRunIsReportedAndTheScheduleGoesOn() {
    AtomicInteger runs = new AtomicInteger();
    List<Exception> failures = new CopyOnWriteArrayList<>();
    try (PeriodicTask task = new PeriodicTask("test-periodic", Duration.ofMillis(5), () -> {
      if (runs.incrementAndGet() == 1) {
        throw new SQLException("database is locked");
      }
    }, failures::add)) {
      task.start();

      await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() >= 3);
    }
    assertThat(failures).singleElement().isInstanceOf(SQLException.class);
  }

  @Test
  void anIntervalThatIsNotAboveZeroIsRefused() {
    assertThatIllegalArgumentException().isThrownBy(() -> new PeriodicTask("t", Duration.ZERO,
        () -> { }, e -> { })).withMessage("every: PT0S (expected: above zero)");
  }
}
