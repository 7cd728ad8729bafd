package dev.custos.command.internal.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.command.TestEvents;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Combinators;
import org.junit.jupiter.api.Test;

class EventParserTest {
  static final Instant T0 = Instant.parse("2026-12-07T10:15:30Z");

  @Test
  void aProxySinkLineIsReadAndUnknownFieldsIgnored() throws Exception {
    String line = "{\"time\":\"2026-12-07T10:15:30.123Z\",\"route\":\"orders\",\"protocol\":\"grpc\","
        + "\"direction\":\"request\",\"identity_hash\":\"0123456789abcdef\","
        + "\"categories\":{\"credit_card\":2,\"email\":0},\"locations\":[\"body\"],"
        + "\"actions\":[\"observe\",\"block\"],\"rules\":[\"r\"],\"blocked_by\":\"r\","
        + "\"stage\":\"before_upstream\",\"alert\":true,\"shadow\":false,"
        + "\"inspected_bytes\":77,\"future_field\":{\"x\":[1,2]}}";

    List<IngestEvent> events = EventParser.parse(line.getBytes(StandardCharsets.UTF_8));

    assertThat(events).hasSize(1);
    IngestEvent e = events.get(0);
    assertThat(e.timeMillis()).isEqualTo(Instant.parse("2026-12-07T10:15:30.123Z").toEpochMilli());
    assertThat(e.protocol()).isEqualTo("grpc");
    assertThat(e.categories()).isEqualTo(Map.of("credit_card", 2));
    assertThat(e.action()).isEqualTo("block");
    assertThat(e.blockedBy()).isEqualTo("r");
    assertThat(e.alert()).isTrue();
    assertThat(e.cluster()).isEmpty();
    assertThat(e.evidence()).isEmpty();
    assertThat(e.findings()).isEqualTo(2);
  }

  @Test
  void aServiceShapedLikeAValueRefusesTheLineWithoutEchoingIt() throws Exception {
    String ok = "{\"time\":\"2026-12-07T10:15:30Z\",\"route\":\"orders\","
        + "\"cluster\":\"canary\",\"service\":\"payments/billing-api\","
        + "\"direction\":\"request\",\"identity_hash\":\"0123456789abcdef\"}";
    IngestEvent e = EventParser.parse(ok.getBytes(StandardCharsets.UTF_8)).get(0);
    assertThat(e.cluster()).isEqualTo("canary");
    assertThat(e.service()).isEqualTo("payments/billing-api");

    for (String bad : List.of("payments/4111111111111111", "jane.doe@example.com",
        "a b", "a/b/c/d/e")) {
      byte[] line = ok.replace("payments/billing-api", bad).getBytes(StandardCharsets.UTF_8);
      assertThatThrownBy(() -> EventParser.parse(line))
          .isInstanceOf(MalformedBatchException.class)
          .hasMessageContaining("line 1: service")
          .hasMessageNotContaining(bad);
    }
  }

  @Test
  void blankLinesAndCrlfAreSkipped() throws Exception {
    String a = TestEvents.line(T0, "a", "", "request", "id", Map.of("email", 1), List.of(),
        List.of());
    byte[] body = ("\r\n" + a + "\r\n\n  \n" + a).getBytes(StandardCharsets.UTF_8);

    assertThat(EventParser.parse(body)).hasSize(2);
  }

  @Test
  void anUnmaskedPreviewRefusesTheLine() {
    String line = TestEvents.line(T0, "a", "", "request", "id", Map.of("credit_card", 1),
        List.of(), List.of(new TestEvents.Value("credit_card", "00112233445566778899aabbccddeeff",
            "4111111111111111")));

    assertThatThrownBy(() -> EventParser.parse(line.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedBatchException.class)
        .hasMessage("line 1: evidence[0].preview: not a masked preview (expected: stars and at"
            + " most 4 other characters)")
        .hasMessageNotContaining("4111");
  }

  @Test
  void previewsAreMaskedWhenAtMostFourCharactersShow() {
    assertThat(EventParser.masked("************1111")).isTrue();
    assertThat(EventParser.masked("*****")).isTrue();
    assertThat(EventParser.masked("*****12345")).isFalse();
    assertThat(EventParser.masked("1111")).isFalse();
  }

  @Test
  void missingRequiredFieldsNameTheField() {
    assertThatThrownBy(() -> EventParser.parse("{\"route\":\"a\"}".getBytes(StandardCharsets.UTF_8)))
        .hasMessageStartingWith("line 1: time: missing");
    assertThatThrownBy(() -> EventParser.parse("[1]".getBytes(StandardCharsets.UTF_8)))
        .hasMessageStartingWith("line 1: not a JSON object");
  }

  @Provide
  Arbitrary<String> lines() {
    Arbitrary<String> names = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1)
        .ofMaxLength(12);
    Arbitrary<Integer> counts = Arbitraries.integers().between(1, 50);
    return Combinators.combine(names, names, Arbitraries.of("request", "response"), counts,
        Arbitraries.integers().between(0, 100_000),
        Arbitraries.of("observe", "redact", "block", "alert"))
        .as((route, identity, direction, count, n, action) -> TestEvents.line(
            T0.plusSeconds(n), route, "", direction, identity, Map.of("credit_card", count),
            List.of(action), List.of(TestEvents.card(n))));
  }

  @Property(seed = "13")
  void whatTheSinkWritesIsReadBack(@ForAll("lines") String line) throws Exception {
    IngestEvent e = EventParser.parse(line.getBytes(StandardCharsets.UTF_8)).get(0);

    assertThat(TestEvents.line(Instant.ofEpochMilli(e.timeMillis()), e.route(), e.cluster(),
        e.direction(), e.identityHash(), e.categories(), List.of(e.action()),
        e.evidence().stream().map(v -> new TestEvents.Value(v.category(), v.hash(), v.preview()))
            .toList())).isEqualTo(line);
  }

  @Property(seed = "17")
  void anyBytesAreEventsOrARefusalNeverAnotherException(@ForAll byte[] body) {
    try {
      EventParser.parse(body);
    } catch (MalformedBatchException e) {
      assertThat(e.getMessage()).startsWith("line ");
    }
  }
}
