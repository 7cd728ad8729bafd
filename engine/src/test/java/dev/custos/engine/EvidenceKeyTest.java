package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvidenceKeyTest {
  private static final byte[] VALUE = "078-05-1120".getBytes(StandardCharsets.UTF_8);

  private static String hashOf(EvidenceKey key) {
    try (Scanner scanner = Scanner.builder(Policy.ofDefault()).backend(Backend.JAVA).evidenceKey(key).build()) {
      return scanner.scan(("ssn " + new String(VALUE, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8), ContentType.TEXT)
          .findings().get(0).evidence().hash();
    }
  }

  @Test
  void sameKeyGivesSameHashAndOtherKeyAnother(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("key");
    Files.writeString(file, "a-deployment-key-of-some-length\n");
    EvidenceKey fromFile = EvidenceKey.fromFile(file);
    EvidenceKey fromEnvironment =
        EvidenceKey.fromEnvironment(Map.of(EvidenceKey.ENVIRONMENT_VARIABLE, "a-deployment-key-of-some-length"));
    assertThat(hashOf(fromFile)).isEqualTo(hashOf(fromEnvironment)).hasSize(32).matches("[0-9a-f]{32}");
    assertThat(hashOf(EvidenceKey.random())).isNotEqualTo(hashOf(fromFile));
  }

  @Test
  void hmacIsHmacSha256OfTheKeyAndAgreesAcrossThreadsAndCalls() throws Exception {
    String secret = "a-deployment-key-of-some-length";
    EvidenceKey key = EvidenceKey.fromEnvironment(Map.of(EvidenceKey.ENVIRONMENT_VARIABLE, secret));
    javax.crypto.Mac reference = javax.crypto.Mac.getInstance("HmacSHA256");
    reference.init(new javax.crypto.spec.SecretKeySpec(
        secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    byte[] expected = reference.doFinal(VALUE);

    assertThat(key.hmac(VALUE)).isEqualTo(expected);
    assertThat(key.hmac("other".getBytes(StandardCharsets.UTF_8))).isNotEqualTo(expected);
    assertThat(key.hmac(VALUE)).as("the per-thread MAC is reset between calls").isEqualTo(expected);
    byte[][] fromOtherThread = new byte[1][];
    Thread t = new Thread(() -> fromOtherThread[0] = key.hmac(VALUE));
    t.start();
    t.join();
    assertThat(fromOtherThread[0]).isEqualTo(expected);
  }

  @Test
  void keyFileNamedByEnvironmentIsRead(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("key");
    Files.writeString(file, "another-deployment-key-0123");
    EvidenceKey key = EvidenceKey.fromEnvironment(Map.of(EvidenceKey.FILE_ENVIRONMENT_VARIABLE, file.toString()));
    assertThat(key.isEphemeral()).isFalse();
    assertThat(hashOf(key)).isEqualTo(hashOf(EvidenceKey.of("another-deployment-key-0123".getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void noKeyConfiguredGivesAnEphemeralKeyThatIsTheSameForTheWholeProcess() {
    EvidenceKey first = EvidenceKey.fromEnvironment(Map.of());
    assertThat(first.isEphemeral()).isTrue();
    assertThat(hashOf(EvidenceKey.fromEnvironment(Map.of()))).isEqualTo(hashOf(first));
    assertThat(hashOf(EvidenceKey.random())).isNotEqualTo(hashOf(first));
  }

  @Test
  void shortKeyIsRefusedWithoutEchoingIt() {
    assertThatThrownBy(() -> EvidenceKey.of("short".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 16")
        .hasMessageNotContaining("short");
  }

  @Test
  void toStringNeverShowsKeyBytes() {
    assertThat(EvidenceKey.of("secret-key-bytes-here".getBytes(StandardCharsets.UTF_8)).toString())
        .doesNotContain("secret-key");
  }
}
