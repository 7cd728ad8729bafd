package dev.custos.engine;

import static dev.custos.engine.PolicyErrors.assertPosition;
import static dev.custos.engine.PolicyErrors.error;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Precision controls in a policy: rules' min_confidence (medium by default for block rules),
 * allowlists (global and per rule) and per-detector overrides, parsed with located errors and
 * applied by the scanner.
 */
class PrecisionControlsTest {
  private static final EvidenceKey KEY = EvidenceKey.of(new byte[32]);
  private static final String SSN = "078-05-1120";
  private static final String OTHER_SSN = "536-22-8147";
  /** Keeps only the built-in us_ssn detectors, so that compiling is quick. */
  private static final String ONLY_SSN = onlySsn();

  private static String onlySsn() {
    StringBuilder s = new StringBuilder("disable: [");
    String sep = "";
    for (DetectorDefinition d : Policy.ofDefault().detectors()) {
      if (!d.category().equals("us_ssn") && s.indexOf(" " + d.category() + ",") < 0
          && s.indexOf("[" + d.category() + ",") < 0) {
        s.append(sep).append(d.category());
        sep = ", ";
      }
    }
    return s.append("]\n").toString();
  }

  private static Finding finding(Confidence confidence, String hash, String path) {
    return Finding.of("us_ssn", "us_ssn.dashed", 0, 11, path, confidence,
        Evidence.of("*******20", hash));
  }

  @Test
  void blockRulesCoverMediumAndAboveByDefaultOthersEverything() {
    Policy p = Policy.parse("version: 1\nrules:\n"
        + "  - {name: b, action: block}\n"
        + "  - {name: o, action: observe}\n"
        + "  - {name: h, action: redact, min_confidence: high}\n"
        + "  - {name: l, action: block, min_confidence: low}\n", "p.yaml");
    assertThat(p.rules()).extracting(Rule::minConfidence).containsExactly(
        Confidence.MEDIUM, Confidence.LOW, Confidence.HIGH, Confidence.LOW);
    Finding low = finding(Confidence.LOW, "0".repeat(32), null);
    Finding medium = finding(Confidence.MEDIUM, "0".repeat(32), null);
    assertThat(p.rules().get(0).coversFinding(low)).isFalse();
    assertThat(p.rules().get(0).coversFinding(medium)).isTrue();
    assertThat(p.rules().get(1).coversFinding(low)).isTrue();
    assertThat(p.rules().get(2).coversFinding(medium)).isFalse();
    assertThat(p.rules().get(3).coversFinding(low)).isTrue();
  }

  @Test
  void unknownMinConfidenceIsLocated() {
    PolicyException e = error("version: 1\nrules:\n  - name: r\n    action: block\n    min_confidence: sure\n");
    assertPosition(e, 5, 21);
    assertThat(e.getMessage()).contains("p.yaml:5:21");
  }

  @Test
  void ruleAllowlistLeavesHashesAndPathsToOtherRules() {
    String hash = "ab".repeat(16);
    Policy p = Policy.parse("version: 1\nrules:\n  - name: r\n    action: redact\n"
        + "    allowlist: {hashes: ['" + hash.toUpperCase() + "'], paths: [test_ssn, '$.fixtures[0].ssn']}\n",
        "p.yaml");
    Rule r = p.rules().get(0);
    assertThat(r.coversFinding(finding(Confidence.HIGH, hash, null))).isFalse();
    assertThat(r.coversFinding(finding(Confidence.HIGH, "cd".repeat(16), "$.user.test_ssn"))).isFalse();
    assertThat(r.coversFinding(finding(Confidence.HIGH, "cd".repeat(16), "$.fixtures[0].ssn"))).isFalse();
    assertThat(r.coversFinding(finding(Confidence.HIGH, "cd".repeat(16), "$.user.ssn"))).isTrue();
  }

