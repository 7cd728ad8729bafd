package dev.custos.engine.internal.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.internal.pattern.ByteDfa;
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
          "kr_rrn", "br_cpf", "imei",
          "de_tax_id", "de_id_card", "de_vat_id", "fr_nir", "fr_passport",
          "fr_vat_id", "it_vat_number", "it_passport", "it_driving_licence", "es_passport",
          "be_national_number", "dk_cpr", "no_fodselsnummer", "at_social_security", "ch_ahv",
          "pt_nif", "pt_citizen_card", "ie_ppsn", "se_orgnr", "uk_driving_licence",
          "uk_postcode", "tr_tc_kimlik", "za_id_number", "ng_nin", "ng_bvn",
          "ng_vehicle_plate", "in_gstin", "in_voter_id", "in_passport", "kr_passport",
          "kr_driver_license", "kr_brn", "ph_tin", "ph_umid", "ph_psn",
          "ph_passport", "sg_uen", "th_national_id", "cn_resident_id", "jp_my_number",
          "hk_hkid", "tw_national_id", "il_teudat_zehut", "nz_ird", "mx_curp",
          "mx_rfc", "cl_rut", "ar_cuit",
          "aws_access_key_id", "aws_secret_access_key",
          "aws_session_token", "azure_ad_client_secret", "azure_sas_token", "azure_storage_key",
          "azure_cosmosdb_key", "azure_service_bus_key", "azure_devops_token", "gcp_api_key",
          "gcp_service_account_key", "gcp_oauth_client_secret", "google_oauth_token",
          "alibaba_access_key", "tencent_cloud_key", "ibm_cloud_api_key", "digitalocean_token",
          "linode_token", "heroku_api_key", "cloudflare_api_token", "fastly_api_token",
          "vercel_token", "netlify_token", "scaleway_key", "yandex_cloud_key", "hetzner_token",
          "vultr_api_key", "backblaze_key", "akamai_edgegrid_token", "github_token",
          "gitlab_token", "bitbucket_token", "atlassian_api_token", "trello_token",
          "circleci_token", "travis_ci_token", "buildkite_token", "terraform_cloud_token",
          "pulumi_token", "doppler_token", "vault_token", "jenkins_token", "octopus_deploy_key",
          "harness_token", "sonarqube_token", "snyk_token", "postman_api_key", "sourcegraph_token",
          "prefect_api_key", "readme_api_key", "scalingo_token", "infracost_api_key",
          "flyio_token", "render_api_key", "railway_token", "ngrok_token", "tailscale_key",
          "frameio_token", "launchdarkly_key", "age_secret_key", "npm_token", "pypi_token",
          "rubygems_api_key", "nuget_api_key", "docker_hub_token", "crates_io_token",
          "artifactory_token", "clojars_token", "slack_token", "slack_webhook_url",
          "discord_token", "discord_webhook_url", "telegram_bot_token", "twilio_key",
          "sendgrid_key", "mailgun_key", "mailchimp_api_key", "postmark_token", "brevo_api_key",
          "mattermost_token", "microsoft_teams_webhook", "zapier_webhook_url", "stripe_key",
          "square_token", "paypal_braintree_token", "adyen_api_key", "shopify_token",
          "flutterwave_key", "razorpay_key", "plaid_token", "duffel_token", "gocardless_token",
          "easypost_api_key", "shippo_token", "datadog_api_key", "new_relic_key", "sentry_token",
          "grafana_token", "dynatrace_token", "honeycomb_key", "splunk_token", "pagerduty_key",
          "lightstep_token", "rollbar_token", "bugsnag_key", "sumo_logic_key", "axiom_token",
          "posthog_api_key", "opsgenie_api_key", "openai_api_key", "anthropic_api_key",
          "hugging_face_token", "cohere_api_key", "replicate_api_token", "groq_api_key",
          "perplexity_api_key", "mistral_api_key", "xai_api_key", "deepseek_api_key",
          "openrouter_api_key", "langsmith_api_key", "elevenlabs_api_key", "pinecone_api_key",
          "mongodb_atlas_api_key", "planetscale_token", "supabase_key", "databricks_token",
          "snowflake_credentials", "airtable_token", "notion_token", "contentful_token",
          "algolia_api_key", "firebase_key", "neon_api_key", "confluent_key", "okta_token",
          "auth0_client_secret", "onepassword_token", "clerk_secret_key", "keycloak_client_secret",
          "asana_token", "linear_api_key", "figma_token", "dropbox_token", "zendesk_token",
          "intercom_token", "hubspot_token", "twitch_token", "twitter_token",
          "facebook_access_token", "linkedin_token", "mapbox_token", "typeform_token",
          "salesforce_token", "clickup_token", "adafruit_io_key", "riot_games_api_key",
          "rapidapi_key", "sidekiq_credentials", "deepgram_api_key", "assemblyai_api_key",
          "together_api_key", "fireworks_api_key", "gitea_token", "codecov_token",
          "cypress_record_key", "browserstack_access_key", "saucelabs_access_key", "pusher_secret",
          "ably_api_key", "segment_write_key", "mixpanel_secret", "amplitude_secret",
          "vonage_api_secret", "lob_api_key", "infisical_token", "mailersend_api_key",
          "resend_api_key", "bitly_token", "curl_credentials", "package_manager_credentials",
          "jwt", "private_key", "password_hash", "generic_secret", "stack_trace");

  /** The validator names the engine registers; a detector may only name one of these. */
  static final Set<String> VALIDATOR_NAMES =
      Set.of(
          "luhn", "credit_card", "iban", "us_ssn", "us_itin", "aba_routing", "us_npi", "us_dea",
          "us_mbi", "us_ein", "uk_nino", "uk_nhs", "es_nif", "es_nie", "it_fiscal_code",
          "pl_pesel", "se_personnummer", "fi_hetu", "nl_bsn", "ca_sin", "au_tfn", "au_abn",
          "au_acn", "au_medicare", "in_aadhaar", "in_pan", "sg_nric", "kr_rrn", "br_cpf", "imei",
          "bitcoin_address", "ethereum_address", "date", "ipv4", "jwt", "private_key",
          "gcp_service_account_key", "mac_address", "not_repeated",
          "phone_number", "phone_number_national", "de_tax_id", "de_id_card", "de_vat_id", "fr_nir", "fr_vat_id",
          "it_vat_number", "be_national_number", "dk_cpr", "no_fodselsnummer", "at_social_security", "ch_ahv",
          "pt_nif", "pt_citizen_card", "ie_ppsn", "se_orgnr", "uk_driving_licence", "tr_tc_kimlik",
          "za_id_number", "in_gstin", "kr_brn", "sg_uen", "th_national_id", "cn_resident_id",
          "jp_my_number", "hk_hkid", "tw_national_id", "il_teudat_zehut", "nz_ird", "mx_curp",
          "mx_rfc", "cl_rut", "ar_cuit", "crc32_base62", "random_token");

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

  /**
   * The reverse automaton that locates where a match starts is built on a detector's first
   * candidate, at scan time: one with tens of thousands of states (overlapping counted classes
   * around a separator both may hold) stalls that scan for seconds.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("detectors")
  void reverseAutomatonStaysSmall(String id, DetectorDefinition d) {
    assertThat(ByteDfa.reversed(PatternParser.parse(d.pattern())).size())
        .as("%s: states of the reverse automaton", id)
        .isLessThanOrEqualTo(5_000);
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
