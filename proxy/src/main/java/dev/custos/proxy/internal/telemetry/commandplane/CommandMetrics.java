package dev.custos.proxy.internal.telemetry.commandplane;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The command plane sender's metrics, registered once per proxy and shared by the senders that
 * follow each other across reloads (the gauges read whichever sender runs). Names and tags hold
 * no value: reasons are fixed words. Thread-safe.
 *
 * <ul>
 *   <li>{@code custos_command_queued_events}: events in memory, in the queue or in batches not
 *       yet sent or spooled
 *   <li>{@code custos_command_events_sent_total}, {@code custos_command_batches_sent_total}:
 *       accepted by the plane (a duplicate answer counts: the plane holds the batch)
 *   <li>{@code custos_command_batches_spooled_total}, {@code custos_command_spool_bytes}, {@code
 *       custos_command_spool_events}: written to the disk spool, and waiting there
 *   <li>{@code custos_command_events_dropped_total{reason}}: {@code queue_full}, {@code
 *       spool_full} (deleted to keep the spool's bound), {@code spool_unavailable} (no spool and
 *       nowhere else to keep them), {@code rejected} (the plane answered 400), {@code too_large}
 *       (one event over the plane's bound), {@code closed} (offered while the sender stopped),
 *       {@code unwritable} (the event could not be formatted)
 *   <li>{@code custos_command_spool_truncated_bytes_total}: bytes of a torn or corrupt spool tail
 *       cut at start-up
 *   <li>{@code custos_command_send_failures_total{reason}}: {@code unauthorized}, {@code
 *       overloaded} (429, 503), {@code status} (another answer), {@code io} (no connection,
 *       timeout), {@code token} (token file unreadable)
 *   <li>{@code custos_command_last_success_age_seconds}: since the last accepted batch (NaN before
 *       the first)
 * </ul>
 */
final class CommandMetrics {
  private final MeterRegistry registry;
  private final LongSupplier nanoTime;
  private final Counter eventsSent;
  private final Counter batchesSent;
  private final Counter batchesSpooled;
  private final Counter truncated;
  private final Map<String, Counter> dropped = new ConcurrentHashMap<>();
  private final Map<String, Counter> failures = new ConcurrentHashMap<>();
  final AtomicLong queued = new AtomicLong();
  final AtomicLong spoolBytes = new AtomicLong();
  final AtomicLong spoolEvents = new AtomicLong();
  /** nanoTime of the last success, or Long.MIN_VALUE for none. */
  final AtomicLong lastSuccess = new AtomicLong(Long.MIN_VALUE);

  CommandMetrics(MeterRegistry registry, LongSupplier nanoTime) {
    this.registry = registry;
    this.nanoTime = nanoTime;
    this.eventsSent = Counter.builder("custos.command.events.sent")
        .description("Findings events the command plane accepted").register(registry);
    this.batchesSent = Counter.builder("custos.command.batches.sent")
        .description("Batches the command plane accepted").register(registry);
    this.batchesSpooled = Counter.builder("custos.command.batches.spooled")
        .description("Batches written to the disk spool").register(registry);
    this.truncated = Counter.builder("custos.command.spool.truncated.bytes")
        .description("Bytes of torn or corrupt spool tails cut at start-up").register(registry);
    Gauge.builder("custos.command.queued.events", queued, AtomicLong::get)
        .description("Findings events in memory waiting to be sent or spooled")
        .register(registry);
    Gauge.builder("custos.command.spool.bytes", spoolBytes, AtomicLong::get)
        .description("Bytes of the disk spool").register(registry);
    Gauge.builder("custos.command.spool.events", spoolEvents, AtomicLong::get)
        .description("Findings events waiting in the disk spool").register(registry);
    Gauge.builder("custos.command.last.success.age", this, CommandMetrics::lastSuccessAge)
        .description("Seconds since the command plane last accepted a batch (NaN before)")
        .baseUnit("seconds").register(registry);
  }

  private double lastSuccessAge() {
    long at = lastSuccess.get();
    return at == Long.MIN_VALUE ? Double.NaN : (nanoTime.getAsLong() - at) / 1e9;
  }

  void sent(Batch b) {
    batchesSent.increment();
    eventsSent.increment(b.events());
    lastSuccess.set(nanoTime.getAsLong());
  }

  void spooled() {
    batchesSpooled.increment();
  }

  void truncated(long bytes) {
    truncated.increment(bytes);
  }

  void dropped(String reason, long events) {
    if (events > 0) {
      dropped.computeIfAbsent(reason, r -> Counter.builder("custos.command.events.dropped")
          .description("Findings events never delivered to the command plane, by reason")
          .tag("reason", r).register(registry)).increment(events);
    }
  }

  void failed(String reason) {
    failures.computeIfAbsent(reason, r -> Counter.builder("custos.command.send.failures")
        .description("Failed sends to the command plane, by reason")
        .tag("reason", r).register(registry)).increment();
  }
}
