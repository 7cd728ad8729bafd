package dev.custos.engine;

import static dev.custos.engine.Samples.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * {@link ContentType#FORM}: a field named like a credential holds a credential, as a JSON value
 * under such a key does ({@code generic_secret.json_value}): the field name is the key, the
 * decoded value the value, judged by the same value filter.
 */
class FormSecretValuesTest {
  private static final Scanner SCANNER = Samples.JAVA;

  private static List<Finding> secrets(String form) {
    return SCANNER.scan(utf8(form), ContentType.FORM).findings().stream()
        .filter(f -> f.category().equals("generic_secret"))
        .toList();
  }

  private static String span(String form, Finding f) {
    return new String(utf8(form), (int) f.start(), (int) (f.end() - f.start()), StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @CsvSource({
    "'user=alice&password=Vb7kLm2Qz9xWq', 'Vb7kLm2Qz9xWq', '$.password'",
    "'password=Vb7kLm2Qz9xWq&user=alice', 'Vb7kLm2Qz9xWq', '$.password'",
    "'grant_type=client_credentials&client_secret=9fK2xQ7mB4vL1zR8tW3nY6pH5sD0cJ&scope=read', "
        + "'9fK2xQ7mB4vL1zR8tW3nY6pH5sD0cJ', '$.client_secret'",
    "'slackToken=Zq8vN3kP0wR7yT2mLx5c', 'Zq8vN3kP0wR7yT2mLx5c', '$.slackToken'",
    "'db.password=Kt5%21mNq8Zr2w%26x%3D1&next=%2F', 'Kt5%21mNq8Zr2w%26x%3D1', '$[''db.password'']'",
    "'AUTH_PASSWORD=correct+horse+battery+staple+7', 'correct+horse+battery+staple+7', '$.AUTH_PASSWORD'",
    "'api_key=Hq4Nz8Lr2Vx6Kc9Pw3Tb%26%3D&user=alice', 'Hq4Nz8Lr2Vx6Kc9Pw3Tb%26%3D', '$.api_key'",
    "'a=1&token=Hq4Nz8Lr2Vx6Kc9Pw3Tb%3D%26Zq8vN3kP0wR7yT2mLx5c', 'Hq4Nz8Lr2Vx6Kc9Pw3Tb%3D%26Zq8vN3kP0wR7yT2mLx5c', '$.token'",
  })
  void aCredentialFieldValueIsFoundWholeWithItsEncodedSpan(String form, String value, String path) {
    List<Finding> findings = secrets(form);
    assertThat(findings).singleElement().satisfies(f -> {
      assertThat(f.detector()).isEqualTo("generic_secret.json_value");
      assertThat(span(form, f)).isEqualTo(value);
      assertThat(f.jsonPath()).isEqualTo(path);
      assertThat(f.confidence()).isEqualTo(Confidence.MEDIUM);
    });
  }

  @Test
  void aValueSpelledExampleIsReportedAtLowConfidence() {
    assertThat(secrets("password=hunter2-EXAMPLE-4q9Z&user=alice"))
        .singleElement()
        .satisfies(f -> assertThat(f.confidence()).isEqualTo(Confidence.LOW));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "password=changeme&user=alice",
        "password=********",
        "password=%2A%2A%2A%2A%2A%2A%2A%2A",
        "password=%24%7BDB_PASSWORD%7D",
        "token=%7B%7B+vault_token+%7D%7D",
        "password=%3Cyour-password%3E",
        "password=abc12",
        "password=aaaaaaaaaaaa",
        "passwordHint=Vb7kLm2Qz9xWq",
        "tokenizer=Vb7kLm2Qz9xWq",
        "nextPageToken=CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA",
        "token_type=Bearer",
        "note=Vb7kLm2Qz9xWq",
        "Vb7kLm2Qz9xWq=password",
        "password",
        "password=",
      })
  void placeholdersAndOtherNamesAreNotCredentials(String form) {
    assertThat(secrets(form)).isEmpty();
  }

  @Test
  void onlyTheWholeValueCountsNotAPartOfIt() {
    // A quote or a backslash (outside the value pattern) splits the value: no part is reported.
    assertThat(secrets("password=Vb7kLm2Q%22z9xWqRt5")).isEmpty();
    assertThat(secrets("password=Vb7kLm2Q%5Cz9xWqRt5&a=1")).isEmpty();
  }

  @Test
  void chunkingAndRedactionDoNotChangeTheFinding() {
    byte[] form = utf8("user=alice&password=Vb7kLm2Qz9xWq&remember=on");
    ScanResult oneShot = SCANNER.scan(form, ContentType.FORM);
    assertThat(oneShot.findings()).extracting(Finding::category).contains("generic_secret");
    assertThat(Samples.scanChunked(SCANNER, form, ContentType.FORM, List.of(1)).findings())
        .isEqualTo(oneShot.findings());
    assertThat(new String(
            Samples.redactChunked(SCANNER, form, ContentType.FORM, RedactionStyle.MASK, List.of(3)),
            StandardCharsets.UTF_8))
        .isEqualTo("user=alice&password=*************&remember=on");
  }
}
