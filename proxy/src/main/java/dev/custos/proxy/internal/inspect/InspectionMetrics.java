package dev.custos.proxy.internal.inspect;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.custos.engine.Direction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * The inspection layer's meters. Labels hold only configuration and category ids (route,
 * direction, category, action, style, stage, reason), never values, so their cardinality is
 * bounded by the policy. Prometheus names: {@code custos_findings_total}, {@code
 * custos_blocked_total}, {@code custos_redactions_total}, {@code custos_inspected_bytes_total},
 * {@code custos_inspection_seconds}, {@code custos_uninspectable_total}.
 *
 * <p>Meters are registered on first use and kept, so a request costs a map lookup per meter
 * rather than a builder, a tag sort and a registry lookup. One instance per registry and route
 * ({@link #of}). Thread-safe.
 */
final class InspectionMetrics {
  /**
   * The histogram buckets of {@code custos_inspection_seconds}: twelve, from 50 µs to 1 s, where
   * Micrometer's percentile histogram would publish about seventy per route and direction.
   */
  private static final java.time.Duration[] INSPECTION_BUCKETS = {
      java.time.Duration.ofNanos(50_000), java.time.Duration.ofNanos(100_000),
      java.time.Duration.ofNanos(250_000), java.time.Duration.ofNanos(500_000),
      java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(2),
      java.time.Duration.ofMillis(5), java.time.Duration.ofMillis(10),
      java.time.Duration.ofMillis(25), java.time.Duration.ofMillis(100),
      java.time.Duration.ofMillis(250), java.time.Duration.ofSeconds(1)};

  /** By registry, held weakly and compared by identity; a lookup takes no lock. */
  private static final Cache<MeterRegistry, ConcurrentMap<String, InspectionMetrics>> BY_REGISTRY =
      Caffeine.newBuilder().weakKeys().build();

  private record Key(Direction direction, String a, String b) {}

  private final MeterRegistry registry;
  private final String route;
  private final ConcurrentMap<Key, Counter> findings = new ConcurrentHashMap<>();
  private final ConcurrentMap<Key, Counter> blocked = new ConcurrentHashMap<>();
  private final ConcurrentMap<Key, Counter> redactions = new ConcurrentHashMap<>();
  private final ConcurrentMap<Key, Counter> uninspectable = new ConcurrentHashMap<>();
  private final ConcurrentMap<Direction, Counter> inspectedBytes = new ConcurrentHashMap<>();
  private final ConcurrentMap<Direction, Timer> inspectionTime = new ConcurrentHashMap<>();

  InspectionMetrics(MeterRegistry registry, String route) {
    this.registry = registry;
    this.route = route;
  }

  /** Returns the meters of {@code route} in {@code registry}, shared by its exchanges. */
  static InspectionMetrics of(MeterRegistry registry, String route) {
    ConcurrentMap<String, InspectionMetrics> byRoute =
        BY_REGISTRY.get(registry, r -> new ConcurrentHashMap<>());
    InspectionMetrics m = byRoute.get(route);
    return m != null ? m : byRoute.computeIfAbsent(route, r -> new InspectionMetrics(registry, r));
  }

  /** Counts findings of a category with the action taken on them ({@code would_…} in shadow). */
  void findings(Direction direction, String category, String action, long n) {
    Key key = new Key(direction, category, action);
    Counter c = findings.get(key);
    if (c == null) {
      c = findings.computeIfAbsent(key, k -> Counter.builder("custos.findings")
          .description("Sensitive values found, by category and the action taken")
          .tags("route", route, "direction", direction.id(), "category", category, "action", action)
          .register(registry));
    }
    c.increment(n);
  }

  /**
   * Counts a refused message: {@code before_upstream} (request refused with 403), {@code
   * in_place} (response replaced by 403) or {@code stream_aborted} (reset after bytes went out) or {@code stream_ended} (a Server-Sent Events response ended with an error event).
   */
  void blocked(Direction direction, String stage) {
    Key key = new Key(direction, stage, "");
    Counter c = blocked.get(key);
    if (c == null) {
      c = blocked.computeIfAbsent(key, k -> Counter.builder("custos.blocked")
          .description("Messages refused by a block rule or on_uninspectable")
          .tags("route", route, "direction", direction.id(), "stage", stage)
          .register(registry));
    }
    c.increment();
  }

  void redaction(Direction direction, String category, String style) {
    Key key = new Key(direction, category, style);
    Counter c = redactions.get(key);
    if (c == null) {
      c = redactions.computeIfAbsent(key, k -> Counter.builder("custos.redactions")
          .description("Values rewritten by a redact rule")
          .tags("route", route, "direction", direction.id(), "category", category, "style", style)
          .register(registry));
    }
    c.increment();
  }

  void inspectedBytes(Direction direction, long n) {
    if (n <= 0) {
      return;
    }
    Counter c = inspectedBytes.get(direction);
    if (c == null) {
      c = inspectedBytes.computeIfAbsent(direction, d -> Counter.builder("custos.inspected.bytes")
          .baseUnit("bytes")
          .description("Bytes scanned (decoded bytes for compressed bodies)")
          .tags("route", route, "direction", d.id())
          .register(registry));
    }
    c.increment(n);
  }

  void inspectionTime(Direction direction, long nanos) {
    Timer t = inspectionTime.get(direction);
    if (t == null) {
      t = inspectionTime.computeIfAbsent(direction, d -> Timer.builder("custos.inspection")
          .description("Time spent scanning one message")
          .tags("route", route, "direction", d.id())
          .serviceLevelObjectives(INSPECTION_BUCKETS)
          .register(registry));
    }
    t.record(nanos, TimeUnit.NANOSECONDS);
  }

  void uninspectable(Direction direction, String reason, String decision) {
    Key key = new Key(direction, reason, decision);
    Counter c = uninspectable.get(key);
    if (c == null) {
      c = uninspectable.computeIfAbsent(key, k -> Counter.builder("custos.uninspectable")
          .description("Messages or parts that could not be inspected, and what was done")
          .tags("route", route, "direction", direction.id(), "reason", reason, "decision", decision)
          .register(registry));
    }
    c.increment();
  }
}
