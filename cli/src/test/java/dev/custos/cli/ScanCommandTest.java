package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScanCommandTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String SSN = "078-05-1120";
  private static final String CARD = "4111111111111111";
  private static final String CARD_SPACED = "4111 1111 1111 1111";
  private static final String EMAIL = "jane.doe@example.com";

  @TempDir Path dir;
  @TempDir Path policyDir;
  private Path policy;

  @BeforeEach
  void writePolicy() throws IOException {
    policy = TestPolicies.ssnCardEmail(policyDir);
  }

  /** Runs scan with the small test policy. */
  private Cli.Result scan(String... args) {
    return Cli.scan(policy, args);
  }

  private Path write(String name, String content) throws IOException {
    return Cli.write(dir, name, content);
  }

  private Path apiResponse() throws IOException {
    return write(
        "api.json",
        "{\"users\": [{\"name\": \"Jane\", \"ssn\": \"" + SSN + "\", \"email\": \"" + EMAIL + "\",\n"
            + "  \"card\": \"" + CARD + "\"}]}\n");
  }

  @Test
  void cleanFileExitsZero() throws IOException {
    Path file = write("clean.txt", "nothing to see here\n");
    Cli.Result r = scan(file.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(0);
    assertThat(r.out()).isEmpty();
  }

  @Test
  void findingsExitOne() throws IOException {
    Path file = write("ticket.txt", "customer ssn " + SSN + " please help\n");
    Cli.Result r = Cli.run("scan", file.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    assertThat(r.out()).contains("us_ssn");
  }

  @Test
  void textFormatShowsLineAndColumn() throws IOException {
    Path file = write("ticket.txt", "first line\n  ssn: " + SSN + "\n");
    Cli.Result r = scan(file.toString());
    assertThat(r.out()).startsWith(file + ":2:8 us_ssn us_ssn.");
  }

  @Test
  void jsonlHasExactlyTheSpecifiedKeysInOrder() throws IOException {
    Path file = apiResponse();
    Cli.Result r = scan("--format", "jsonl", file.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(3);
    Set<String> categories = new TreeSet<>();
    for (String line : lines) {
      JsonNode node = MAPPER.readTree(line);
      List<String> keys = new ArrayList<>();
      node.fieldNames().forEachRemaining(keys::add);
      assertThat(keys)
          .containsExactly("file", "category", "detector", "start", "end", "path", "confidence", "preview", "hash");
      assertThat(node.get("file").asText()).isEqualTo(file.toString());
      assertThat(node.get("start").isIntegralNumber()).isTrue();
      assertThat(node.get("end").asLong()).isGreaterThan(node.get("start").asLong());
      assertThat(node.get("confidence").asText()).isIn("high", "medium", "low");
      assertThat(node.get("hash").asText()).matches("[0-9a-f]{32}");
      categories.add(node.get("category").asText());
    }
    assertThat(categories).containsExactly("credit_card", "email", "us_ssn");
    JsonNode ssn =
        lines.stream().map(ScanCommandTest::parse).filter(n -> n.get("category").asText().equals("us_ssn")).findFirst().orElseThrow();
    assertThat(ssn.get("path").asText()).isEqualTo("$.users[0].ssn");
    String content = Files.readString(file);
    assertThat(ssn.get("start").asInt()).isEqualTo(content.indexOf(SSN));
    assertThat(ssn.get("end").asInt()).isEqualTo(content.indexOf(SSN) + SSN.length());
  }

  @Test
  void jsonlPathIsNullForText() throws IOException {
    Path file = write("ticket.txt", "ssn " + SSN + "\n");
    Cli.Result r = scan("--format", "jsonl", file.toString());
    JsonNode node = parse(r.out().lines().findFirst().orElseThrow());
    assertThat(node.get("path").isNull()).isTrue();
  }

  @Test
  void sarifIsVersion210WithRulesForTheDetectorsThatFired() throws IOException {
    Path file = apiResponse();
    Cli.Result r = scan("--format", "sarif", file.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    JsonNode log = MAPPER.readTree(r.out());
    assertThat(log.get("version").asText()).isEqualTo("2.1.0");
    assertThat(log.get("runs")).hasSize(1);
    JsonNode run = log.get("runs").get(0);
    assertThat(run.at("/tool/driver/name").asText()).isEqualTo("custos");
    Set<String> ruleIds = new TreeSet<>();
    for (JsonNode result : run.get("results")) {
      ruleIds.add(result.get("ruleId").asText());
      assertThat(result.get("level").asText()).isIn("error", "warning", "note");
      assertThat(result.at("/message/text").asText()).contains(" found (");
      JsonNode location = result.at("/locations/0/physicalLocation");
      assertThat(location.at("/artifactLocation/uri").asText()).endsWith("api.json");
      assertThat(location.at("/region/byteLength").asInt()).isPositive();
      assertThat(location.at("/region/startLine").asInt()).isPositive();
      assertThat(result.at("/partialFingerprints").size()).isEqualTo(1);
    }
    assertThat(ruleIds).contains("us_ssn.dashed", "credit_card.pan", "email.address");
    Set<String> rules = new TreeSet<>();
    run.at("/tool/driver/rules").forEach(rule -> {
      rules.add(rule.get("id").asText());
      assertThat(rule.at("/shortDescription/text").asText()).isNotEmpty();
    });
    assertThat(rules).isEqualTo(ruleIds);
  }

  @Test
  void sarifOfCleanFileHasNoResults() throws IOException {
    Path file = write("clean.txt", "nothing\n");
    Cli.Result r = scan("--format", "sarif", file.toString());
    assertThat(r.code()).isEqualTo(0);
    JsonNode log = MAPPER.readTree(r.out());
    assertThat(log.at("/runs/0/results")).isEmpty();
    assertThat(log.at("/runs/0/tool/driver/rules")).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"text", "jsonl", "sarif"})
  void rawValuesNeverAppearInOutput(String format) throws IOException {
    Path file = apiResponse();
    write("log.txt", "user " + EMAIL + " paid with " + CARD_SPACED + ", ssn " + SSN + "\n");
    Cli.Result r = Cli.run("scan", "--verbose", "--format", format, dir.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    assertThat(r.all()).doesNotContain(SSN, CARD, CARD_SPACED, EMAIL, "0780511120");
    assertThat(file).exists();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mask", "partial", "hash"})
  void redactedOutputHoldsNoPlantedValue(String style) throws IOException {
    Path file = apiResponse();
    Cli.Result r = scan("--redact", style, file.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    assertThat(r.all()).doesNotContain(SSN, CARD, EMAIL);
    assertThat(r.out()).contains("\"users\"");
    assertThat(r.err()).contains(" findings in 1 file");
    if (!style.equals("hash")) {
      assertThat(r.outBytes()).hasSize((int) Files.size(file));
    }
    MAPPER.readTree(r.out());
  }

  @Test
  void redactConcatenatesFilesInOrder() throws IOException {
    write("a.txt", "first ssn " + SSN + "\n");
    write("b.txt", "second\n");
    Cli.Result r = scan("--redact", "mask", dir.toString());
    assertThat(r.out()).isEqualTo("first ssn ***-**-****\nsecond\n");
  }

  @Test
  void directoriesAreScannedRecursivelyInSortedOrder() throws IOException {
    write("b/deep/x.txt", "ssn " + SSN + "\n");
    write("a.txt", "ssn " + SSN + "\n");
    write("c.txt", "nothing\n");
    Cli.Result r = scan("--format", "jsonl", dir.toString());
    assertThat(r.code()).isEqualTo(1);
    List<String> files = r.out().lines().map(l -> parse(l).get("file").asText()).toList();
    assertThat(files)
        .containsExactly(dir.resolve("a.txt").toString(), dir.resolve("b/deep/x.txt").toString());
  }

  @Test
  void backendsReportTheSameFindings() throws IOException {
    Path file = apiResponse();
    write("log.txt", "user " + EMAIL + " paid with " + CARD_SPACED + ", ssn " + SSN + "\n");
    Cli.Result java = scan("--engine", "java", "--format", "jsonl", dir.toString());
    Cli.Result hyperscan = scan("--engine", "hyperscan", "--format", "jsonl", dir.toString());
    assumeTrue(hyperscan.code() != 2, "Hyperscan does not load here: " + hyperscan.err());
    assertThat(java.code()).isEqualTo(1);
    assertThat(withoutHashes(hyperscan.out())).isEqualTo(withoutHashes(java.out()));
    assertThat(file).exists();
  }

  private static String withoutHashes(String jsonl) {
    return jsonl.replaceAll("\"hash\":\"[0-9a-f]+\"", "");
  }

  @Test
  void stdinIsScannedAsDash() {
    byte[] input = ("{\"ssn\": \"" + SSN + "\"}\n").getBytes(StandardCharsets.UTF_8);
    Cli.Result r = Cli.runWithStdin(input, "scan", "--format", "jsonl", "-");
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    JsonNode node = parse(r.out().lines().findFirst().orElseThrow());
    assertThat(node.get("file").asText()).isEqualTo("-");
    assertThat(node.get("path").asText()).isEqualTo("$.ssn");
  }

  @Test
  void contentTypeOptionOverridesTheGuess() throws IOException {
    Path file = write("data.txt", "{\"ssn\": \"" + SSN + "\"}\n");
    Cli.Result r = scan("--format", "jsonl", "--content-type", "application/json", file.toString());
    assertThat(parse(r.out().lines().findFirst().orElseThrow()).get("path").asText()).isEqualTo("$.ssn");
  }

  @Test
  void contentTypeFormDecodesFormBodies() throws IOException {
    String ssn = SSN.replace("-", "%2D");
    Path file = write("body.txt", "name=Jane&ssn=" + ssn + "&card=4111+1111+1111+1111\n");
    Cli.Result r = scan("--format", "jsonl", "--content-type", "form", file.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    List<JsonNode> findings = new ArrayList<>();
    for (String line : r.out().lines().toList()) {
      findings.add(parse(line));
    }
    assertThat(findings).extracting(n -> n.get("path").asText()).containsExactly("$.ssn", "$.card");
    assertThat(findings.get(0).get("start").asInt()).isEqualTo("name=Jane&ssn=".length());
    assertThat(findings.get(0).get("end").asInt()).isEqualTo("name=Jane&ssn=".length() + ssn.length());
    Cli.Result masked =
        scan("--redact", "mask", "--content-type", "application/x-www-form-urlencoded", file.toString());
    assertThat(masked.out()).isEqualTo("name=Jane&ssn=***%2D**%2D****&card=****+****+****+****\n");
  }

  @Test
  void missingFileWarnsAndExitsTwoAfterScanningTheRest() throws IOException {
    Path file = write("ticket.txt", "ssn " + SSN + "\n");
    Cli.Result r = scan(dir.resolve("nope.txt").toString(), file.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out()).contains("us_ssn");
    assertThat(r.err()).contains("custos: warning: " + dir.resolve("nope.txt") + ": no such file or directory");
  }

  @Test
  void usageErrorIsOneLineWithoutStackTrace() {
    Cli.Result r = Cli.run("scan", "--format", "xml", "x");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).startsWith("custos: ").contains("--format").doesNotContain("Exception", "\tat ");
  }

  @Test
  void unknownOptionIsAUsageError() {
    Cli.Result r = Cli.run("scan", "--bogus", "x");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).contains("--bogus");
  }

  @Test
  void badEngineAndRedactStyleAreUsageErrors() {
    assertThat(Cli.run("scan", "--engine", "regex", "x").err()).contains("engine: regex (expected: auto, java or hyperscan)");
    assertThat(Cli.run("scan", "--redact", "blur", "x").code()).isEqualTo(2);
    assertThat(Cli.run("scan", "--redact", "mask", "--format", "jsonl", "x").code()).isEqualTo(2);
    assertThat(Cli.run("scan").code()).isEqualTo(2);
  }

  @Test
  void badPolicyIsAConfigurationErrorOnOneLine() throws IOException {
    Path policy = write("policy.yaml", "version: 1\nbogus: true\n");
    Path file = write("ticket.txt", "nothing\n");
    Cli.Result r = Cli.run("scan", "--policy", policy.toString(), file.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).startsWith("custos: " + policy).doesNotContain("\tat ");
  }

  @Test
  void verboseShowsStackTraceOfConfigurationErrors() throws IOException {
    Path policy = write("policy.yaml", "version: 1\nbogus: true\n");
    Cli.Result r = Cli.run("scan", "--verbose", "--policy", policy.toString(), policy.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("PolicyException", "\tat ");
  }

  @Test
  void verboseSaysWhetherTheCompiledCachesWereUsed() throws IOException {
    Path file = write("note.txt", "nothing to find here\n");
    Cli.Result r = Cli.run("scan", "--verbose", "--engine", "java", file.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(0);
    assertThat(r.err()).containsPattern(
        "automata of (\\d+) of \\1 detectors from the compiled-detector cache");
  }

  @Test
  void helpAndVersionExitZero() {
    Cli.Result help = Cli.run("scan", "--help");
    assertThat(help.code()).isEqualTo(0);
    assertThat(help.out()).contains("Usage: custos scan", "--redact", "--format");
    Cli.Result version = Cli.run("--version");
    assertThat(version.code()).isEqualTo(0);
    assertThat(version.out().strip()).matches("custos \\d+\\.\\d+\\.\\d+.*").doesNotContain("${");
  }

  private static JsonNode parse(String line) {
    try {
      return MAPPER.readTree(line);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + line.length() + " chars", e);
    }
  }
}
