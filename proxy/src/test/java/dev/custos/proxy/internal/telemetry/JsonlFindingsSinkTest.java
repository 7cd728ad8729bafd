package dev.custos.proxy.internal.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custos.engine.Direction;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.FindingsSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlFindingsSinkTest {
  @Test
  void eachEventIsOneJsonLineAndCloseFlushesThem(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("findings.jsonl");
    try (FindingsSink.Closeable sink = FindingsSink.jsonl(file)) {
      for (int i = 0; i < 3; i++) {
        sink.accept(new FindingsEvent(Instant.parse("2026-01-01T00:00:00Z"), "api",
            Direction.RESPONSE, "0123456789abcdef", Map.of("credit_card", 2, "email", 1),
            Set.of("body", "header:x-card"), List.of("redact"), List.of("cards \"out\""),
            i == 2 ? "cards \"out\"" : null, i == 2 ? "in_place" : null, false, false,
            null, 42));
      }
      assertThat(sink.dropped()).isZero();
    }

    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(3);
    JsonNode first = new ObjectMapper().readTree(lines.get(0));
    assertThat(first.get("route").asText()).isEqualTo("api");
    assertThat(first.get("direction").asText()).isEqualTo("response");
    assertThat(first.get("identity_hash").asText()).isEqualTo("0123456789abcdef");
    assertThat(first.get("categories").get("credit_card").asInt()).isEqualTo(2);
    assertThat(first.get("locations").toString()).isEqualTo("[\"body\",\"header:x-card\"]");
    assertThat(first.get("rules").get(0).asText()).isEqualTo("cards \"out\"");
    assertThat(first.has("blocked_by")).isFalse();
    JsonNode third = new ObjectMapper().readTree(lines.get(2));
    assertThat(third.get("stage").asText()).isEqualTo("in_place");
    assertThat(first.has("protocol")).as("http is the default, not written").isFalse();
  }

  @Test
  void aLayer4EventNamesItsProtocol(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("findings.jsonl");
    try (FindingsSink.Closeable sink = FindingsSink.jsonl(file)) {
      sink.accept(new FindingsEvent(Instant.parse("2026-01-01T00:00:00Z"), "syslog",
          Direction.REQUEST, "0123456789abcdef", Map.of("credit_card", 1), Set.of("$.message"),
          List.of("redact"), List.of("cards"), null, null, false, false, null, 120, "syslog"));
    }
    JsonNode line = new ObjectMapper().readTree(Files.readAllLines(file).get(0));
    assertThat(line.get("protocol").asText()).isEqualTo("syslog");
    assertThat(line.get("locations").toString()).isEqualTo("[\"$.message\"]");
    assertThat(line.has("paths")).as("written only when there are some").isFalse();
  }

  @Test
  void findingPathsAreWrittenInOrder(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("findings.jsonl");
    try (FindingsSink.Closeable sink = FindingsSink.jsonl(file)) {
      sink.accept(new FindingsEvent(Instant.parse("2026-01-01T00:00:00Z"), "grpc",
          Direction.REQUEST, "0123456789abcdef", Map.of("credit_card", 2), Set.of("body"),
          List.of("observe"), List.of("cards"), null, null, false, false, null, 64, "grpc",
          List.of("$[0].card.number", "$[1].accounts[*].card")));
    }
    JsonNode line = new ObjectMapper().readTree(Files.readAllLines(file).get(0));
    assertThat(line.get("paths").toString())
        .isEqualTo("[\"$[0].card.number\",\"$[1].accounts[*].card\"]");
  }

  @Test
  void distinctValuesAreWrittenAsEvidenceWithoutAnEmptyPreview(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("findings.jsonl");
    try (FindingsSink.Closeable sink = FindingsSink.jsonl(file)) {
      sink.accept(new FindingsEvent(Instant.parse("2026-01-01T00:00:00Z"), "api",
          Direction.RESPONSE, "0123456789abcdef", Map.of("credit_card", 2), Set.of("body"),
          List.of("observe"), List.of(), null, null, false, false, null, 42, "http", List.of(),
          List.of(new FindingsEvent.Value("credit_card", "00112233445566778899aabbccddeeff",
                  "************1111"),
              new FindingsEvent.Value("credit_card", "ffeeddccbbaa99887766554433221100", ""))));
    }
    JsonNode line = new ObjectMapper().readTree(Files.readAllLines(file).get(0));
    JsonNode evidence = line.get("evidence");
    assertThat(evidence).hasSize(2);
    assertThat(evidence.get(0).get("category").asText()).isEqualTo("credit_card");
    assertThat(evidence.get(0).get("hash").asText()).isEqualTo("00112233445566778899aabbccddeeff");
    assertThat(evidence.get(0).get("preview").asText()).isEqualTo("************1111");
    assertThat(evidence.get(1).has("preview")).isFalse();
  }
}
