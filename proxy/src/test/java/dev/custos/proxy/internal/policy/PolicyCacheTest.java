package dev.custos.proxy.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.engine.PolicyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The last good pulled policy on disk: written whole or not at all, read back validated. */
class PolicyCacheTest {
  static final String BODY = "version: 1\nrules:\n  - { name: no cards, categories:"
      + " [credit_card], action: block }\n";
  static final String ETAG = "\"" + "ab".repeat(32) + "-shadow\"";

  @TempDir
  Path dir;

  @Test
  void aWrittenPolicyReadsBackWithItsLabelEnforceFlagAndEtag() throws Exception {
    Path file = dir.resolve("cache/policy.yaml");
    PolicyCache.write(file, PolicyCache.parse("payments@3", false, ETAG, BODY, "test"));

    PulledPolicy p = PolicyCache.read(file);

    assertThat(p).isNotNull();
    assertThat(p.label()).isEqualTo("payments@3");
    assertThat(p.enforce()).isFalse();
    assertThat(p.policy().enforce()).isFalse();
    assertThat(p.policy().rules()).extracting(r -> r.name()).containsExactly("no cards");
    assertThat(p.etag()).isEqualTo(ETAG);
    assertThat(p.body()).isEqualTo(BODY);
    assertThat(p.runningVersion()).isEqualTo("payments@3+shadow");
    try (Stream<Path> files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void aNewerPolicyReplacesTheOldOne() throws Exception {
    Path file = dir.resolve("policy.yaml");
    PolicyCache.write(file, PolicyCache.parse("payments@3", false, ETAG, BODY, "test"));
    PolicyCache.write(file, PolicyCache.parse("payments@4", true, "\"" + "cd".repeat(32) + "\"",
        BODY.replace("block", "redact"), "test"));

    PulledPolicy p = PolicyCache.read(file);

    assertThat(p.runningVersion()).isEqualTo("payments@4");
    assertThat(p.policy().enforce()).isTrue();
    assertThat(p.body()).contains("redact");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void aMissingDamagedOrInvalidFileIsNotUsed() throws Exception {
    assertThat(PolicyCache.read(dir.resolve("none.yaml"))).isNull();
    Path file = dir.resolve("policy.yaml");
    Files.writeString(file, BODY);
    assertThat(PolicyCache.read(file)).isNull();
    Files.writeString(file, "# custos-policy: payments@3\n# custos-enforce: maybe\n"
        + "# custos-etag: " + ETAG + "\n" + BODY);
    assertThat(PolicyCache.read(file)).isNull();
    Files.writeString(file, "# custos-policy: payments@3\n# custos-enforce: true\n"
        + "# custos-etag: " + ETAG + "\nversion: 1\nrules: [ { name: x, action: explode } ]\n");
    assertThat(PolicyCache.read(file)).isNull();
    Files.writeString(file, "# custos-policy: payments@3\n# custos-enforce: true\n"
        + "# custos-etag: " + ETAG + "\n" + BODY.substring(0, 30));
    assertThat(PolicyCache.read(file)).isNull();
  }

  @Test
  void anInvalidPulledBodyIsRefusedByTheProxysParser() {
    assertThatThrownBy(() -> PolicyCache.parse("payments@5", true, ETAG,
        "version: 1\nrules: [ { name: x, categories: [nope], action: block } ]\n", "plane"))
        .isInstanceOf(PolicyException.class);
  }
}
