package dev.custos.command.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custos.command.CommandConfig;
import dev.custos.command.Databases;
import dev.custos.command.TestEvents;
import dev.custos.command.internal.ingest.EventParser;
import dev.custos.command.internal.store.Batch;
import dev.custos.command.internal.store.Store;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Policy versions, diffs, rollouts and what each proxy runs, against SQLite and PostgreSQL. */
class PolicyStoreTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final long T0 = Instant.parse("2026-12-07T10:00:00Z").toEpochMilli();
  static final String V1 = "version: 1\nrules:\n  - { name: cards, categories: [credit_card],"
      + " action: observe }\n";
  static final String V2 = "version: 1\nrules:\n  - { name: cards, categories: [credit_card],"
      + " action: block }\n";

  @TempDir
  Path dir;

  private CommandConfig.Database db;
  private Store store;
  private PolicyStore policies;

  private PolicyStore open(Databases.Kind kind) {
    db = Databases.fresh(kind, dir);
    store = Store.open(db);
    policies = new PolicyStore(store.dataSource());
    return policies;
  }

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
    if (db != null) {
      Databases.drop(db);
    }
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void versionsCountUpWithAuthorsAndADiffAgainstThePreviousOne(Databases.Kind kind)
      throws Exception {
    PolicyStore p = open(kind);
    PolicyVersion first = p.addVersion("payments", V1, "observe cards", "alice", T0);
    PolicyVersion second = p.addVersion("payments", V2, "block them", "bob", T0 + 1000);
    p.addVersion("other", V1, "", "alice", T0 + 2000);

    assertThat(first.version()).isEqualTo(1);
    assertThat(first.diff()).isEmpty();
    assertThat(first.sha256()).matches("[0-9a-f]{64}");
    assertThat(second.version()).isEqualTo(2);
    assertThat(second.diff()).isEqualTo("""
        --- payments@1
        +++ payments@2
        @@ -1,3 +1,3 @@
         version: 1
         rules:
        -  - { name: cards, categories: [credit_card], action: observe }
        +  - { name: cards, categories: [credit_card], action: block }
        """);
    assertThat(p.versions("payments")).extracting(PolicyVersion::version, PolicyVersion::author,
        PolicyVersion::comment).containsExactly(
            org.assertj.core.groups.Tuple.tuple(2, "bob", "block them"),
            org.assertj.core.groups.Tuple.tuple(1, "alice", "observe cards"));
    assertThat(p.version("payments", 1)).contains(first);
    assertThat(p.version("payments", 3)).isEmpty();
    assertThat(p.policies()).extracting(s -> s.latest().label(), PolicyStore.Summary::versions)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("other@1", 1),
            org.assertj.core.groups.Tuple.tuple("payments@2", 2));
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void theSameBodyAgainIsRefused(Databases.Kind kind) throws Exception {
    PolicyStore p = open(kind);
    p.addVersion("payments", V1, "", "alice", T0);

    assertThatThrownBy(() -> p.addVersion("payments", V1, "", "alice", T0 + 1))
        .isInstanceOf(RequestProblem.class)
        .hasMessage("body: the same as version 1 of payments (expected: a changed policy)");
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void configurationsAndPoliciesAreVersionedAndRolledOutApart(Databases.Kind kind)
      throws Exception {
    PolicyStore p = open(kind);
    PolicyStore configs = new PolicyStore(store.dataSource(), DocumentKind.PROXY_CONFIG);
    p.addVersion("edge", V1, "", "alice", T0);
    PolicyVersion c1 = configs.addVersion("edge", "listen: 127.0.0.1:8080\n", "", "bob", T0);
    PolicyVersion c2 = configs.addVersion("edge", "listen: 127.0.0.1:8081\n", "", "bob", T0);
    // The same name in another kind counts its own versions.
    assertThat(c1.version()).isEqualTo(1);
    assertThat(c2.diff()).contains("-listen: 127.0.0.1:8080", "+listen: 127.0.0.1:8081");
    assertThat(p.versions("edge")).hasSize(1);
    assertThat(configs.policies()).extracting(s -> s.latest().label())
        .containsExactly("edge@2");

    Rollout policy = p.startRollout("edge", 1, List.of("*"), true, "alice", T0);
    Rollout canary = configs.startRollout("edge", 2, List.of("gw-1"), true, "bob", T0 + 1);
    assertThat(canary.kind()).isEqualTo(DocumentKind.PROXY_CONFIG);
    assertThat(p.assignment("gw-1")).get()
        .satisfies(a -> assertThat(a.rollout().id()).isEqualTo(policy.id()));
    assertThat(configs.assignment("gw-1")).get()
        .satisfies(a -> assertThat(a.version().body()).isEqualTo(c2.body()));
    assertThat(configs.assignment("gw-2")).isEmpty();
    assertThat(p.proxies()).isEmpty();
    p.reportPull("gw-1", "edge", "edge@2/edge@1", T0);
    p.reportPull("gw-2", "edge", "edge@1", T0);
    assertThat(p.proxies()).extracting(PolicyStore.ProxyRow::config)
        .containsExactly("edge@2", null);

    configs.promote(canary.id(), true, List.of("*"), "bob", T0 + 2);
    assertThat(configs.assignment("gw-2")).isPresent();
    // A rollout is promoted or aborted by its id whichever store is asked.
    assertThat(p.abort(canary.id(), "bob", T0 + 3).kind()).isEqualTo(DocumentKind.PROXY_CONFIG);
    assertThat(configs.assignment("gw-1")).isEmpty();
    assertThat(p.assignment("gw-1")).isPresent();
    assertThatThrownBy(() -> configs.startRollout("edge", 3, List.of("*"), true, "x", T0))
        .isInstanceOf(RequestProblem.class)
        .hasMessageStartingWith("config edge version 3: not stored (expected: a version of GET"
            + " /api/v1/configs/edge)");
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void eachProxyRunsTheNewestRolloutThatCoversItAndIsNotAborted(Databases.Kind kind)
      throws Exception {
    PolicyStore p = open(kind);
    p.addVersion("payments", V1, "", "alice", T0);
    p.addVersion("payments", V2, "", "alice", T0);
    assertThat(p.assignment("gw-1")).isEmpty();

    Rollout everyone = p.startRollout("payments", 1, List.of("*"), true, "alice", T0);
    Rollout canary = p.startRollout("payments", 2, List.of("gw-1"), false, "bob", T0 + 10);

    assertThat(canary.state()).isEqualTo(Rollout.State.SHADOW);
    assertThat(canary.id()).isGreaterThan(everyone.id());
    assertThat(p.assignment("gw-1")).get().satisfies(a -> {
      assertThat(a.rollout().id()).isEqualTo(canary.id());
      assertThat(a.version().label()).isEqualTo("payments@2");
      assertThat(a.rollout().enforce()).isFalse();
    });
    assertThat(p.assignment("gw-2")).get()
        .satisfies(a -> assertThat(a.version().label()).isEqualTo("payments@1"));

    Rollout promoted = p.promote(canary.id(), true, List.of("*"), "carol", T0 + 20);
    assertThat(promoted.state()).isEqualTo(Rollout.State.PROMOTED);
    assertThat(promoted.shadowUntilMillis()).isEqualTo(T0 + 20);
    assertThat(p.assignment("gw-2")).get().satisfies(a -> {
      assertThat(a.version().label()).isEqualTo("payments@2");
      assertThat(a.rollout().enforce()).isTrue();
    });

    long before = p.rolloutsRevision();
    p.abort(canary.id(), "carol", T0 + 30);
    assertThat(p.rolloutsRevision()).isNotEqualTo(before);
    assertThat(p.assignment("gw-1")).get()
        .satisfies(a -> assertThat(a.rollout().id()).isEqualTo(everyone.id()));
    assertThat(p.rollout(canary.id())).get().satisfies(r -> {
      assertThat(r.state()).isEqualTo(Rollout.State.ABORTED);
      assertThat(r.updatedBy()).isEqualTo("carol");
      assertThat(r.createdBy()).isEqualTo("bob");
    });
    assertThatThrownBy(() -> p.promote(canary.id(), true, null, "carol", T0 + 40))
        .isInstanceOf(RequestProblem.class).hasMessageContaining("aborted");
    assertThatThrownBy(() -> p.startRollout("payments", 9, List.of("*"), true, "x", T0))
        .isInstanceOf(RequestProblem.class)
        .hasMessageStartingWith("policy payments version 9: not stored");
    assertThat(p.rollouts(10)).extracting(Rollout::id)
        .containsExactly(canary.id(), everyone.id());
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void pullsAreRecordedAndEachProxyShowsWhatItShouldRun(Databases.Kind kind) throws Exception {
    PolicyStore p = open(kind);
    p.addVersion("payments", V1, "", "alice", T0);
    Rollout r = p.startRollout("payments", 1, List.of("gw-1"), false, "alice", T0);
    p.reportPull("gw-1", "edge", "payments@1+shadow", T0 + 5);
    p.reportPull("gw-2", "edge", "local", T0 + 6);

    assertThat(p.proxies()).extracting(PolicyStore.ProxyRow::proxyId,
        PolicyStore.ProxyRow::configVersion, PolicyStore.ProxyRow::policy).containsExactly(
            org.assertj.core.groups.Tuple.tuple("gw-1", "payments@1+shadow",
                "payments@1+shadow"),
            org.assertj.core.groups.Tuple.tuple("gw-2", "local", null));
    assertThat(p.runningVersions(r)).containsExactly(Map.entry("gw-1", "payments@1+shadow"));
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void aRolloutCoversOnlyTheProxyIdsItListsLetterForLetter(Databases.Kind kind)
      throws Exception {
    PolicyStore p = open(kind);
    p.addVersion("payments", V1, "", "alice", T0);
    p.addVersion("payments", V2, "", "alice", T0);
    Rollout everyone = p.startRollout("payments", 1, List.of("*"), true, "alice", T0);
    Rollout listed = p.startRollout("payments", 2, List.of("gw_1", "eu:gw-10", "a.b", "gw-9"),
        true, "alice", T0);

    for (String id : List.of("gw_1", "eu:gw-10", "a.b", "gw-9")) {
      assertThat(p.assignment(id)).get().extracting(a -> a.rollout().id()).isEqualTo(listed.id());
    }
    // Not in the list: neither a LIKE wildcard's match nor a part or an extension of an entry.
    for (String id : List.of("gw-1", "gwx1", "gw", "gw_", "gw_10", "eu:gw-1", "gw-10", "a", "axb",
        "gw_9", "gw%", "%", "_", "*")) {
      assertThat(p.assignment(id)).as(id).get().extracting(a -> a.rollout().id())
          .isEqualTo(everyone.id());
    }
    p.abort(everyone.id(), "alice", T0);
    assertThat(p.assignment("gw-1")).isEmpty();
    assertThat(p.assignment("gw_1")).isPresent();
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void wouldHaveBlockedCountsTheShadowEventsOfTheRolloutsVersionWhileItWasShadow(
      Databases.Kind kind) throws Exception {
    PolicyStore p = open(kind);
    p.addVersion("payments", V2, "", "alice", T0);
    Rollout r = p.startRollout("payments", 1, List.of("gw-1", "gw-3"), false, "alice", T0);
    String shadow = "payments@1+shadow";
    ingest("gw-1", shadow, event(T0 - 1000, true, "cards"));     // before the rollout
    ingest("gw-1", shadow, event(T0 + 1000, true, "cards"), event(T0 + 2000, true, "cards"),
        event(T0 + 2500, true, "on_uninspectable"), event(T0 + 3000, false, null));
    // A proxy running a pulled configuration reports it before its policy.
    ingest("gw-3", "edge@2/" + shadow, event(T0 + 1500, true, "cards"));
    // Another version's shadow events, even from a covered proxy, are not this rollout's.
    ingest("gw-1", "payments@2+shadow", event(T0 + 1000, true, "cards"));
    ingest("gw-2", "0011223344556677", event(T0 + 1000, true, "cards"));
    ingest("gw-2", "xpayments@1+shadow", event(T0 + 1000, true, "cards"));

    PolicyStore.WouldHaveBlocked w = p.wouldHaveBlocked(r);
    assertThat(w.events()).isEqualTo(4);
    assertThat(w.byRule()).containsExactly(Map.entry("cards", 3L),
        Map.entry("on_uninspectable", 1L));

    Rollout promoted = p.promote(r.id(), true, null, "bob", T0 + 2200);
    assertThat(p.wouldHaveBlocked(promoted).byRule()).containsExactly(Map.entry("cards", 3L));
    Rollout enforcing = p.startRollout("payments", 1, List.of("*"), true, "bob", T0);
    assertThat(p.wouldHaveBlocked(enforcing).events()).isZero();

    // A page of rollouts is counted with one query, each as it is alone.
    Rollout everywhere = p.startRollout("payments", 1, List.of("*"), false, "bob", T0);
    assertThat(p.wouldHaveBlocked(List.of(promoted, enforcing, everywhere)))
        .containsExactly(Map.entry(promoted.id(), p.wouldHaveBlocked(promoted)),
            Map.entry(enforcing.id(), new PolicyStore.WouldHaveBlocked(0, Map.of())),
            Map.entry(everywhere.id(), new PolicyStore.WouldHaveBlocked(4,
                Map.of("cards", 3L, "on_uninspectable", 1L))));
  }

  private static String event(long time, boolean shadow, String blockedBy) throws Exception {
    ObjectNode o = (ObjectNode) JSON.readTree(TestEvents.line(Instant.ofEpochMilli(time), "api",
        "", "request", "00112233445566778899aabbccddeeff", Map.of("credit_card", 1),
        List.of(shadow ? "would_block" : "block"), List.of()));
    o.put("shadow", shadow);
    if (blockedBy != null) {
      o.put("blocked_by", blockedBy);
    }
    return o.toString();
  }

  private void ingest(String proxy, String version, String... lines) throws Exception {
    List<String> list = new ArrayList<>(List.of(lines));
    store.ingest(new Batch(UUID.randomUUID().toString(), proxy, "edge", version, T0,
        EventParser.parse(TestEvents.body(list))));
  }
}
