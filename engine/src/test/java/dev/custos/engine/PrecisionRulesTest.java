package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine-wide precision rules and the generic secret detectors, end to end through {@link
 * Scanner} with the default policy, in text and JSON bodies: each rule with positives and near
 * misses.
 */
class PrecisionRulesTest {
  private static final Scanner scanner = TestScanners.java();

  private static List<Finding> scan(String body, ContentType type) {
    return scanner.scan(body.getBytes(StandardCharsets.UTF_8), type).findings();
  }

  private static List<String> categories(String body, ContentType type) {
    return scan(body, type).stream().map(Finding::category).toList();
  }

  private static String span(String body, Finding f) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    return new String(b, (int) f.start(), (int) (f.end() - f.start()), StandardCharsets.UTF_8);
  }

  // ---- generic secrets ----

  @ParameterizedTest
  @ValueSource(
      strings = {
        "slackToken=Zq8vN3kP0wR7yT2m",
        "client_secret: Wd3$Lp9qRz7mKx",
        "apiKey := \"Hq4Nz8Lr2Vx6Kc\"",
        "AUTH_PASSWORD => 'Fq7!zK2mWx9p'",
        "TOKEN ?= Rk3Wq8Zm1Lp6Xv",
        "<password>Wd3$Lp9qRz7m</password>",
        "<db user=\"app\" password=\"Fq7!zK2mWx9p\"/>",
        "props.setProperty(\"db.password\", \"Kt5!mNq8Zr2w\");",
        "os.environ[\"API_KEY\"] = \"Jy6pQw3Xk9Tz\"",
        "export FOO_TOKEN=Mx4Rk8Vq2Lz7Pn",
        "Server=db;User Id=app;Password=Gz5Hq9Lm3Kx!;",
      })
  void assignmentsInEverySyntaxAreFoundAsTheirValue(String text) {
    List<Finding> found = scan(text, ContentType.TEXT);
    assertThat(found).anySatisfy(f -> {
      assertThat(f.category()).isEqualTo("generic_secret");
      assertThat(span(text, f)).doesNotContainIgnoringCase("password").doesNotContainIgnoringCase("token")
          .doesNotContain("=").doesNotContain("\"");
    });
  }

  @Test
  void aValueOfMoreThan64CharactersIsFoundWhole() {
    String value = "Zq8vN3kP0wR7yT2mLx5cHq4Nz8Lr2Vx6Kc9Pw3TbWd3Lp9qRz7mKxFq7zK2mWx9pGz5Hq9Lm3Kx";
    String text = "db_password=" + value;
    assertThat(scan(text, ContentType.TEXT))
        .anySatisfy(f -> assertThat(span(text, f)).isEqualTo(value));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "passwd = self.get_user_passwd(uid)",
        "password = config.db.password",
        "token = userAccessToken",
        "password=${DB_PASSWORD}",
        "PASSWORD=$DB_PASSWORD",
        "token: {{ vault_token }}",
        "password = \"<your-password>\"",
        "secret = \"%(secret)s\"",
        "api_key = \"xxxxxxxxxxxxxxxx\"",
        "api_key: 1234567890abcdef",
        "password: abcdefghijkl",
        "password: null",
        "enabled_token: true",
        "password=changeme123",
        "token=testtoken1",
        "password: ********",
        "nextPageToken=CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA",
        "token_url = https://auth.example.com/oauth/token",
        "tokenizer = Tokenizer(vocab)",
      })
  void placeholdersIdentifiersAndCallsAreNotSecrets(String text) {
    assertThat(categories(text, ContentType.TEXT)).doesNotContain("generic_secret");
  }

  @Test
  void jsonValueUnderASecretKeyIsFound() {
    String json = "{\"user\":{\"name\":\"x\",\"password\":\"hunter2-Qz8vN3kP0w\"},\"slackToken\":\"Zq8vN3kP0wR7yT2mLx5c\"}";
    List<Finding> found = scan(json, ContentType.JSON);
    assertThat(found).filteredOn(f -> f.category().equals("generic_secret"))
        .extracting(Finding::jsonPath)
        .containsExactly("$.user.password", "$.slackToken");
    assertThat(found).filteredOn(f -> f.category().equals("generic_secret"))
        .allSatisfy(f -> assertThat(span(json, f)).doesNotContain("\""));
  }

  @Test
  void jsonValueWithSpacesIsFoundWhole() {
    String json = "{\"AUTH_PASSWORD\": \"correct horse battery staple 7\"}";
    assertThat(scan(json, ContentType.JSON))
        .anySatisfy(f -> assertThat(span(json, f)).isEqualTo("correct horse battery staple 7"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"password\": \"********\"}",
        "{\"password\": \"changeme\"}",
        "{\"token\": \"${TOKEN}\"}",
        "{\"passwordHint\": \"Vb7kLm2Qz9xWq\"}",
        "{\"tokenizer\": \"Vb7kLm2Qz9xWq\"}",
        "{\"nextPageToken\": \"CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA\"}",
        "{\"token_type\": \"Bearer\"}",
        "{\"description\": \"the token is Vb7kLm2Qz9xWq\"}",
      })
  void jsonNearMissesAreNotSecrets(String json) {
    assertThat(categories(json, ContentType.JSON)).doesNotContain("generic_secret");
  }

  @Test
  void documentedSampleCredentialsAreReportedAtLowConfidence() {
    String text = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE";
    assertThat(scan(text, ContentType.TEXT))
        .isNotEmpty()
        .allSatisfy(f -> assertThat(f.confidence()).isEqualTo(Confidence.LOW));
    String stripe = "{\"key\": \"sk_test_4eC39HqLyjWDarjtT1zdp7dc\"}";
    assertThat(scan(stripe, ContentType.JSON))
        .isNotEmpty()
        .allSatisfy(f -> assertThat(f.confidence()).isEqualTo(Confidence.LOW));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "AKIAXXXXXXXXXXXXXXXX",
        "aws_access_key_id=AKIAXXXXXXXXXXXXXXXX",
        "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "ghp_000000000000000000000000000000000000",
      })
  void placeholderVendorTokensAreNotFound(String text) {
    assertThat(scan(text, ContentType.TEXT)).isEmpty();
  }

  // ---- IPv4 and versions ----

  @ParameterizedTest
  @ValueSource(
      strings = {
        "update V8 to 10.9.194.9",
        "libfoo-dev (1.13.11.1) unstable; urgency=medium",
        "version 10.2.3.4 released",
        "v2.10.3.4",
        "release 1.2.3.4-beta",
        "node 18.12.1.0.2",
        "Mozilla/5.0 (X11) Chrome/120.0.6099.129 Safari/537.36",
      })
  void versionsAreNotIpAddresses(String text) {
    assertThat(categories(text, ContentType.TEXT)).doesNotContain("ip_address");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "client ip 203.0.113.42",
        "connect to 198.51.100.7 failed",
        "resolved db.example.com (192.0.2.10)",
        "upgraded server 203.0.113.9 last night",
      })
  void addressesNearVersionsAreStillFound(String text) {
    assertThat(categories(text, ContentType.TEXT)).contains("ip_address");
  }

  // ---- IPv6, MAC and fingerprints ----

  @ParameterizedTest
  @ValueSource(
      strings = {
        "SHA1 Fingerprint=AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01",
        "SHA256:12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0",
        "2001:db8::1::2",
        "1:2:3:4:5:6:7:8:9:10",
      })
  void colonListsAndMalformedAddressesAreNotIpv6OrMac(String text) {
    assertThat(categories(text, ContentType.TEXT)).doesNotContain("ip_address", "mac_address");
  }

  @ParameterizedTest
  @ValueSource(strings = {"peer 2001:db8::8a2e:370:7334 up", "ip=fe80:0:0:0:202:b3ff:fe1e:8329", "[2001:db8::1]:443"})
  void wellFormedIpv6IsFound(String text) {
    assertThat(categories(text, ContentType.TEXT)).contains("ip_address");
  }

  // ---- email versus SSH ----

  @Test
  void sshLocationsAreNotEmails() {
    assertThat(categories("git clone git@github.com:owner/repo.git", ContentType.TEXT)).doesNotContain("email");
    assertThat(categories("{\"ssh_url\":\"git@github.com:owner/repo.git\"}", ContentType.JSON)).doesNotContain("email");
    assertThat(categories("ssh://git@example.com/owner/repo", ContentType.TEXT)).doesNotContain("email");
    assertThat(categories("mail jane.doe@example.com: see below", ContentType.TEXT)).contains("email");
    assertThat(categories("{\"email\":\"jane.doe@example.com\"}", ContentType.JSON)).contains("email");
  }

  // ---- whole words ----

  @Test
  void keywordsAndContextAreWholeWordsInTextAndKeys() {
    // "drivers" is not "driver"; "DOB" in a camelCase key is a word.
    assertThat(categories("{\"dateOfBirth\":\"1985-07-14\"}", ContentType.JSON)).contains("date_of_birth");
    assertThat(categories("{\"birthdate\":\"1985-07-14\"}", ContentType.JSON)).contains("date_of_birth");
    assertThat(categories("{\"rebirths\":\"1985-07-14\"}", ContentType.JSON)).doesNotContain("date_of_birth");
    assertThat(categories("DOB: 1985-07-14", ContentType.TEXT)).contains("date_of_birth");
    assertThat(categories("rebirth on 1985-07-14", ContentType.TEXT)).doesNotContain("date_of_birth");
  }

  // ---- numbers ----

  @ParameterizedTest
  @ValueSource(strings = {"{\"x\": 5.1234567890e10}", "ratio 0.51824153016 total", "1.23e+51824153016", "{\"v\": 51824153016.5}"})
  void numbersInsideLongerNumericTokensAreNotIds(String body) {
    ContentType type = body.startsWith("{") ? ContentType.JSON : ContentType.TEXT;
    assertThat(scan(body, type)).isEmpty();
  }

  @Test
  void anAbnAloneIsStillFound() {
    assertThat(categories("ABN 51 824 753 556", ContentType.TEXT)).contains("au_abn");
  }

  // ---- street addresses ----

  @Test
  void streetAddressesNeedAnAddressWord() {
    assertThat(categories(
        "write to the Free Software Foundation, Inc., 51 Franklin Street, Fifth Floor, Boston",
        ContentType.TEXT)).doesNotContain("street_address");
    assertThat(categories("Ship to 123 Main Street", ContentType.TEXT)).contains("street_address");
    assertThat(categories("{\"address\": \"4521 Oak Ridge Dr.\"}", ContentType.JSON)).contains("street_address");
  }

  // ---- South African id numbers: a bare run of 13 digits needs a keyword ----

  @ParameterizedTest
  @ValueSource(
      strings = {
        // Epoch-millisecond timestamps and references that pass the date, C digit and Luhn checks.
        "{\"ts\": 1705123456082, \"event\": \"login\"}",
        "took 12 ms at 1705123456082",
        "order ref 8001015009087 shipped",
        "{\"created\": \"1705123456082\"}",
        // With a keyword, the structure still decides: A is 2 in this timestamp.
        "ID number: 1709296496123",
      })
  void aBareThirteenDigitRunWithoutAnIdKeywordOrStructureIsNoSouthAfricanId(String body) {
    ContentType type = body.startsWith("{") ? ContentType.JSON : ContentType.TEXT;
    assertThat(categories(body, type)).doesNotContain("za_id_number");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ID number: 8001015009087",
        "RSA ID 8506151234190",
        "{\"customer\": {\"idNumber\": \"8001015009087\"}}",
        "{\"id_number\": 8001015009087}",
        "identity number 8001015009186 (permanent resident)",
        "applicant 800101 5009 087 approved",
      })
  void aSouthAfricanIdNextToAKeywordOrWrittenInItsGroupsIsFound(String body) {
    ContentType type = body.startsWith("{") ? ContentType.JSON : ContentType.TEXT;
    assertThat(categories(body, type)).contains("za_id_number");
  }
  // ---- keywords in API traffic ----

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"dependencies\":{\"passport\":\"^0.6.0\"},\"dist\":{\"unpackedSize\":123456789}}",
        "{\"license\":{\"key\":\"mit\"},\"id\":98765432,\"forks\":12345678}",
        "{\"account_name\":\"ci\",\"tfn_enabled\":true,\"size\":123456782}",
      })
  void aJsonNumberIsNotVouchedForByAKeywordInAnotherToken(String json) {
    assertThat(scan(json, ContentType.JSON)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"passport\":{\"number\":482914736}}",
        "{\"tfn\":123456782}",
        "{\"driver\":{\"license_number\":12345678}}",
      })
  void aJsonNumberUnderAKeywordKeyIsFound(String json) {
    assertThat(scan(json, ContentType.JSON)).isNotEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "see https://example.com/dl/12345678 for the file",
        "https://api.github.com/repos/jo/sub-ex-driver/actions/runs/1145708286",
        "GET /drivers/ 12345678",
      })
  void aKeywordThatIsAPathSegmentDoesNotVouchForANumber(String text) {
    assertThat(scan(text, ContentType.TEXT)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"driver's license D1234567", "DL 12345678", "dl: 12345678"})
  void aKeywordInProseStillVouchesForANumber(String text) {
    assertThat(categories(text, ContentType.TEXT)).contains("us_driver_license");
  }

  @ParameterizedTest
  @ValueSource(strings = {"AWS account 123456789012", "{\"account_id\": \"123456789012\"}",
      "license: Apache-2.0, id: 98765432"})
  void aBareAccountOrLicenseWordIsNoBankAccountOrDriverLicence(String text) {
    ContentType type = text.startsWith("{") ? ContentType.JSON : ContentType.TEXT;
    assertThat(categories(text, type)).doesNotContain("us_bank_account", "us_driver_license");
  }

  @Test
  void aCurlPasswordIsFoundAndLocatedQuickly() {
    // The reverse automaton of this detector once took seconds to build on its first candidate.
    String text = "curl -u deploy:PQYOCvCZ2CddrhQ2 https://api.example.com/v1/items";
    assertThat(scan(text, ContentType.TEXT))
        .anySatisfy(f -> assertThat(f.category()).isEqualTo("curl_credentials"));
  }

  @Test
  void aTokenFailingItsVendorChecksumIsReportedOnlyAtLowConfidence() {
    String doc = "{\"token\": \"ghs_16C7e42F292c6912E7710c838347Ae178B4a\", \"expires_at\": \"2016-07-11T22:14:10Z\"}";
    assertThat(scan(doc, ContentType.JSON)).allSatisfy(f -> assertThat(f.confidence()).isEqualTo(Confidence.LOW));
    String issued = "{\"token\": \"ghs_FAKEQENbkqiGtLIUjENVR5mBw9rdzw3F6cHv\"}";
    assertThat(scan(issued, ContentType.JSON)).anySatisfy(f -> assertThat(f.category()).isEqualTo("github_token"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"hashed_token\": \"25f94a2a5c7fbaf499c665bc73d67c1c87e496da8985131633ee0a95819db2e8\"}",
        "{\"token_digest\": \"Zq8vN3kP0wR7yT2mLx5cHq4N\", \"masked_secret\": \"Wd3Lp9qRz7mKxQ\"}",
        "password_digest = \"Kt5mNq8Zr2wLx5cHq4\"",
      })
  void aValueDerivedFromACredentialIsNoCredential(String body) {
    ContentType type = body.startsWith("{") ? ContentType.JSON : ContentType.TEXT;
    assertThat(categories(body, type)).doesNotContain("generic_secret");
  }

  // ---- national phone numbers ----

  @ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource(
      delimiter = '|',
      value = {
        "Tel: 020 7946 0958 (office)|GB",
        "Telefon: 030 1234567|DE",
        "téléphone : 01 23 45 67 89|FR",
        "mobile 098765 43210|IN",
      })
  void aNationalNumberNextToATelephoneWordIsAPhoneWithItsRegion(String text, String region) {
    assertThat(scan(text, ContentType.TEXT)).anySatisfy(f -> {
      assertThat(f.category()).isEqualTo("phone_number");
      assertThat(f.qualifier()).isEqualTo(region);
    });
  }

  @Test
  void aNationalNumberUnderAPhoneKeyInJsonIsAPhone() {
    String json = "{\"contact\": {\"phone\": \"06 12 34 56 78\", \"city\": \"Lyon\"}}";
    assertThat(scan(json, ContentType.JSON)).anySatisfy(f -> {
      assertThat(f.jsonPath()).isEqualTo("$.contact.phone");
      assertThat(f.qualifier()).isEqualTo("FR");
    });
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "office 020 7946 0958 opens at nine", // no telephone word
        "phone firmware 2023-11-14 released", // a date
        "call at 12:30:45 sharp", // a time
        "phone app 10.9.194.9", // a version
        "Telefonkosten: 1.234.567,89 EUR", // an amount (and no whole keyword)
        "phone bill 1.234.567,89 EUR",
        "call id 0x1f 123", // hex and a count
        "{\"phone_verified\": true, \"id\": 1234567890, \"size\": 12345}",
      })
  void datesVersionsAmountsAndIdsAreNoNationalPhones(String text) {
    ContentType type = text.startsWith("{") ? ContentType.JSON : ContentType.TEXT;
    assertThat(categories(text, type)).doesNotContain("phone_number");
  }

  @Test
  void e164NumbersKeepTheirDetectorAndReportTheirRegion() {
    assertThat(scan("+447400123456", ContentType.TEXT)).singleElement().satisfies(f -> {
      assertThat(f.detector()).isEqualTo("phone_number.e164");
      assertThat(f.qualifier()).isEqualTo("GB");
    });
  }

  @Test
  void anUnformattedAbnNeedsAKeywordButTheGroupedFormDoesNot() {
    assertThat(categories("{\"check_suite_id\": 51824753556}", ContentType.JSON)).doesNotContain("au_abn");
    assertThat(categories("run 51824753556 finished", ContentType.TEXT)).doesNotContain("au_abn");
    assertThat(categories("ABN: 51824753556", ContentType.TEXT)).contains("au_abn");
    assertThat(categories("{\"abn\": 51824753556}", ContentType.JSON)).contains("au_abn");
    assertThat(categories("supplier 51 824 753 556", ContentType.TEXT)).contains("au_abn");
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"checkout_token\": \"bd5a8aa1ecd019dd3520ff791ee3a24c\"}",
      "{\"cart_token\": \"68778783ad298f1c80c3bafcddeea02f\"}", "{\"csrf_token\": \"Zq8vN3kP0wR7yT2mLx5cHq4N\"}"})
  void shoppingSessionIdsAndAntiForgeryNoncesAreNoCredentials(String json) {
    assertThat(categories(json, ContentType.JSON)).doesNotContain("generic_secret");
  }
}
