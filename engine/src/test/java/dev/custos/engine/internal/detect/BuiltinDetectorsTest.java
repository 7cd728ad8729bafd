package dev.custos.engine.internal.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.internal.pattern.PatternNode;
import dev.custos.engine.internal.pattern.PatternParser;
import dk.brics.automaton.RunAutomaton;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BuiltinDetectorsTest {

  /** The category ids are a public contract: adding is fine, renaming or removing is not. */
  static final List<String> CATEGORY_IDS =
      List.of(
          "email", "phone_number", "ip_address", "mac_address", "url_credentials", "date_of_birth",
          "street_address", "iban", "credit_card", "crypto_wallet", "us_ssn", "us_itin",
          "us_passport", "us_driver_license", "us_bank_routing", "us_bank_account", "us_npi",
          "us_dea", "us_mbi", "us_ein", "uk_nino", "uk_nhs", "uk_passport", "es_nif", "es_nie",
          "it_fiscal_code", "pl_pesel", "se_personnummer", "fi_personal_identity_code", "nl_bsn",
          "ca_sin", "au_tfn", "au_abn", "au_acn", "au_medicare", "in_pan", "in_aadhaar", "sg_nric",
          "kr_rrn", "br_cpf", "imei", "aws_access_key_id", "aws_secret_access_key", "gcp_api_key",
          "gcp_service_account_key", "azure_storage_key", "github_token", "gitlab_token",
          "slack_token", "slack_webhook_url", "stripe_key", "twilio_key", "sendgrid_key",
          "npm_token", "pypi_token", "openai_api_key", "anthropic_api_key", "jwt", "private_key",
          "password_hash", "generic_secret", "stack_trace");

  /** The validator names the engine registers; a detector may only name one of these. */
  static final Set<String> VALIDATOR_NAMES =
      Set.of(
          "luhn", "credit_card", "iban", "us_ssn", "us_itin", "aba_routing", "us_npi", "us_dea",
          "us_mbi", "us_ein", "uk_nino", "uk_nhs", "es_nif", "es_nie", "it_fiscal_code",
          "pl_pesel", "se_personnummer", "fi_hetu", "nl_bsn", "ca_sin", "au_tfn", "au_abn",
          "au_acn", "au_medicare", "in_aadhaar", "in_pan", "sg_nric", "kr_rrn", "br_cpf", "imei",
          "bitcoin_address", "ethereum_address", "date", "ipv4", "jwt", "private_key",
          "gcp_service_account_key", "mac_address", "not_repeated");

  static Stream<Arguments> detectors() {
    return BuiltinDetectors.all().stream().map(d -> Arguments.of(d.id(), d));
  }

  @Test
  void everyContractCategoryIsDeclaredInOrder() {
    assertThat(BuiltinDetectors.categories().keySet()).containsExactlyElementsOf(CATEGORY_IDS);
    assertThat(BuiltinDetectors.categories().values()).allSatisfy(d -> assertThat(d).isNotBlank());
  }

  @Test
  void everyCategoryHasADetector() {
    Set<String> covered = new HashSet<>();
    BuiltinDetectors.all().forEach(d -> covered.add(d.category()));
    assertThat(covered).containsExactlyInAnyOrderElementsOf(CATEGORY_IDS);
    assertThat(BuiltinDetectors.all()).hasSizeGreaterThanOrEqualTo(70);
  }

  @Test
  void idsAreUniqueAndNamedAfterTheirCategory() {
    Set<String> ids = new HashSet<>();
    for (DetectorDefinition d : BuiltinDetectors.all()) {
      assertThat(ids.add(d.id())).as("unique id %s", d.id()).isTrue();
      assertThat(d.id()).matches(d.category() + "\\.[a-z0-9_]+");
      assertThat(BuiltinDetectors.byId(d.id())).isSameAs(d);
    }
    assertThat(BuiltinDetectors.byId("no_such.detector")).isNull();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("detectors")
  void patternParsesAndIsBounded(String id, DetectorDefinition d) {
    PatternNode node = PatternParser.parse(d.pattern());
    assertThat(node.maxLength() > 0 || d.maxLength() > 0)
        .as("%s: a finite pattern or max_length", id)
        .isTrue();
    d.excludePatterns().forEach(PatternParser::parse);
    assertThat(d.description()).isNotBlank();
    if (d.validator() != null) {
      assertThat(VALIDATOR_NAMES).as("%s: validator", id).contains(d.validator());
    }
    assertThat(d.examples()).as("%s: examples", id).isNotEmpty();
    assertThat(d.counterExamples()).as("%s: counter_examples", id).isNotEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("detectors")
  void everyExampleContainsAFullPatternMatch(String id, DetectorDefinition d) {
    RunAutomaton automaton = new RunAutomaton(PatternParser.parse(d.pattern()).toAutomaton());
    for (String example : d.examples()) {
      String s = ReferenceMatcher.bytes(example);
      boolean found = false;
      for (int i = 0; i < s.length() && !found; i++) {
        for (int j = i + 1; j <= s.length() && !found; j++) {
          found = automaton.run(s.substring(i, j));
        }
      }
      assertThat(found).as("%s: a substring of example %s matches", id, example).isTrue();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("detectors")
  void everyExampleSurvivesBoundariesKeywordsExclusionsAndEntropy(String id, DetectorDefinition d) {
    ReferenceMatcher matcher = new ReferenceMatcher(d);
    for (String example : d.examples()) {
      assertThat(matcher.findings(example)).as("%s: example %s", id, example).isNotEmpty();
    }
  }

  /**
   * Counter-examples must not be found by any detector of the same category. Without the
   * validators and the credential value rules, only detectors that use neither can be checked
   * here; the end-to-end test checks the rest.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("detectors")
  void counterExamplesAreNotFoundWhereNoValidatorIsInvolved(String id, DetectorDefinition d) {
    for (DetectorDefinition other : BuiltinDetectors.all()) {
      // Validators and the credential value rules (secret, key_value) run only in the scanner.
      if (!other.category().equals(d.category()) || other.validator() != null || other.secret()
          || other.keyValue()) {
        continue;
      }
      ReferenceMatcher matcher = new ReferenceMatcher(other);
      for (String counter : d.counterExamples()) {
        assertThat(matcher.findings(counter))
            .as("%s: counter-example %s found by %s", id, counter, other.id())
            .isEmpty();
      }
    }
  }
}