  @Test
  void ruleAllowlistPatternsLeaveMatchingValuesToOtherRules() {
    Policy p = Policy.parse("version: 1\n" + ONLY_SSN + "rules:\n"
        + "  - name: test numbers pass\n    action: block\n    min_confidence: low\n"
        + "    allowlist: {patterns: ['078-05-[0-9]{4}'], files: ['fixtures/**']}\n"
        + "  - name: everything observed\n    action: observe\n", "p.yaml");
    assertThat(p.rules().get(0).allowlist().patterns()).containsExactly("078-05-[0-9]{4}");
    assertThat(p.rules().get(0).allowlist().files()).containsExactly("fixtures/**");
    String text = "ssn " + SSN + " and ssn " + OTHER_SSN;
    try (Scanner scanner = Scanner.builder(p).backend(Backend.JAVA)
        .evidenceKey(EvidenceKey.of(new byte[32])).build()) {
      List<Finding> found = scanner.scan(text.getBytes(StandardCharsets.UTF_8), ContentType.TEXT).findings();
      assertThat(found).hasSize(2);
      Finding allowed = found.stream().filter(f -> f.start() == 4).findFirst().orElseThrow();
      Finding other = found.stream().filter(f -> f.start() != 4).findFirst().orElseThrow();
      assertThat(allowed.allowedByRules()).containsExactly("test numbers pass");
      assertThat(other.allowedByRules()).isEmpty();
      assertThat(p.rules().get(0).coversFinding(allowed)).isFalse();
      assertThat(p.rules().get(0).coversFinding(other)).isTrue();
      assertThat(p.rules().get(1).coversFinding(allowed)).isTrue();
      assertThat(allowed.toString()).doesNotContain("1120");
    }
  }

  @Test
  void aCustomDetectorChoosesTheRegionsOfNationalPhoneNumbers() {
    String yaml = "version: 1\n" + ONLY_SSN
        + "categories:\n  irish_phone:\n    description: Irish numbers\n    detectors:\n"
        + "      - {id: irish_phone.national, regex: '0[0-9]{1,3}[ -]?[0-9]{3,4}[ -]?[0-9]{3,4}',"
        + " keywords: [phone], validator: 'phone_number_national(IE)'}\n";
    byte[] text = "phone 01 234 5678, phone 020 7946 0958".getBytes(StandardCharsets.UTF_8);
    List<Finding> found = scan(yaml, text, ContentType.TEXT);
    assertThat(found).singleElement().satisfies(f -> {
      assertThat(f.detector()).isEqualTo("irish_phone.national");
      assertThat(f.qualifier()).isEqualTo("IE");
    });
    PolicyException bad = error(yaml.replace("national(IE)", "national(XX)"));
    assertThat(bad.getMessage()).contains("phone_number_national(XX)").contains("p.yaml:");
  }

  @Test
  void aCustomPatternWhoseMatchesCannotBeLocatedCheaplyIsRefusedAtItsLine() {
    // Colons allowed on both sides of the separating colon: the reverse automaton explodes.
    PolicyException e = error("version: 1\ncategories:\n  creds:\n    detectors:\n"
        + "      - regex: '-u [A-Za-z0-9:]{1,64}:[^ :]{0,2}[^ ]{3,128}'\n        max_length: 300\n");
    assertThat(e.line()).isEqualTo(5);
    assertThat(e.getMessage()).contains("locating a match's start needs more than");
    Policy fine = Policy.parse("version: 1\ncategories:\n  creds:\n    detectors:\n"
        + "      - regex: '-u [A-Za-z0-9]{1,64}:[^ :]{3,128}'\n", "p.yaml");
    assertThat(fine.detectors()).anySatisfy(d -> assertThat(d.category()).isEqualTo("creds"));
  }

  @Test
  void allowlistErrorsAreLocatedAndNeverEchoAPattern() {
    PolicyException badHash = error("version: 1\nallowlist:\n  hashes: ['" + SSN + "']\n");
    assertPosition(badHash, 3, 12);
    assertThat(badHash.getMessage()).doesNotContain(SSN);
    PolicyException badPattern = error("version: 1\nallowlist:\n  patterns: ['078-05-(1120']\n");
    assertPosition(badPattern, 3, 14);
    assertThat(badPattern.getMessage()).doesNotContain("1120");
    PolicyException rulePattern = error("version: 1\nrules:\n  - name: cards out\n    action: block\n"
        + "    allowlist:\n      patterns: ['x+', '078-05-(1120']\n");
    assertPosition(rulePattern, 6, 24);
    assertThat(rulePattern.getMessage()).contains("p.yaml:6:24").contains("rule 'cards out'")
        .doesNotContain("1120");
    PolicyException unknownKey = error("version: 1\nallowlist:\n  values: ['x']\n");
    assertPosition(unknownKey, 3, 3);
  }

