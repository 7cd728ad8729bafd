package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.engine.config.ConfigException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code shared_state} section: defaults, every key, and bad values at their position. */
class SharedStateConfigTest {
  @TempDir
  Path dir;

  private ProxyConfig parse(String sharedState) {
    return ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes: [{ match: { prefix: / }, cluster: b }]
        clusters: { b: { endpoints: ["127.0.0.1:9000"] } }
        shared_state:
        %s""".formatted(sharedState.indent(2)), "custos.yaml", dir);
  }

  @Test
  void withoutTheSectionEachProxyCountsAlone() {
    ProxyConfig config = ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes: [{ match: { prefix: / }, cluster: b }]
        clusters: { b: { endpoints: ["127.0.0.1:9000"] } }
        """, "custos.yaml", dir);
    assertThat(config.sharedState()).isEmpty();
  }

  @Test
  void onlyTheServerIsRequiredAndTheRestHasDefaults() {
    ProxyConfig.SharedState s = parse("redis: redis://redis.example:6379/2").sharedState()
        .orElseThrow();
    assertThat(s.redis()).isEqualTo(URI.create("redis://redis.example:6379/2"));
    assertThat(s.passwordFile()).isNull();
    assertThat(s.caFile()).isNull();
    assertThat(s.keyPrefix()).isEqualTo("custos:");
    assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.commandTimeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(s.onUnavailable()).isEqualTo(ProxyConfig.SharedState.OnUnavailable.FAIL_OPEN);
  }

  @Test
  void everyKeyIsRead() {
    ProxyFixture.write(dir.resolve("redis-password"), "s3cret-Pa55\n");
    ProxyFixture.write(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    ProxyConfig.SharedState s = parse("""
        redis: rediss://redis.example:6380
        password_file: redis-password
        ca_file: ca.pem
        key_prefix: "prod-eu:"
        connect_timeout: 5s
        command_timeout: 100ms
        on_unavailable: fail_closed
        """).sharedState().orElseThrow();
    assertThat(s.passwordFile()).isEqualTo(dir.resolve("redis-password"));
    assertThat(s.caFile()).isEqualTo(dir.resolve("ca.pem"));
    assertThat(s.keyPrefix()).isEqualTo("prod-eu:");
    assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.commandTimeout()).isEqualTo(Duration.ofMillis(100));
    assertThat(s.onUnavailable()).isEqualTo(ProxyConfig.SharedState.OnUnavailable.FAIL_CLOSED);
    assertThat(s.toString()).doesNotContain("s3cret");
  }

  @Test
  void aPasswordInTheUrlIsRefusedWithoutRepeatingIt() {
    assertThatThrownBy(() -> parse("redis: redis://:hunter2-secret@redis.example:6379"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:5:10: shared_state.redis: a URL with user"
            + " information (expected: the password in shared_state.password_file)")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void badValuesSayWhatWasExpected() {
    assertThatThrownBy(() -> parse("redis: http://redis.example:6379"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:5:10: shared_state.redis:");
    assertThatThrownBy(() -> parse("""
        redis: redis://redis.example
        on_unavailable: fail_maybe
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:6:19: shared_state.on_unavailable:")
        .hasMessageContaining("fail_open");
    assertThatThrownBy(() -> parse("""
        redis: redis://redis.example
        command_timeout: "0"
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:6:20: shared_state.command_timeout: 0 (expected: a"
            + " positive duration such as 250ms)");
    assertThatThrownBy(() -> parse("""
        redis: redis://redis.example
        password_file: no-such-file
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:6:18: shared_state.password_file: 'no-such-file' is"
            + " not a readable file");
    ProxyFixture.write(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    assertThatThrownBy(() -> parse("""
        redis: redis://redis.example
        ca_file: ca.pem
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:6:12: shared_state.ca_file: set for a redis:// URL");
    assertThatThrownBy(() -> parse("""
        redis: redis://redis.example
        retries: 3
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:6:3: unknown key 'retries' in shared_state");
  }
}
