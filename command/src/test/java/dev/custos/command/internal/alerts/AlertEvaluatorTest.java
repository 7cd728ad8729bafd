package dev.custos.command.internal.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custos.command.AlertsConfig;
import dev.custos.command.CommandConfig;
import dev.custos.command.Databases;
import dev.custos.command.MutableClock;
import dev.custos.command.TestEvents;
import dev.custos.command.internal.ingest.EventParser;
import dev.custos.command.internal.store.Batch;
import dev.custos.command.internal.store.Store;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The rules over real flow data (stored by the ingest path's {@link Store}), evaluated on a
 * clock the test moves, notifying a real webhook server; against SQLite and PostgreSQL.
 */
class AlertEvaluatorTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Instant T0 = Instant.parse("2026-12-07T10:15:30Z");
  static final String ALICE = "id-alice";
  static final String BOB = "id-bob";

  @TempDir
  Path dir;

  private CommandConfig.Database db;
  private Store store;
  private AlertStore alerts;
  private final WebhookReceiver hook = new WebhookReceiver();
  private final MutableClock clock = new MutableClock(T0);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<AlertEvaluator> evaluators = new ArrayList<>();

  private void open(Databases.Kind kind) {
    db = Databases.fresh(kind, dir);
    store = Store.open(db);
    alerts = new AlertStore(store.dataSource());
  }

  @AfterEach
  void close() {
    evaluators.forEach(AlertEvaluator::close);
    hook.close();
    if (store != null) {
      store.close();
    }
    if (db != null) {
      Databases.drop(db);
    }
  }

  private AlertEvaluator evaluator(int maxAttempts, AlertsConfig.Rule... rules)
      throws Exception {
    AlertsConfig config = new AlertsConfig(Duration.ofHours(1),
        List.of(hook.webhook("secops", dir.resolve("secops.url"), maxAttempts)), List.of(rules));
    AlertEvaluator e = new AlertEvaluator(alerts, config, CommandConfig.Retention.DEFAULT, clock,
        registry);
    evaluators.add(e);
    return e;
  }

  static AlertsConfig.Rule distinctValues(long threshold) {
    return new AlertsConfig.Rule("card-hoarder", AlertsConfig.Kind.DISTINCT_VALUES,
        Duration.ofHours(1), Duration.ZERO, threshold, 0, 0, AlertsConfig.GroupBy.ALL,
        "credit_card", "", "", List.of());
  }

  private void ingest(String proxy, List<String> lines) throws Exception {
    store.ingest(new Batch(UUID.randomUUID().toString(), proxy, "edge", "v1", clock.millis(),
        EventParser.parse(TestEvents.body(lines))));
  }

  static String event(Instant t, String route, String identity, Map<String, Integer> categories,
      String action, TestEvents.Value... values) {
    return TestEvents.line(t, route, "payments", "response", identity, categories,
        List.of(action), List.of(values));
  }

  /** Cards numbered from..to-1, each once, pulled by {@code identity}. */
  private void pullCards(String identity, int from, int to) throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = from; i < to; i++) {
      lines.add(event(clock.instant().minusSeconds(60), "orders", identity,
          Map.of("credit_card", 1), "redact", TestEvents.card(i)));
      // The same value again: counted once.
      lines.add(event(clock.instant().minusSeconds(30), "orders", identity,
          Map.of("credit_card", 1), "redact", TestEvents.card(i)));
    }
    ingest("gw-1", lines);
  }

  private List<JsonNode> received() throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String b : hook.bodies()) {
      out.add(JSON.readTree(b));
    }
    return out;
  }

  private double counter(String name, String kind) {
    var c = registry.find(name).tag("kind", kind).counter();
    return c == null ? 0 : c.count();
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void distinctValuesFiresAtTheThresholdAndNotOneBelow(Databases.Kind kind) throws Exception {
    open(kind);
    pullCards(ALICE, 0, 5);
    pullCards(BOB, 100, 104);

    Map<String, Long> run = evaluator(3, distinctValues(5)).runOnce();

    assertThat(run.get("fired")).isEqualTo(1);
    assertThat(run.get("sent")).isEqualTo(1);
    List<JsonNode> bodies = received();
    assertThat(bodies).hasSize(1);
    JsonNode body = bodies.get(0);
    assertThat(body.get("text").asText()).startsWith("[FIRING] card-hoarder (distinct_values):")
        .contains("identity " + ALICE + " pulled 5 distinct credit_card values within 1h"
            + " (threshold 5)");
    assertThat(body.get("blocks").get(0).get("type").asText()).isEqualTo("section");
    assertThat(body.get("blocks").get(0).get("text").get("type").asText()).isEqualTo("mrkdwn");
    String raw = body.toString();
    for (int i = 0; i < 5; i++) {
      assertThat(raw).doesNotContain(TestEvents.card(i).hash())
          .doesNotContain(TestEvents.card(i).preview());
    }
    List<Alert> stored = alerts.alerts("firing", 10);
    assertThat(stored).singleElement().satisfies(a -> {
      assertThat(a.subject()).containsExactly(Map.entry("identity_hash", ALICE),
          Map.entry("category", "credit_card"));
      assertThat(a.value()).isEqualTo(5);
      assertThat(a.notification()).isEqualTo("sent");
    });
    assertThat(counter("custos_command_alerts_fired", "distinct_values")).isEqualTo(1);
    assertThat(counter("custos_command_alerts_sent", "distinct_values")).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void aFiringAlertIsNotifiedOnceAndResolvesWhenTheConditionClears(Databases.Kind kind)
      throws Exception {
    open(kind);
    AlertEvaluator e = evaluator(3, distinctValues(3));
    pullCards(ALICE, 0, 3);

    assertThat(e.runOnce().get("fired")).isEqualTo(1);
    clock.advance(Duration.ofMinutes(5));
    pullCards(ALICE, 3, 6);
    Map<String, Long> again = e.runOnce();

    assertThat(again.get("fired")).isZero();
    assertThat(hook.bodies()).hasSize(1);
    assertThat(alerts.alerts(null, 10)).singleElement()
        .satisfies(a -> assertThat(a.value()).isEqualTo(6));

    // The next hour counts afresh: the condition cleared.
    clock.advance(Duration.ofHours(1));
    Map<String, Long> later = e.runOnce();

    assertThat(later.get("resolved")).isEqualTo(1);
    assertThat(received()).hasSize(2);
    assertThat(received().get(1).get("text").asText()).startsWith("[RESOLVED] card-hoarder");
    assertThat(alerts.alerts("resolved", 10)).singleElement().satisfies(a ->
        assertThat(a.resolvedMillis()).isEqualTo(clock.millis()));
    assertThat(e.runOnce().values()).allMatch(n -> n == 0);
    assertThat(hook.bodies()).hasSize(2);
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void anAlertFiringAgainWithinItsWindowIsNotNotifiedAgain(Databases.Kind kind)
      throws Exception {
    open(kind);
    clock.advance(Duration.between(T0, Instant.parse("2026-12-07T10:19:00Z")));
    AlertsConfig.Rule rule = new AlertsConfig.Rule("blocks", AlertsConfig.Kind.BLOCKED_SPIKE,
        Duration.ofMinutes(10), Duration.ZERO, 3, 0, 3, AlertsConfig.GroupBy.ROUTE, "", "", "",
        List.of());
    AlertEvaluator e = evaluator(3, rule);
    ingest("gw-1", List.of(blocked("login", 0), blocked("login", 0), blocked("login", 0)));

    clock.advance(Duration.ofSeconds(61)); // 10:20:01, the window of 10:20
    assertThat(e.runOnce().get("fired")).isEqualTo(1);
    clock.advance(Duration.ofSeconds(9 * 60 + 29)); // 10:29:30: the blocks left the window
    assertThat(e.runOnce().get("resolved")).isEqualTo(1);
    ingest("gw-1", List.of(blocked("login", 0), blocked("login", 0), blocked("login", 0)));
    clock.advance(Duration.ofSeconds(10)); // 10:29:40, still the window of 10:20
    Map<String, Long> flap = e.runOnce();

    assertThat(flap.get("fired")).isZero();
    assertThat(alerts.alerts("firing", 10)).hasSize(1);
    assertThat(received()).extracting(b -> b.get("text").asText().substring(0, 10))
        .containsExactly("[FIRING] b", "[RESOLVED]");
  }

  /** A blocked request on {@code route}, {@code secondsAgo} before the clock. */
  private String blocked(String route, int secondsAgo) {
    return event(clock.instant().minusSeconds(secondsAgo), route, ALICE,
        Map.of("credit_card", 1), "block");
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void blockedSpikeFiresOnASpikeAndNotOnASteadyRate(Databases.Kind kind) throws Exception {
    open(kind);
    AlertsConfig.Rule rule = new AlertsConfig.Rule("block-spike",
        AlertsConfig.Kind.BLOCKED_SPIKE, Duration.ofMinutes(5), Duration.ZERO, 5, 3, 3,
        AlertsConfig.GroupBy.ROUTE, "", "", "", List.of());
    List<String> lines = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      // orders: a steady 6 blocks in each window; login: 1 per window before, 12 now.
      for (int i = 0; i < 6; i++) {
        lines.add(blocked("orders", w * 300 + 10 + i));
      }
      for (int i = 0; i < (w == 0 ? 12 : 1); i++) {
        lines.add(blocked("login", w * 300 + 20 + i));
      }
    }
    for (int i = 0; i < 4; i++) {
      lines.add(blocked("search", 30 + i)); // below the threshold
    }
    for (int i = 0; i < 20; i++) {
      lines.add(blocked("shadowy", 40 + i).replace("\"shadow\":false", "\"shadow\":true"));
      lines.add(event(clock.instant().minusSeconds(40 + i), "redacting", ALICE,
          Map.of("credit_card", 1), "redact"));
    }
    ingest("gw-1", lines);

    Map<String, Long> run = evaluator(3, rule).runOnce();

    assertThat(run.get("fired")).isEqualTo(1);
    assertThat(alerts.alerts("firing", 10)).singleElement().satisfies(a -> {
      assertThat(a.subject()).containsExactly(Map.entry("route", "login"));
      assertThat(a.value()).isEqualTo(12);
      assertThat(a.details()).containsEntry("baseline_average", 1.0);
    });
    assertThat(received().get(0).get("text").asText()).contains("12 blocked requests on route"
        + " login within 5m (threshold 5, more than 3.0 times the average 1.0 of the 3 windows"
        + " before)");
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void newCategoryOnEdgeFiresForANewCategoryAndNotForAnOldOne(Databases.Kind kind)
      throws Exception {
    open(kind);
    // Two days ago: alice received cards through orders.
    clock.advance(Duration.ofDays(-2));
    ingest("gw-1", List.of(event(clock.instant(), "orders", ALICE, Map.of("credit_card", 1),
        "redact")));
    clock.advance(Duration.ofDays(2));
    Instant now = clock.instant();
    ingest("gw-1", List.of(
        // 40 minutes ago (an hour bucket before the window) and 12 minutes ago (a minute
        // bucket between the hour and the window): not new in the window.
        event(now.minus(Duration.ofMinutes(40)), "orders", ALICE, Map.of("email", 1), "observe"),
        event(now.minus(Duration.ofMinutes(12)), "orders", ALICE, Map.of("phone", 1), "observe"),
        event(now.minusSeconds(30), "orders", ALICE, Map.of("credit_card", 2, "email", 1,
            "phone", 1, "us_ssn", 1), "redact"),
        event(now.minusSeconds(20), "refunds", ALICE, Map.of("credit_card", 1), "redact")));
    AlertsConfig.Rule rule = new AlertsConfig.Rule("new-flow",
        AlertsConfig.Kind.NEW_CATEGORY_ON_EDGE, Duration.ofMinutes(10), Duration.ofDays(7), 0, 0,
        0, AlertsConfig.GroupBy.ALL, "", "", "", List.of());

    Map<String, Long> run = evaluator(3, rule).runOnce();

    assertThat(run.get("fired")).isEqualTo(2);
    assertThat(alerts.alerts("firing", 10)).extracting(a -> a.subject().get("route") + "/"
        + a.subject().get("category")).containsExactlyInAnyOrder("orders/us_ssn",
        "refunds/credit_card");
    assertThat(alerts.alerts("firing", 10).get(0).subject()).containsOnlyKeys("proxy_id",
        "route", "cluster", "identity_hash", "category");
    assertThat(received()).extracting(b -> b.get("text").asText()).anySatisfy(t ->
        assertThat(t).contains("category us_ssn newly seen on route orders of proxy gw-1"
            + " (cluster payments) for identity " + ALICE + ": 1 findings within 10m, none in"
            + " the 7d before"));
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void aSilencedAlertIsRecordedButNotNotified(Databases.Kind kind) throws Exception {
    open(kind);
    pullCards(ALICE, 0, 3);
    pullCards(BOB, 10, 13);
    alerts.addSilence(new Silence(UUID.randomUUID().toString(), "card-hoarder", "", "", BOB,
        clock.millis() - 1, clock.millis() + 3_600_000, "oncall", clock.millis(),
        "bob is the batch job"));
    // An expired silence for alice changes nothing.
    alerts.addSilence(new Silence(UUID.randomUUID().toString(), "", "credit_card", "", ALICE,
        clock.millis() - 7_200_000, clock.millis() - 1, "oncall", clock.millis(), "old"));

    Map<String, Long> run = evaluator(3, distinctValues(3)).runOnce();

    assertThat(run.get("fired")).isEqualTo(2);
    assertThat(run.get("silenced")).isEqualTo(1);
    assertThat(received()).singleElement().satisfies(b ->
        assertThat(b.get("text").asText()).contains(ALICE).doesNotContain(BOB));
    assertThat(alerts.alerts("firing", 10)).extracting(a -> a.subject().get("identity_hash")
        + ":" + a.notification()).containsExactlyInAnyOrder(ALICE + ":sent",
        BOB + ":silenced");
    assertThat(counter("custos_command_alerts_silenced", "distinct_values")).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void aWebhookThatKeepsFailingIsRetriedThenCountedFailed(Databases.Kind kind)
      throws Exception {
    open(kind);
    hook.answer(503);
    pullCards(ALICE, 0, 3);

    Map<String, Long> run = evaluator(3, distinctValues(3)).runOnce();

    assertThat(run.get("failed")).isEqualTo(1);
    assertThat(hook.attempts()).isEqualTo(3);
    assertThat(counter("custos_command_alerts_failed", "distinct_values")).isEqualTo(1);
    assertThat(registry.find("custos_command_alert_webhook_retries").tag("webhook", "secops")
        .counter().count()).isEqualTo(2);
    assertThat(alerts.alerts("firing", 10)).singleElement()
        .satisfies(a -> assertThat(a.notification()).isEqualTo("failed"));
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void aWebhookAnswering404IsNotRetried(Databases.Kind kind) throws Exception {
    open(kind);
    hook.answer(404);
    pullCards(ALICE, 0, 3);

    assertThat(evaluator(3, distinctValues(3)).runOnce().get("failed")).isEqualTo(1);
    assertThat(hook.attempts()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void twoEvaluatorsOnOneDatabaseNotifyOnce(Databases.Kind kind) throws Exception {
    open(kind);
    pullCards(ALICE, 0, 3);
    AlertEvaluator first = evaluator(3, distinctValues(3));
    AlertEvaluator second = evaluator(3, distinctValues(3));

    Map<String, Long> a = first.runOnce();
    Map<String, Long> b = second.runOnce();

    assertThat(a.get("fired") + b.get("fired")).isEqualTo(1);
    assertThat(hook.bodies()).hasSize(1);
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void blockedSpikeCountsAllOrPerProxyAndFiltersByCategory(Databases.Kind kind)
      throws Exception {
    open(kind);
    List<String> cards = new ArrayList<>();
    List<String> mails = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      cards.add(blocked("orders", 10 + i));
      cards.add(blocked("login", 20 + i));
      mails.add(event(clock.instant().minusSeconds(30 + i), "orders", ALICE,
          Map.of("email", 1), "block"));
      // A category whose id differs by the characters LIKE would take as wildcards.
      mails.add(event(clock.instant().minusSeconds(40 + i), "orders", ALICE,
          Map.of("credit0card", 1), "block"));
    }
    ingest("gw-1", cards);
    ingest("gw-2", mails);
    AlertsConfig.Rule all = new AlertsConfig.Rule("all", AlertsConfig.Kind.BLOCKED_SPIKE,
        Duration.ofMinutes(5), Duration.ZERO, 12, 0, 3, AlertsConfig.GroupBy.ALL, "", "", "",
        List.of());
    AlertsConfig.Rule perProxy = new AlertsConfig.Rule("per-proxy",
        AlertsConfig.Kind.BLOCKED_SPIKE, Duration.ofMinutes(5), Duration.ZERO, 6, 0, 3,
        AlertsConfig.GroupBy.PROXY, "", "", "", List.of());
    AlertsConfig.Rule cardsOnly = new AlertsConfig.Rule("cards", AlertsConfig.Kind.BLOCKED_SPIKE,
        Duration.ofMinutes(5), Duration.ZERO, 4, 0, 3, AlertsConfig.GroupBy.ALL, "credit_card",
        "", "", List.of());
    AlertsConfig.Rule cardsOnLogin = new AlertsConfig.Rule("cards-login",
        AlertsConfig.Kind.BLOCKED_SPIKE, Duration.ofMinutes(5), Duration.ZERO, 4, 0, 3,
        AlertsConfig.GroupBy.ROUTE, "credit_card", "login", "gw-1", List.of());

    evaluator(3, all, perProxy, cardsOnly, cardsOnLogin).runOnce();

    assertThat(alerts.alerts("firing", 10)).extracting(a -> a.ruleId() + " " + a.subject()
        + " " + a.value()).containsExactlyInAnyOrder(
            "all {scope=all} 12",
            "per-proxy {proxy_id=gw-1} 6",
            "per-proxy {proxy_id=gw-2} 6",
            "cards {scope=all, category=credit_card} 6");
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void rulesCreatedThroughTheApiAreEvaluatedToo(Databases.Kind kind) throws Exception {
    open(kind);
    pullCards(ALICE, 0, 2);
    AlertsConfig.Rule two = new AlertsConfig.Rule("api-rule", AlertsConfig.Kind.DISTINCT_VALUES,
        Duration.ofHours(2), Duration.ZERO, 2, 0, 0, AlertsConfig.GroupBy.ALL, "", "", "",
        List.of("secops"));
    assertThat(alerts.addRule(new StoredRule(two, "api", "oncall", clock.millis(), "why")))
        .isTrue();
    assertThat(alerts.addRule(new StoredRule(two, "api", "oncall", clock.millis(), "again")))
        .isFalse();

    AlertEvaluator e = evaluator(3);
    assertThat(e.rules()).singleElement().satisfies(r -> assertThat(r.rule()).isEqualTo(two));
    assertThat(e.runOnce().get("sent")).isEqualTo(1);
    assertThat(alerts.deleteRule("api-rule")).isTrue();
    assertThat(e.rules()).isEmpty();
  }
}
