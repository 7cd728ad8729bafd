package dev.custos.engine.internal.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.Confidence;
import dev.custos.engine.ContentType;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.Finding;
import dev.custos.engine.Scanner;
import dev.custos.engine.TestScanners;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The credential value filter over the whole catalog: every secret detector's examples survive it
 * (found, and lowered to low only when spelled as a sample), values masked to placeholders stay
 * silent, and publicly documented sample credentials come out at low confidence.
 */
class SecretFilterCatalogTest {
  /** How an example says it is one; only such examples may come out at low confidence. */
  private static final Pattern SAMPLE_SPELLING =
      Pattern.compile("(?i)example|fake|sample|dummy|demo");

  /** Parts of publicly documented sample credentials (Azurite's account key, jwt.io's token). */
  private static final List<String> DOCUMENTED =
      List.of("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq",
          "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");

  private static final Scanner scanner = TestScanners.java();

  static Stream<Arguments> secretDetectors() {
    return BuiltinDetectors.all().stream()
        .filter(DetectorDefinition::secret)
        .map(d -> Arguments.of(d.id(), d));
  }

  private static List<Finding> scan(String text, ContentType type) {
    return scanner.scan(text.getBytes(StandardCharsets.UTF_8), type).findings();
  }

  @Test
  void everyDetectorOfTheSecretsCatalogIsJudgedAsACredential() throws IOException {
    String yaml;
    try (InputStream in =
        Objects.requireNonNull(
            BuiltinDetectors.class.getResourceAsStream("/dev/custos/engine/builtin/secrets.yaml"))) {
      yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Matcher m = Pattern.compile("(?m)^  - id: (\\S+)").matcher(yaml);
    Set<String> ids = new java.util.HashSet<>();
    while (m.find()) {
      ids.add(m.group(1));
    }
    assertThat(ids).hasSizeGreaterThan(200);
    Set<String> optedOut =
        BuiltinDetectors.all().stream()
            .filter(d -> ids.contains(d.id()) && !d.secret())
            .map(DetectorDefinition::id)
            .collect(Collectors.toSet());
    assertThat(optedOut).as("secret detectors opted out of the value filter").isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("secretDetectors")
  void everyExampleSurvivesTheFilterAndIsLowOnlyWhenSpelledAsASample(
      String id, DetectorDefinition d) {
    ContentType type = d.keyValue() ? ContentType.JSON : ContentType.TEXT;
    for (String example : d.examples()) {
      List<Finding> mine =
          scan(example, type).stream().filter(f -> f.detector().equals(id)).toList();
      assertThat(mine).as("%s: example %s", id, example).isNotEmpty();
      boolean spelled = SAMPLE_SPELLING.matcher(example).find()
          || DOCUMENTED.stream().anyMatch(example::contains);
      if (!spelled && d.confidence() != Confidence.LOW) {
        assertThat(mine)
            .as("%s: example %s is not spelled as a sample", id, example)
            .allSatisfy(f -> assertThat(f.confidence()).isNotEqualTo(Confidence.LOW));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("secretDetectors")
  void exampleValuesMaskedToPlaceholdersStaySilent(String id, DetectorDefinition d) {
    ContentType type = d.keyValue() ? ContentType.JSON : ContentType.TEXT;
    for (String example : d.examples()) {
      for (Finding f : scan(example, type)) {
        if (!f.detector().equals(id)) {
          continue;
        }
        int from = (int) f.start();
        int to = (int) f.end();
        if (!example.substring(0, to).chars().allMatch(c -> c < 128)) {
          continue; // offsets are bytes; the catalog's examples are ASCII
        }
        for (char mask : new char[] {'x', 'X', '0'}) {
          String masked = example.substring(0, from) + mask(example.substring(from, to), mask)
              + example.substring(to);
          assertThat(scan(masked, type))
              .as("%s: %s", id, masked)
              .noneSatisfy(g -> assertThat(g.category()).isEqualTo(d.category()));
        }
      }
    }
  }

  /** Keeps the first quarter of a value (its vendor prefix, say) and masks the rest. */
  private static String mask(String value, char mask) {
    int keep = value.length() / 4;
    StringBuilder sb = new StringBuilder(value.substring(0, keep));
    for (int i = keep; i < value.length(); i++) {
      char c = value.charAt(i);
      sb.append(Character.isLetterOrDigit(c) ? mask : c);
    }
    return sb.toString();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "stripe: sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "firebase apiKey: AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;",
      })
  void documentedSampleCredentialsAreReportedAtLowConfidence(String text) {
    List<Finding> findings = scan(text, ContentType.TEXT);
    assertThat(findings).as(text).isNotEmpty();
    assertThat(findings).as(text).allSatisfy(f -> assertThat(f.confidence()).isEqualTo(Confidence.LOW));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "api_key = \"${API_KEY}\"",
        "token: {{ vault_token }}",
        "client_secret = \"<your-client-secret>\"",
        "AWS_SECRET_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "password: changeme",
        "secret: 1234567890123456",
      })
  void placeholdersInVendorAndGenericShapesStaySilent(String text) {
    assertThat(scan(text, ContentType.TEXT)).as(text).isEmpty();
  }
}
