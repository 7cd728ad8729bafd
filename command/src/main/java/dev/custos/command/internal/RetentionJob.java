package dev.custos.command.internal;

import static java.util.Objects.requireNonNull;

import dev.custos.command.CommandConfig;
import dev.custos.command.internal.store.Store;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes what retention no longer keeps: raw events (and batch ids) after {@code raw_events},
 * minute roll-ups after {@code minute_rollups}, hour roll-ups, distinct values and lineage after
 * {@code hour_rollups}. Runs every {@code interval} on its own thread, and on demand; times come
 * from the injected clock. Thread-safe.
 */
public final class RetentionJob implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(RetentionJob.class);

  private final Store store;
  private final CommandConfig.Retention retention;
  private final Clock clock;
  private final MeterRegistry registry;
  private final PeriodicTask timer;

  /** Creates the job; {@link #start} schedules it. */
  public RetentionJob(Store store, CommandConfig.Retention retention, Clock clock,
      MeterRegistry registry) {
    this.store = requireNonNull(store, "store");
    this.retention = requireNonNull(retention, "retention");
    this.clock = requireNonNull(clock, "clock");
    this.registry = requireNonNull(registry, "registry");
    this.timer = new PeriodicTask("custos-command-retention", retention.interval(),
        this::runOnce, e -> logger.warn("retention run failed: {}",
            e.getClass().getSimpleName()));
  }

  /** Schedules the job every {@code interval}, the first run one interval from now. */
  public void start() {
    timer.start();
  }

  /**
   * Deletes, now, what is older than retention keeps.
   *
   * @return rows deleted per table
   */
  public synchronized Map<String, Long> runOnce() throws SQLException {
    long now = clock.millis();
    Map<String, Long> deleted = store.deleteOlderThan(now - retention.rawEvents().toMillis(),
        now - retention.minuteRollups().toMillis(), now - retention.hourRollups().toMillis());
    for (Map.Entry<String, Long> e : deleted.entrySet()) {
      Counter.builder("custos_command_retention_deleted").description("Rows deleted by retention")
          .tag("table", e.getKey()).register(registry).increment(e.getValue());
    }
    return deleted;
  }

  @Override
  public void close() {
    timer.close();
  }
}
