package dev.custos.proxy.internal.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.Backend;
import dev.custos.engine.Direction;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import dev.custos.proxy.BudgetStore;
import dev.custos.proxy.InspectionSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * How a WebSocket message is fragmented never changes what becomes of it: the same bytes go on
 * (redacted the same way), and the same messages are refused.
 */
class WebSocketMessageProperties {
  private static final EvidenceKey KEY = EvidenceKey.of(new byte[32]);
  private static final Scanner SCANNER =
      Scanner.builder(Policy.ofDefault()).backend(Backend.JAVA).evidenceKey(KEY).build();
  private static final List<String> CARDS =
      List.of("4111 1111 1111 1111", "5500000000000004", "3400-000000-00009");

  private static WebSocketInspection session(String action) {
    InspectionSettings settings = InspectionSettings.builder(SCANNER)
        .policy(Policy.parse("""
            version: 1
            rules:
              - { name: cards, match: { direction: request }, categories: [credit_card], action: %s }
            """.formatted(action), "test.yaml"))
        .route("ws")
        .meterRegistry(new SimpleMeterRegistry())
        .findingsSink(e -> { })
        .identityKey(KEY)
        .budgetStore(BudgetStore.inMemory())
        .build();
    return WebSocketInspection.of(InspectionPlan.of(settings), "caller", "example.test", "/ws");
  }

  /** What became of a message: refused, or the bytes that went on. */
  private record Outcome(boolean refused, String sent) {}

  private static Outcome run(WebSocketInspection ws, byte[] message, List<Integer> cuts) {
    List<byte[]> fragments = new ArrayList<>();
    int from = 0;
    for (int cut : new TreeSet<>(cuts)) {
      if (cut > from && cut < message.length) {
        fragments.add(java.util.Arrays.copyOfRange(message, from, cut));
        from = cut;
      }
    }
    fragments.add(java.util.Arrays.copyOfRange(message, from, message.length));
    WebSocketInspection.Message m = ws.message(Direction.REQUEST, true, fragments.get(0));
    ByteArrayOutputStream sent = new ByteArrayOutputStream();
    List<byte[]> out = new ArrayList<>();
    for (byte[] f : fragments) {
      if (!m.fragment(f, out)) {
        m.refused(false);
        return new Outcome(true, "");
      }
    }
    if (!m.end(out)) {
      m.refused(false);
      return new Outcome(true, "");
    }
    out.forEach(sent::writeBytes);
    return new Outcome(false, sent.toString(StandardCharsets.UTF_8));
  }

  @Provide
  Arbitrary<String> messages() {
    Arbitrary<String> words = Arbitraries.strings().withChars("abcdef xyz.,:").ofMaxLength(40);
    Arbitrary<String> card = Arbitraries.of(CARDS);
    Arbitrary<String> text = Combinators.combine(words, card, words, Arbitraries.of(true, false))
        .as((a, c, b, withCard) -> "note " + a + " " + (withCard ? c : "") + " " + b);
    return Arbitraries.oneOf(text,
        text.map(t -> "{\"msg\":\"" + t + "\",\"n\":[1,2]}"));
  }

  @Provide
  Arbitrary<List<Integer>> cuts() {
    return Arbitraries.integers().between(1, 120).list().ofMaxSize(12);
  }

  @Property(tries = 200, seed = "20261207")
  void fragmentationNeverChangesARedactedMessage(@ForAll("messages") String message,
      @ForAll("cuts") List<Integer> cuts) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    Outcome whole = run(session("redact"), bytes, List.of());
    Outcome fragmented = run(session("redact"), bytes, cuts);
    Statistics.collect(CARDS.stream().anyMatch(message::contains) ? "card" : "no card");
    assertThat(fragmented).isEqualTo(whole);
    assertThat(whole.refused()).isFalse();
    for (String c : CARDS) {
      assertThat(whole.sent()).doesNotContain(c);
    }
  }

  @Property(tries = 200, seed = "20261207")
  void fragmentationNeverChangesABlockDecision(@ForAll("messages") String message,
      @ForAll("cuts") List<Integer> cuts) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    Outcome whole = run(session("block"), bytes, List.of());
    Outcome fragmented = run(session("block"), bytes, cuts);
    boolean hasCard = CARDS.stream().anyMatch(message::contains);
    Statistics.collect(hasCard ? "card" : "no card");
    assertThat(fragmented).isEqualTo(whole);
    assertThat(whole.refused()).isEqualTo(hasCard);
    if (!hasCard) {
      assertThat(whole.sent()).isEqualTo(message);
    }
  }

  @Example
  void aJsonMessageStaysJsonWhenRedacted() throws Exception {
    Outcome o = run(session("redact"), "{\"card\":\"4111 1111 1111 1111\"}"
        .getBytes(StandardCharsets.UTF_8), List.of(3, 17));
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(o.sent())
        .get("card").asText()).doesNotContain("4111 1111 1111 1111");
  }
}
