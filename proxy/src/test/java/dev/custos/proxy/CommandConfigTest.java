package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.engine.config.ConfigException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code command:} section of custos.yaml: defaults, and errors at their position. */
class CommandConfigTest {
  @TempDir
  Path dir;

  @BeforeEach
  void token() throws Exception {
    Files.writeString(dir.resolve("token"), "proxy-token-0123456789\n");
    Files.writeString(dir.resolve("empty-token"), " \n");
  }

  private ProxyConfig parse(String command) {
    return ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes: [{ match: { prefix: / }, cluster: b }]
        clusters: { b: { endpoints: ["127.0.0.1:1"] } }
        command:
        %s
        """.formatted(command.indent(2).stripTrailing()), "custos.yaml", dir);
  }

  @Test
  void withoutTheSectionNothingIsSent() {
    assertThat(ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes: [{ match: { prefix: / }, cluster: b }]
        clusters: { b: { endpoints: ["127.0.0.1:1"] } }
        """, "custos.yaml", dir).command()).isEmpty();
  }

  @Test
  void urlAndTokenFileAreEnoughAndTheRestHasDefaults() {
    ProxyConfig.Command c = parse("""
        url: http://command.internal:8080/
        token_file: token
        proxy_id: gateway-7""").command().orElseThrow();
    assertThat(c).isEqualTo(ProxyConfig.Command.of(URI.create("http://command.internal:8080/"),
        dir.resolve("token"), dir.resolve("spool"), "gateway-7"));
    assertThat(c.batchMaxEvents()).isEqualTo(500);
    assertThat(c.spoolMaxBytes()).isEqualTo(256L << 20);
  }

  @Test
  void everyKeyIsRead() {
    ProxyConfig.Command c = parse("""
        url: https://command.internal
        token_file: token
        spool_dir: var/spool
        proxy_id: gw
        queue_capacity: 50
        batch_max_events: 1000
        linger: 250ms
        spool_max_bytes: 8MiB
        request_timeout: 3s
        backoff: { initial: 1s, max: 2m }
        shutdown_timeout: 0ms""").command().orElseThrow();
    assertThat(c).isEqualTo(new ProxyConfig.Command(URI.create("https://command.internal"),
        dir.resolve("token"), dir.resolve("var/spool"), "gw", 50, 1000, Duration.ofMillis(250),
        8L << 20, Duration.ofSeconds(3), Duration.ofSeconds(1), Duration.ofMinutes(2),
        Duration.ZERO));
  }

  @Test
  void aClientCertificateMayReplaceTheToken() {
    TestPki.Issued ca = TestPki.ca("plane-ca");
    TestPki.Issued client = TestPki.client(ca, "spiffe://example.org/ns/edge/sa/custos");
    ca.writeCert(dir.resolve("ca.pem"));
    client.writeCert(dir.resolve("proxy.pem"));
    client.writeKey(dir.resolve("proxy.key"));

    ProxyConfig.Command c = parse("""
        url: https://command.internal
        tls: { ca_file: ca.pem, cert_file: proxy.pem, key_file: proxy.key }""")
        .command().orElseThrow();

    assertThat(c.tokenFile()).isNull();
    assertThat(c.tls()).isEqualTo(new ProxyConfig.UpstreamTls(dir.resolve("ca.pem"),
        dir.resolve("proxy.pem"), dir.resolve("proxy.key"), null, false, "TLSv1.2"));
    assertThatThrownBy(() -> parse("url: https://command.internal\ntls: { ca_file: ca.pem }"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("command: neither token_file nor tls.cert_file (expected: a token"
            + " file, a client certificate, or both)");
    assertThatThrownBy(() -> parse("url: http://command.internal\ntoken_file: token\n"
        + "tls: { ca_file: ca.pem }"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("command.tls: set for http://command.internal (expected: an https"
            + " url)");
    assertThatThrownBy(() -> parse("url: https://command.internal\n"
        + "tls: { cert_file: proxy.pem }"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("command.tls");
  }

  @Test
  void policyPullsHaveDefaultsAndTheirOwnKeys() {
    assertThat(parse("url: http://c:1\ntoken_file: token").command().orElseThrow().policyPull())
        .isNull();
    assertThat(parse("url: http://c:1\ntoken_file: token\npolicy: {}").command().orElseThrow()
        .policyPull()).isEqualTo(new ProxyConfig.PolicyPull(Duration.ofSeconds(30),
            dir.resolve("spool/policy-cache.yaml")));
    assertThat(parse("url: http://c:1\ntoken_file: token\npolicy: { wait: 2m, cache_file:"
        + " var/last.yaml }").command().orElseThrow().policyPull()).isEqualTo(
            new ProxyConfig.PolicyPull(Duration.ofMinutes(2), dir.resolve("var/last.yaml")));
    assertThat(parse("url: http://c:1\ntoken_file: token\npolicy: { pull: false }").command()
        .orElseThrow().policyPull()).isNull();
    assertThatThrownBy(() -> parse("url: http://c:1\ntoken_file: token\npolicy: { wait: 6m }"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("custos.yaml:7:19: command.policy.wait: 6m (expected: more than 0, at most"
            + " 5m)");
    assertThatThrownBy(() -> parse("url: http://c:1\ntoken_file: token\npolicy: { pul: true }"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:7:");
  }

  @Test
  void theProxyIdDefaultsToTheHostName() {
    assertThat(parse("url: http://c:1\ntoken_file: token").command().orElseThrow().proxyId())
        .isNotBlank();
  }

  @Test
  void badValuesSayWhatWasExpectedAtTheirPosition() {
    assertThatThrownBy(() -> parse("url: ftp://command\ntoken_file: token"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:5:8: command.url: 'ftp://command' (expected:"
            + " matching ^https?://");
    assertThatThrownBy(() -> parse("url: http://c:1\ntoken_file: missing"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("custos.yaml:6:15: command.token_file: 'missing' is not a readable file"
            + " (expected: a file holding the token the command plane issued to this proxy,"
            + " relative to this file)");
    assertThatThrownBy(() -> parse("url: http://c:1\ntoken_file: empty-token"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("custos.yaml:6:15: command.token_file: empty (expected: the token the"
            + " command plane issued to this proxy)");
    assertThatThrownBy(() -> parse("url: http://c:1\ntoken_file: token\nspool_max_bytes: 1KiB"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("custos.yaml:7:20: command.spool_max_bytes: 1024 bytes (expected: at least"
            + " 64KiB)");
    assertThatThrownBy(() -> parse("url: http://c:1\ntoken_file: token\nbatch_max_events: 5000"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:7:21: command.batch_max_events: 5000");
    assertThatThrownBy(() -> parse(
        "url: http://c:1\ntoken_file: token\nbackoff: { initial: 2m, max: 1m }"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("custos.yaml:7:12: command.backoff: initial 2m is longer than max 1m"
            + " (expected: initial at most max)");
    assertThatThrownBy(() -> parse("url: http://c:1\ntoken_file: token\nproxy_id: 'a b'"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:7:13: command.proxy_id: 'a b' (expected:");
    assertThatThrownBy(() -> parse("url: http://c:1\ntoken_file: token\nspool: x"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:7:3: unknown key 'spool' in command (expected one"
            + " of: url, token_file, spool_dir,");
  }
}
