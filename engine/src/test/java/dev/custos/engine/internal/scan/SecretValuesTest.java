package dev.custos.engine.internal.scan;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecretValuesTest {

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String value(String match) {
    byte[] bytes = b(match);
    int start = SecretValues.valueStart(bytes, 0, bytes.length);
    return match.substring(start);
  }

  @Test
  void valueStartsAfterTheKeyAndOperatorInEverySyntax() {
    assertThat(value("password: Tr0ub4dor")).isEqualTo("Tr0ub4dor");
    assertThat(value("slackToken=Zq8vN3kP")).isEqualTo("Zq8vN3kP");
    assertThat(value("apiKey := \"Hq4Nz8Lr")).isEqualTo("Hq4Nz8Lr");
    assertThat(value("AUTH_PASSWORD => 'Fq7!zK2m")).isEqualTo("Fq7!zK2m");
    assertThat(value("TOKEN ?= Rk3Wq8Zm")).isEqualTo("Rk3Wq8Zm");
    assertThat(value("password>Wd3$Lp9q")).isEqualTo("Wd3$Lp9q");
    assertThat(value("db.password\", \"Kt5!mNq8")).isEqualTo("Kt5!mNq8");
    assertThat(value("API_KEY\"] = \"Jy6pQw3X")).isEqualTo("Jy6pQw3X");
    assertThat(value("Bearer EXAMPLEfakeAccessToken")).isEqualTo("EXAMPLEfakeAccessToken");
    assertThat(value("ghp_Zq8vN3kP0wR7yT2m")).isEqualTo("ghp_Zq8vN3kP0wR7yT2m");
    assertThat(value("-----BEGIN KEY-----\nMIIEvQ")).isEqualTo("-----BEGIN KEY-----\nMIIEvQ");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "${DB_PASSWORD}", "{{ vault_token }}", "<your-key>", "%(secret)s", "$DB_PASSWORD", "%s",
        "xxxxxxxxxxxx", "AKIAXXXXXXXXXXXXXXXX", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "********",
        "123456789012", "abcdefghijkl", "9876543210", "aaaaaaaaaa", "changeme123", "null", "None",
        "true", "your_api_key_here", "REDACTED", "testpassword", "sk_live_000000000000000000000000",
      })
  void placeholdersAreRecognised(String value) {
    assertThat(SecretValues.isPlaceholder(value)).as(value).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Tr0ub4dor&3xK9", "Zq8vN3kP0wR7yT2m", "9fK2xQ7mB4vL1zR8tW3nY6pH5sD0cJ", "correct horse battery 7",
        "ghp_Zq8vN3kP0wR7yT2mLx5cHq4Nz8Lr2Vx6Kc9P", "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
      })
  void realLookingValuesAreNotPlaceholders(String value) {
    assertThat(SecretValues.isPlaceholder(value)).as(value).isFalse();
  }

  @Test
  void identifiersAndMemberAccessesAreCode() {
    assertThat(SecretValues.isIdentifier("self.get_user_passwd")).isTrue();
    assertThat(SecretValues.isIdentifier("config.db.password")).isTrue();
    assertThat(SecretValues.isIdentifier("userAccessToken")).isTrue();
    assertThat(SecretValues.isIdentifier("ACCESS_TOKEN")).isTrue();
    assertThat(SecretValues.isIdentifier("Tr0ub4dorxK9")).isFalse();
    assertThat(SecretValues.isIdentifier("Zq8vN3kP0wR7")).isFalse();
    assertThat(SecretValues.isIdentifier("hunter2-x")).isFalse();
  }

  @Test
  void documentedExamplesAreLowAndSampleWordsAreLow() {
    byte[] aws = b("AKIAIOSFODNN7EXAMPLE");
    assertThat(SecretValues.judge(aws, 0, aws.length, false, false, -1)).isEqualTo(SecretValues.Verdict.LOW);
    byte[] fake = b("EXAMPLE-s3cr3t!42");
    assertThat(SecretValues.judge(fake, 0, fake.length, false, true, -1)).isEqualTo(SecretValues.Verdict.LOW);
    byte[] real = b("Tr0ub4dor&3xK9");
    assertThat(SecretValues.judge(real, 0, real.length, false, true, -1)).isEqualTo(SecretValues.Verdict.KEEP);
    assertThat(SecretValues.judge(real, 0, real.length, false, true, '(')).isEqualTo(SecretValues.Verdict.DROP);
    assertThat(SecretValues.judge(real, 0, 10, false, true, 'x')).as("a cut of a longer value")
        .isEqualTo(SecretValues.Verdict.DROP);
  }

  @Test
  void cursorKeysAreNotCredentials() {
    assertThat(SecretValues.isCursorKey("nextpagetoken")).isTrue();
    assertThat(SecretValues.isCursorKey("continuationtoken")).isTrue();
    assertThat(SecretValues.isCursorKey("slacktoken")).isFalse();
    assertThat(SecretValues.isCursorKey("hashedtoken")).isTrue();
    assertThat(SecretValues.isCursorKey("passworddigest")).isTrue();
    assertThat(SecretValues.isCursorKey("maskedsecret")).isTrue();
    assertThat(SecretValues.isCursorKey("dbpassword")).isFalse();
    assertThat(SecretValues.isCursorKey("carttoken")).isTrue();
    assertThat(SecretValues.isCursorKey("checkouttoken")).isTrue();
    assertThat(SecretValues.isCursorKey("csrftoken")).isTrue();
    assertThat(SecretValues.isCursorKey("refreshtoken")).isFalse();
    assertThat(SecretValues.isCursorKey("accesstoken")).isFalse();
  }

  private static SecretValues.Verdict judge(String value, boolean quoted, boolean assignment) {
    byte[] bytes = b(value);
    return SecretValues.judge(bytes, 0, bytes.length, quoted, assignment, -1);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "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",
        "dp.pt.Zq8vN3kP0wR7yT2mLx5cHq4Nz8Lr2Vx6Kc9Pw3Tb",
        "hvs.CAESIJzq8vN3kP0wR7yT2mLx5cHq4Nz8Lr2Vx6Kc9Pw3Tb",
        "dt0c01.ST2EY72KQINMH574WMNVI7YN.G3DFPBEJYMODIDAEX454M7YWBUVEFOWKPRVMWFASS64NFH52PX6BNDVFFM572RZM",
        "xoxb-1234987650-9876012345-kZqvNwRtPbLmYsXcJhDgFaUe",
        "glpat-kZqvNwRtPbLmYsXcJhDg",
        "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",
        "pul-kZqvNwRtPbLmYsXcJhDgFaUeWiOyTrKzQpLm",
        "ntn_kZqvNwRtPbLmYsXcJhDgFaUeWiOyTrKzQpZq8vN3kP0wR7",
      })
  void wellFormedVendorTokensAreKeptWhateverTheirDotsCaseOrDigits(String token) {
    assertThat(judge(token, false, false)).as(token).isEqualTo(SecretValues.Verdict.KEEP);
  }

  @Test
  void theAssignmentRulesWouldReadDottedOrDigitFreeTokensAsCodeSoTheyApplyToAssignmentsOnly() {
    // The reason for the split: as an unquoted assigned value these read as an identifier or a
    // member access, which is right for "password = config.db.password" and wrong for a token.
    assertThat(judge("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", false, true))
        .isEqualTo(SecretValues.Verdict.DROP);
    assertThat(judge("hvs.CAESIJzq8vN3kP0wR7yT2mLx5cHq", false, true))
        .isEqualTo(SecretValues.Verdict.DROP);
    assertThat(judge("config.db.password", false, true)).isEqualTo(SecretValues.Verdict.DROP);
    assertThat(judge("config.db.password", true, true)).as("quoted, a literal")
        .isEqualTo(SecretValues.Verdict.KEEP);
    assertThat(judge("https://vault.example.org/v1", true, true)).as("a URL, assigned")
        .isEqualTo(SecretValues.Verdict.DROP);
  }

  @Test
  void sampleWordsLowerOnlyWhenSpelledNotWhenRandomLettersFallThatWay() {
    assertThat(judge("sk_live_EXAMPLE7kP0wR7yT2mLx5c", false, false)).isEqualTo(SecretValues.Verdict.LOW);
    assertThat(judge("ghp_FakeZq8vN3kP0wR7yT2mLx5c", false, false)).isEqualTo(SecretValues.Verdict.LOW);
    assertThat(judge("hf_dummykZqvNwRtPbLmYsXcJhDgFaUeWiO", false, false)).isEqualTo(SecretValues.Verdict.LOW);
    assertThat(judge("Zq8vdEmOkP0wR7yT2mLx5c", false, false)).as("mixed case dEmO")
        .isEqualTo(SecretValues.Verdict.KEEP);
    assertThat(judge("Zq8vfAkEkP0wR7yT2mLx5c", false, false)).as("mixed case fAkE")
        .isEqualTo(SecretValues.Verdict.KEEP);
  }

  @Test
  void yourIsAPlaceholderOnlyAsAWordOfItsOwn() {
    assertThat(SecretValues.isPlaceholder("your_api_key_here")).isTrue();
    assertThat(SecretValues.isPlaceholder("YOUR-TOKEN-HERE")).isTrue();
    assertThat(SecretValues.isPlaceholder("yourApiKeyHere")).isTrue();
    assertThat(SecretValues.isPlaceholder("YoUrk3Zq8vN3kP0wR7yT2m")).as("random letters").isFalse();
    assertThat(SecretValues.isPlaceholder("yourk3Zq8vN3kP0wR7yT2m")).as("no word boundary").isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "dp.pt.XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "hvs.${VAULT_TOKEN}", "sk_live_<your-key>",
        "xoxb-0000000000-0000000000-000000000000000000000000", "glpat-************",
        "AKIA1234567890123456",
      })
  void placeholderVendorTokensAreDroppedWithoutTheAssignmentRules(String token) {
    assertThat(judge(token, false, false)).as(token).isEqualTo(SecretValues.Verdict.DROP);
  }

  /**
   * Measured on random tokens in the alphabets vendors use: the sample and placeholder rules drop
   * or lower fewer than one in a thousand (xxxx or a spelled sample word occurring by chance).
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "0123456789abcdef",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
      })
  void randomTokensAreAlmostNeverDroppedOrLowered(String alphabet) {
    Random random = new Random(alphabet.hashCode());
    int n = 20_000;
    int judgedOtherwise = 0;
    for (int i = 0; i < n; i++) {
      int length = 20 + random.nextInt(45);
      StringBuilder sb = new StringBuilder("tok_");
      for (int k = 0; k < length; k++) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      if (judge(sb.toString(), false, false) != SecretValues.Verdict.KEEP) {
        judgedOtherwise++;
      }
    }
    assertThat(judgedOtherwise).as("of %d random tokens", n).isLessThan(n / 1000);
  }

  @Test
  void aGithubOrNpmShapedTokenFailingItsChecksumIsAMadeUpExample() {
    // Documentation's installation token: GitHub's shape, a checksum that was never computed.
    assertThat(SecretValues.isChecksumFailingToken("ghs_16C7e42F292c6912E7710c838347Ae178B4a")).isTrue();
    assertThat(SecretValues.isChecksumFailingToken("ghp_EXAMPLE0example1EXAMPLE0exampl0XlIwQ")).isTrue();
    assertThat(SecretValues.isChecksumFailingToken("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")).isFalse();
    assertThat(SecretValues.isChecksumFailingToken("ghx_16C7e42F292c6912E7710c838347Ae178B4a")).isFalse();
    assertThat(SecretValues.isChecksumFailingToken("ghs_16C7e42F292c6912E7710c838347Ae178B4")).isFalse();
    assertThat(SecretValues.isChecksumFailingToken("Zq8vN3kP0wR7yT2mLx5cHq4Nz8Lr2Vx6Kc9Pw3")).isFalse();
  }
}
