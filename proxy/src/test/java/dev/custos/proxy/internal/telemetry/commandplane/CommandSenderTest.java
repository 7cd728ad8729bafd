package dev.custos.proxy.internal.telemetry.commandplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.linecorp.armeria.common.SessionProtocol;
import dev.custos.engine.Direction;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.ProxyConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sender against a real command plane on loopback ({@link CommandPlaneStub}): batches,
 * headers, retries with the same batch id, the spool while the plane is down, 401, 413 and 400
 * answers, the spool's bound, a restart, and that closing ends its threads.
 */
class CommandSenderTest {
  @RegisterExtension
  static final CommandPlaneStub plane = new CommandPlaneStub();

  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir
  Path dir;

  private SimpleMeterRegistry registry;
  private CommandMetrics metrics;
  private final List<CommandSender> senders = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    plane.reset();
    registry = new SimpleMeterRegistry();
    metrics = new CommandMetrics(registry, System::nanoTime);
    Files.writeString(dir.resolve("token"), CommandPlaneStub.TOKEN + "\n");
  }

  @AfterEach
  void tearDown() {
    for (CommandSender s : senders) {
      CommandSender.await(s.closeAsync(false), s.closeBound());
    }
  }

  private ProxyConfig.Command settings(String url, int batch, long spoolBytes) {
    return settings(url, batch, spoolBytes, Duration.ofMillis(20));
  }

  private ProxyConfig.Command settings(String url, int batch, long spoolBytes, Duration linger) {
    return new ProxyConfig.Command(URI.create(url), dir.resolve("token"), dir.resolve("spool"),
        "proxy-a", 10_000, batch, linger, spoolBytes, Duration.ofSeconds(5),
        Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofSeconds(5));
  }

  private CommandSender start(ProxyConfig.Command c) {
    return start(c, CompletableFuture.completedFuture(List.of()));
  }

  private CommandSender start(ProxyConfig.Command c, CompletableFuture<List<Batch>> after) {
    CommandSender s = new CommandSender(c, () -> "v1", metrics, after, new Random(7),
        System::nanoTime);
    senders.add(s);
    return s;
  }

  private void stop(CommandSender s) {
    CommandSender.await(s.closeAsync(false), s.closeBound());
    senders.remove(s);
  }

  static FindingsEvent event(String route) {
    return new FindingsEvent(Instant.parse("2026-12-07T12:00:00Z"), route, Direction.REQUEST,
        "0123456789abcdef", Map.of("credit_card", 1), Set.of("body"), List.of("observe"),
        List.of("cards"), null, null, false, false, null, 64);
  }

  private static void send(CommandSender s, String prefix, int n) {
    for (int i = 0; i < n; i++) {
      s.accept(event(prefix + i));
    }
  }

  private static Set<String> routes() {
    return plane.events().stream().map(e -> e.get("route").asText())
        .collect(Collectors.toSet());
  }

  private static Set<String> expected(String prefix, int n) {
    Set<String> out = new HashSet<>();
    for (int i = 0; i < n; i++) {
      out.add(prefix + i);
    }
    return out;
  }

  private double counter(String name, String reason) {
    Counter c = reason == null ? registry.find(name).counter()
        : registry.find(name).tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void batchesArriveGzippedAuthenticatedOverHttp2WithUniqueIds() {
    CommandSender s = start(settings(plane.url(), 10, 1 << 20));
    send(s, "r", 25);

    await().atMost(WAIT).until(() -> plane.events().size() == 25);
    assertThat(routes()).isEqualTo(expected("r", 25));
    assertThat(plane.attempts).allSatisfy(a -> {
      assertThat(a.authorization()).isEqualTo("Bearer " + CommandPlaneStub.TOKEN);
      assertThat(a.contentType()).startsWith("application/x-ndjson");
      assertThat(a.contentEncoding()).isEqualTo("gzip");
      assertThat(a.body()[0] & 0xff).isEqualTo(0x1f); // the gzip magic
      assertThat(a.body()[1] & 0xff).isEqualTo(0x8b);
      assertThat(a.proxyId()).isEqualTo("proxy-a");
      assertThat(a.configVersion()).isEqualTo("v1");
      assertThat(a.protocol()).isEqualTo(SessionProtocol.H2C);
      assertThat(a.status()).isEqualTo(202);
    });
    List<String> ids = plane.attempts.stream().map(CommandPlaneStub.Attempt::batchId).toList();
    assertThat(ids).doesNotHaveDuplicates().hasSizeGreaterThanOrEqualTo(3);
    JsonNode first = plane.events().get(0);
    assertThat(first.get("categories").get("credit_card").asInt()).isEqualTo(1);
    assertThat(first.get("identity_hash").asText()).isEqualTo("0123456789abcdef");
    await().atMost(WAIT).until(() -> counter("custos.command.events.sent", null) == 25);
    assertThat(registry.find("custos.command.last.success.age").gauge().value()).isNotNaN();
  }

  @Test
  void aRetriedBatchKeepsItsIdAndThePlaneStoresItOnce() {
    // The plane stores the first batch but its answer is a 503: the retry is a duplicate.
    plane.storeThenFail.set(1);
    // The five events make one full batch whatever the scheduling: the linger never cuts it first.
    CommandSender s = start(settings(plane.url(), 5, 1 << 20, Duration.ofMinutes(1)));
    send(s, "r", 5);

    await().atMost(WAIT).until(() -> plane.duplicates.get() == 1);
    assertThat(plane.stored).hasSize(1);
    assertThat(plane.events()).hasSize(5);
    List<String> ids = plane.attempts.stream().map(CommandPlaneStub.Attempt::batchId).toList();
    assertThat(ids).hasSize(2);
    assertThat(ids.get(1)).isEqualTo(ids.get(0));
    assertThat(counter("custos.command.send.failures", "overloaded")).isEqualTo(1);
    await().atMost(WAIT).until(() -> counter("custos.command.events.sent", null) == 5);
  }

  @Test
  void whileThePlaneIsDownBatchesAreSpooledAndLaterArriveExactlyOnce() {
    plane.mode = CommandPlaneStub.Mode.UNAVAILABLE;
    CommandSender s = start(settings(plane.url(), 7, 1 << 20));
    send(s, "a", 30);
    await().atMost(WAIT).until(() -> metrics.spoolEvents.get() == 30);
    assertThat(CommandPlaneStub.spooledBatches(dir.resolve("spool"))).isGreaterThanOrEqualTo(5);
    send(s, "b", 12);
    await().atMost(WAIT).until(() -> metrics.spoolEvents.get() == 42);

    plane.mode = CommandPlaneStub.Mode.ACCEPT;
    await().atMost(WAIT).until(() -> plane.events().size() == 42);
    Set<String> all = expected("a", 30);
    all.addAll(expected("b", 12));
    assertThat(routes()).isEqualTo(all);
    assertThat(plane.duplicates).hasValue(0);
    // Every retried batch kept its id: no more distinct ids than batches stored.
    assertThat(plane.attempts.stream().map(CommandPlaneStub.Attempt::batchId).distinct()
        .count()).isEqualTo(plane.stored.size());
    await().atMost(WAIT).until(() -> metrics.spoolEvents.get() == 0);
    assertThat(counter("custos.command.events.dropped", "spool_full")).isZero();
  }

  @Test
  void spooledBatchesSurviveARestartOfTheSender() {
    plane.mode = CommandPlaneStub.Mode.UNAVAILABLE;
    CommandSender first = start(settings(plane.url(), 4, 1 << 20));
    send(first, "r", 10);
    await().atMost(WAIT).until(() -> metrics.spoolEvents.get() == 10);
    send(first, "late", 3); // still in memory: closing spools them
    stop(first);
    assertThat(CommandPlaneStub.spooledBatches(dir.resolve("spool"))).isGreaterThanOrEqualTo(4);
    assertThat(plane.events()).isEmpty();

    plane.mode = CommandPlaneStub.Mode.ACCEPT;
    start(settings(plane.url(), 4, 1 << 20));
    await().atMost(WAIT).until(() -> plane.events().size() == 13);
    Set<String> all = expected("r", 10);
    all.addAll(expected("late", 3));
    assertThat(routes()).isEqualTo(all);
  }

  @Test
  void anUnknownTokenKeepsBatchesSpooledUntilThePlaneAcceptsIt() throws Exception {
    Files.writeString(dir.resolve("token"), "not-the-token");
    CommandSender s = start(settings(plane.url(), 5, 1 << 20));
    send(s, "r", 10);
    await().atMost(WAIT).until(() -> metrics.spoolEvents.get() == 10);
    assertThat(counter("custos.command.send.failures", "unauthorized")).isPositive();
    assertThat(plane.attempts).allSatisfy(a -> assertThat(a.status()).isEqualTo(401));

    // The token file is read at each send: a replaced token needs no restart.
    Files.writeString(dir.resolve("token"), CommandPlaneStub.TOKEN);
    await().atMost(WAIT).until(() -> plane.events().size() == 10);
    assertThat(routes()).isEqualTo(expected("r", 10));
  }

  @Test
  void aBatchThePlaneFindsTooLargeIsSplit() {
    plane.maxLines = 3;
    CommandSender s = start(settings(plane.url(), 10, 1 << 20));
    send(s, "r", 10);

    await().atMost(WAIT).until(() -> plane.events().size() == 10);
    assertThat(routes()).isEqualTo(expected("r", 10));
    assertThat(plane.stored.values()).allSatisfy(b -> assertThat(b).hasSizeLessThanOrEqualTo(3));
    assertThat(plane.attempts.stream().filter(a -> a.status() == 413)).isNotEmpty();
  }

  @Test
  void aRefusedBatchIsDroppedCountedAndNotRetried() {
    plane.mode = CommandPlaneStub.Mode.REJECT;
    CommandSender s = start(settings(plane.url(), 1000, 1 << 20));
    send(s, "r", 6);

    await().atMost(WAIT).until(() -> counter("custos.command.events.dropped", "rejected") == 6);
    plane.mode = CommandPlaneStub.Mode.ACCEPT;
    send(s, "after", 1);
    await().atMost(WAIT).until(() -> plane.events().size() == 1);
    List<CommandPlaneStub.Attempt> refused = plane.attempts.stream()
        .filter(a -> a.status() == 400).toList();
    assertThat(refused).isNotEmpty();
    // Never retried: each refused batch was tried once.
    assertThat(refused.stream().map(CommandPlaneStub.Attempt::batchId))
        .doesNotHaveDuplicates();
    assertThat(plane.attempts).hasSize(refused.size() + 1);
  }

  @Test
  void theSpoolBoundDropsTheOldestBatchesAndCountsTheirEvents() {
    plane.mode = CommandPlaneStub.Mode.UNAVAILABLE;
    long bound = ProxyConfig.Command.MIN_SPOOL_BYTES;
    CommandSender s = start(settings(plane.url(), 50, bound));
    // Random route names compress badly: a few hundred events fill 64 KiB of gzip.
    Random random = new Random(42);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      names.add(Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong()));
    }
    for (String n : names) {
      s.accept(event(n));
    }
    await().atMost(WAIT).until(() -> metrics.queued.get() == 0
        && counter("custos.command.events.dropped", "spool_full") > 0
        && metrics.spoolEvents.get() + counter("custos.command.events.dropped", "spool_full")
            == names.size());
    assertThat(metrics.spoolBytes.get()).isLessThanOrEqualTo(bound);

    plane.mode = CommandPlaneStub.Mode.ACCEPT;
    double dropped = counter("custos.command.events.dropped", "spool_full");
    await().atMost(WAIT).until(() -> plane.events().size() + dropped == names.size());
    // What survived is the newest: the last event sent arrived.
    assertThat(routes()).contains(names.get(names.size() - 1));
  }

  @Test
  void aPlaneThatCannotBeReachedIsCountedAndSpooled() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    CommandSender s = start(settings("http://127.0.0.1:" + port, 10, 1 << 20));
    send(s, "r", 3);
    await().atMost(WAIT).until(() -> metrics.spoolEvents.get() == 3);
    assertThat(counter("custos.command.send.failures", "io")).isPositive();
  }

  @Test
  void eventsPastTheQueueAreDroppedAndCounted() {
    ProxyConfig.Command c = new ProxyConfig.Command(URI.create(plane.url()), dir.resolve("token"),
        dir.resolve("spool"), "proxy-a", 10, 10, Duration.ofMillis(20), 1 << 20,
        Duration.ofSeconds(5), Duration.ofMillis(10), Duration.ofMillis(100),
        Duration.ofSeconds(5));
    // The sender's thread waits for a predecessor: nothing drains the queue meanwhile.
    CompletableFuture<List<Batch>> previous = new CompletableFuture<>();
    CommandSender s = start(c, previous);
    send(s, "r", 25);
    assertThat(counter("custos.command.events.dropped", "queue_full")).isEqualTo(15);

    previous.complete(List.of());
    await().atMost(WAIT).until(() -> plane.events().size() == 10);
  }

  @Test
  void aSuccessorTakesOverTheBatchesInMemoryAndClosingEndsTheThreads() {
    // Only this test's threads: another class's proxy may still be winding its sender down.
    Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
    plane.mode = CommandPlaneStub.Mode.UNAVAILABLE;
    CommandSender first = start(settings(plane.url(), 5, 1 << 20));
    send(first, "r", 5);
    CommandSender second = start(settings(plane.url(), 5, 1 << 20), first.closed());
    first.closeAsync(true);
    senders.remove(first);
    send(second, "s", 5);
    plane.mode = CommandPlaneStub.Mode.ACCEPT;
    await().atMost(WAIT).until(() -> plane.events().size() == 10);

    stop(second);
    await().atMost(WAIT).until(() -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.isAlive() && !before.contains(t)
            && t.getName().startsWith("custos-command")));
  }
}
