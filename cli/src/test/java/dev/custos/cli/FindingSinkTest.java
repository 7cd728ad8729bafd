package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custos.engine.Confidence;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.Evidence;
import dev.custos.engine.Finding;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Pins the output formats with hand-made findings, independently of the detectors. */
class FindingSinkTest {
  private static final Source FILE = Source.file(Path.of("dir", "my file.json"));
  private static final Finding SSN =
      Finding.of("us_ssn", "us_ssn.dashed", 10, 21, "$.users[0].ssn", Confidence.HIGH, Evidence.of("***-**-1120", "0123456789abcdef0123456789abcdef"));
  private static final Finding EMAIL =
      Finding.of("email", "email.address", 40, 60, null, Confidence.LOW, Evidence.of("****************.com", "fedcba9876543210fedcba9876543210"));

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

  private String run(FindingSink sink) throws IOException {
    sink.begin();
    sink.finding(FILE, SSN, new LineIndex.Position(2, 7));
    sink.finding(Source.stdin(), EMAIL, null);
    sink.flush();
    sink.end();
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void textLinesShowPositionOrByteOffset() throws IOException {
    String out = run(new TextSink(new PrintStream(bytes, true, StandardCharsets.UTF_8), Progress.disabled(System.err)));
    assertThat(out)
        .isEqualTo(
            FILE.name() + ":2:7 us_ssn us_ssn.dashed high ***-**-1120 $.users[0].ssn\n"
                + "-:@40 email email.address low ****************.com\n");
  }

  @Test
  void jsonlWritesOneObjectPerLineWithTheContractKeys() throws IOException {
    List<String> lines = run(new JsonlSink(bytes)).lines().toList();
    assertThat(lines).hasSize(2);
    ObjectMapper mapper = new ObjectMapper();
    JsonNode first = mapper.readTree(lines.get(0));
    List<String> keys = new ArrayList<>();
    first.fieldNames().forEachRemaining(keys::add);
    assertThat(keys).containsExactly("file", "category", "detector", "start", "end", "path", "confidence", "preview", "hash");
    assertThat(lines.get(0))
        .isEqualTo(
            "{\"file\":\"" + FILE.name() + "\",\"category\":\"us_ssn\",\"detector\":\"us_ssn.dashed\",\"start\":10,"
                + "\"end\":21,\"path\":\"$.users[0].ssn\",\"confidence\":\"high\",\"preview\":\"***-**-1120\","
                + "\"hash\":\"0123456789abcdef0123456789abcdef\"}");
    assertThat(mapper.readTree(lines.get(1)).get("path").isNull()).isTrue();
    assertThat(mapper.readTree(lines.get(1)).get("file").asText()).isEqualTo("-");
  }

  @Test
  void sarifHasRulesResultsLevelsAndRegions() throws IOException {
    DetectorDefinition ssn = DetectorDefinition.builder("us_ssn.dashed", "us_ssn", "\\d{3}-\\d{2}-\\d{4}").description("US Social Security number").build();
    DetectorDefinition unused = DetectorDefinition.builder("x.unused", "x", "x").build();
    JsonNode log = new ObjectMapper().readTree(run(new SarifSink(bytes, Map.of(ssn.id(), ssn, unused.id(), unused), "1.2.3")));
    assertThat(log.get("version").asText()).isEqualTo("2.1.0");
    JsonNode run = log.at("/runs/0");
    assertThat(run.at("/tool/driver/name").asText()).isEqualTo("custos");
    assertThat(run.at("/tool/driver/version").asText()).isEqualTo("1.2.3");
    assertThat(run.at("/tool/driver/rules")).hasSize(1);
    assertThat(run.at("/tool/driver/rules/0/id").asText()).isEqualTo("us_ssn.dashed");
    assertThat(run.at("/tool/driver/rules/0/shortDescription/text").asText()).isEqualTo("US Social Security number");
    JsonNode first = run.at("/results/0");
    assertThat(first.get("ruleId").asText()).isEqualTo("us_ssn.dashed");
    assertThat(first.get("level").asText()).isEqualTo("error");
    assertThat(first.at("/message/text").asText()).isEqualTo("us_ssn found (***-**-1120)");
    JsonNode location = first.at("/locations/0/physicalLocation");
    assertThat(location.at("/artifactLocation/uri").asText()).isEqualTo("dir/my%20file.json");
    assertThat(location.at("/region/startLine").asInt()).isEqualTo(2);
    assertThat(location.at("/region/startColumn").asInt()).isEqualTo(7);
    assertThat(location.at("/region/byteOffset").asInt()).isEqualTo(10);
    assertThat(location.at("/region/byteLength").asInt()).isEqualTo(11);
    assertThat(first.at("/partialFingerprints/evidenceHash~1v1").asText()).isEqualTo(SSN.evidence().hash());
    JsonNode second = run.at("/results/1");
    assertThat(second.get("level").asText()).isEqualTo("note");
    assertThat(second.at("/locations/0/physicalLocation/region").has("startLine")).isFalse();
  }
}