  @Test
  void unknownOverrideIdIsAConfigErrorAtItsKey() {
    PolicyException e = error("version: 1\noverrides:\n  us_ssn.dashed: {confidence: low}\n"
        + "  no_such.detector: {disable: true}\n");
    assertPosition(e, 4, 3);
    assertThat(e.getMessage()).contains("unknown detector id 'no_such.detector'");
    PolicyException badKey = error("version: 1\noverrides:\n  us_ssn.dashed: {pattern: 'x'}\n");
    assertThat(badKey.line()).isEqualTo(3);
  }

  @Test
  void overridesChangeBuiltinAndCustomDetectors() {
    Policy p = Policy.parse("version: 1\n"
        + "categories:\n  employee_id:\n    detectors:\n      - {id: employee_id.main, regex: 'EMP-[0-9]{6}'}\n"
        + "overrides:\n"
        + "  us_ssn.dashed: {confidence: low, context: [social], keywords: [ssn]}\n"
        + "  employee_id.main: {confidence: high}\n"
        + "  email.address: {disable: true}\n", "p.yaml");
    DetectorDefinition ssn = p.detectors().stream().filter(d -> d.id().equals("us_ssn.dashed"))
        .findFirst().orElseThrow();
    assertThat(ssn.confidence()).isEqualTo(Confidence.LOW);
    assertThat(ssn.context()).containsExactly("social");
    assertThat(ssn.keywords()).containsExactly("ssn");
    assertThat(ssn.pattern()).isEqualTo(
        Policy.ofDefault().detectors().stream().filter(d -> d.id().equals("us_ssn.dashed"))
            .findFirst().orElseThrow().pattern());
    assertThat(p.detectors()).extracting(DetectorDefinition::id)
        .contains("employee_id.main").doesNotContain("email.address");
    assertThat(p.detectors().stream().filter(d -> d.id().equals("employee_id.main")).findFirst()
        .orElseThrow().confidence()).isEqualTo(Confidence.HIGH);
  }

  @Test
  void overrideOfAnUnknownIdInCodeIsRefused() {
    assertThatThrownBy(() -> Policy.builder()
        .override("nope.none", DetectorOverride.builder().disabled(true).build()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("overrides: nope.none (expected:");
  }

  @Test
  void globalAllowlistDropsFindingsByPatternPathAndHash() {
    String text = "ssn " + SSN + " and ssn " + OTHER_SSN;
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    List<Finding> all = scan("version: 1\n" + ONLY_SSN, bytes, ContentType.TEXT);
    assertThat(all).hasSize(2);
    String hash = all.get(0).evidence().hash();

    assertThat(scan("version: 1\n" + ONLY_SSN + "allowlist: {hashes: ['" + hash + "']}\n",
        bytes, ContentType.TEXT)).extracting(Finding::start).containsExactly(all.get(1).start());
    assertThat(scan("version: 1\n" + ONLY_SSN + "allowlist: {patterns: ['536-22-[0-9]{4}']}\n",
        bytes, ContentType.TEXT)).extracting(Finding::start).containsExactly(all.get(0).start());

    byte[] json = ("{\"fixture\": {\"ssn\": \"" + SSN + "\"}, \"ssn\": \"" + OTHER_SSN + "\"}")
        .getBytes(StandardCharsets.UTF_8);
    assertThat(scan("version: 1\n" + ONLY_SSN + "allowlist: {paths: ['$.fixture.ssn']}\n",
        json, ContentType.JSON)).extracting(Finding::jsonPath).containsExactly("$.ssn");
    assertThat(scan("version: 1\n" + ONLY_SSN + "allowlist: {paths: [ssn]}\n",
        json, ContentType.JSON)).isEmpty();
  }

  private static List<Finding> scan(String yaml, byte[] bytes, ContentType type) {
    try (Scanner s = Scanner.builder(Policy.parse(yaml, "p.yaml")).backend(Backend.JAVA)
        .evidenceKey(KEY).build()) {
      return s.scan(bytes, type).findings();
    }
  }
}
