package dev.custos.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.Server;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.Policy;
import dev.custos.proxy.CustosProxy;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.BossGroups;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 part 3 end to end: a real command plane (SQLite) and a real proxy pulling its policy.
 * An admin stores a policy version and rolls it out in shadow mode to the proxy: a request with
 * a card passes, its event says shadow and names the rule, and the rollout shows what it would
 * have blocked; promoted, the same request is blocked. A body the proxy's parser refuses keeps
 * the current policy; with the plane down, a restarted proxy runs the last good policy from disk.
 */
class PolicyDistributionTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOKEN = "proxy-token-0123456789";
  static final String API_TOKEN = "api-token-9876543210";
  static final String CARD = "4111111111111111";
  static final Duration WAIT = Duration.ofSeconds(30);
  /** Only credit_card: compiling the whole catalog is slow on a busy machine. */
  static final String DISABLE = disableAllBut("credit_card");

  @TempDir
  Path dir;

  private Server upstream;
  private CommandPlane plane;
  private CustosProxy proxy;
  private int planePort;

  static String disableAllBut(String category) {
    Set<String> others = new TreeSet<>();
    for (DetectorDefinition d : Policy.ofDefault().detectors()) {
      if (!d.category().equals(category)) {
        others.add(d.category());
      }
    }
    return "[" + String.join(", ", others) + "]";
  }

  @BeforeEach
  void start() throws Exception {
    upstream = Server.builder().bossGroupFactory(BossGroups::newBossGroup).http(0).service("/echo", (ctx, req) -> HttpResponse.of(
        req.aggregate().thenApply(agg -> HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8,
            agg.content())))).build();
    upstream.start().join();
    CommandConfig base = CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens:
          - { name: edge, sha256: %s }
        api_tokens:
          - { name: alice, sha256: %s, role: admin }
        """.formatted(CommandPlaneTest.sha256(TOKEN), CommandPlaneTest.sha256(API_TOKEN)),
        "command.yaml", dir);
    plane = CommandPlane.builder(base).build();
    plane.start();
    planePort = plane.activePort();
    Files.writeString(dir.resolve("token"), TOKEN + "\n");
  }

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.stop();
    }
    if (plane != null) {
      plane.stop();
    }
    upstream.stop().join();
  }

  private CustosProxy startProxy() {
    ProxyConfig config = ProxyConfig.parse("""
        listen: 127.0.0.1:0
        findings: { file: off }
        command:
          url: http://127.0.0.1:%d
          token_file: token
          spool_dir: spool
          proxy_id: gw-1
          linger: 20ms
          backoff: { initial: 20ms, max: 200ms }
          shutdown_timeout: 100ms
          policy: { wait: 2s, cache_file: last-good-policy.yaml }
        routes:
          - { name: api, match: { prefix: / }, cluster: u }
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          disable: %s
          rules:
            - { name: seen, categories: [credit_card], action: observe }
        """.formatted(planePort, upstream.activeLocalPort(), DISABLE), "custos.yaml",
        dir);
    proxy = CustosProxy.builder(config).build().start();
    return proxy;
  }

  private WebClient api() {
    return WebClient.of(SessionProtocol.H2C, Endpoint.of("127.0.0.1", plane.activePort()));
  }

  private AggregatedHttpResponse admin(HttpMethod method, String path, String json) {
    return api().execute(HttpRequest.of(RequestHeaders.builder(method, path)
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + API_TOKEN)
        .contentType(MediaType.JSON_UTF_8).build(), HttpData.ofUtf8(json))).aggregate().join();
  }

  private JsonNode get(String path) throws Exception {
    AggregatedHttpResponse res = api().execute(RequestHeaders.builder(HttpMethod.GET, path)
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + API_TOKEN).build()).aggregate().join();
    assertThat(res.status()).isEqualTo(HttpStatus.OK);
    return JSON.readTree(res.contentUtf8());
  }

  private HttpStatus sendCard() {
    return WebClient.of("http://127.0.0.1:" + proxy.activeHttpPort()).execute(HttpRequest.of(
        HttpMethod.POST, "/echo", MediaType.JSON_UTF_8, "{\"card\":\"" + CARD + "\"}"))
        .aggregate().join().status();
  }

  private static String blockCards() {
    return "version: 1\ndisable: " + DISABLE + "\nrules:\n  - { name: no cards, match: {"
        + " direction: request }, categories: [credit_card], action: block }\n";
  }

  private double pulls(String outcome) {
    var c = proxy.meterRegistry().find("custos.policy.pulls").tag("outcome", outcome).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void aShadowRolloutIsPulledShowsWhatItWouldHaveBlockedAndBlocksOncePromoted()
      throws Exception {
    startProxy();
    assertThat(sendCard()).isEqualTo(HttpStatus.OK);

    AggregatedHttpResponse stored = admin(HttpMethod.POST, "/api/v1/policies/payments/versions",
        JSON.createObjectNode().put("body", blockCards()).put("comment", "block cards")
            .toString());
    assertThat(stored.status()).isEqualTo(HttpStatus.CREATED);
    assertThat(JSON.readTree(stored.contentUtf8()).get("author").asText()).isEqualTo("alice");
    AggregatedHttpResponse started = admin(HttpMethod.POST, "/api/v1/rollouts",
        "{\"policy\":\"payments\",\"version\":1,\"proxies\":[\"gw-1\"],\"enforce\":false}");
    assertThat(started.status()).isEqualTo(HttpStatus.CREATED);
    long id = JSON.readTree(started.contentUtf8()).get("id").asLong();

    await().atMost(WAIT).until(() -> proxy.config().version().equals("payments@1+shadow"));
    assertThat(proxy.config().policy().enforce()).isFalse();
    // Shadow: the card passes, and its event reaches the plane as would-have-blocked.
    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(sendCard()).isEqualTo(HttpStatus.OK);
      JsonNode r = get("/api/v1/rollouts/" + id);
      assertThat(r.at("/would_have_blocked/by_rule/no cards").asLong()).isPositive();
    });
    await().atMost(WAIT).untilAsserted(() -> assertThat(get("/api/v1/rollouts/" + id)
        .at("/status/0/running_version").asText()).isEqualTo("payments@1+shadow"));
    JsonNode proxies = get("/api/v1/proxies");
    assertThat(proxies.at("/proxies/0/proxy_id").asText()).isEqualTo("gw-1");
    assertThat(proxies.at("/proxies/0/policy").asText()).isEqualTo("payments@1+shadow");

    AggregatedHttpResponse promoted = admin(HttpMethod.POST, "/api/v1/rollouts/" + id
        + "/promote", "{}");
    assertThat(promoted.status()).isEqualTo(HttpStatus.OK);
    assertThat(JSON.readTree(promoted.contentUtf8()).get("state").asText())
        .isEqualTo("promoted");
    await().atMost(WAIT).until(() -> proxy.config().version().equals("payments@1"));
    await().atMost(WAIT).until(() -> sendCard() == HttpStatus.FORBIDDEN);
    Path cache = dir.resolve("last-good-policy.yaml");
    assertThat(Files.readString(cache)).startsWith("# custos-policy: payments@1\n"
        + "# custos-enforce: true\n");

    // A version the proxy's parser refuses (stored behind the plane's back, as a newer plane's
    // schema might allow it): the proxy keeps running what it has.
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:"
        + dir.resolve("custos-command.db"));
        PreparedStatement ps = c.prepareStatement("INSERT INTO document_versions (kind, name,"
            + " version, author, created_ms, comment, sha256, body, diff) VALUES ('policy',"
            + " 'payments', 2, 'alice', 0, '', ?, ?, '')")) {
      ps.setString(1, "ab".repeat(32));
      ps.setString(2, "version: 1\nrules: [ { name: x, action: explode } ]\n");
      ps.executeUpdate();
    }
    assertThat(admin(HttpMethod.POST, "/api/v1/rollouts",
        "{\"policy\":\"payments\",\"version\":2,\"proxies\":[\"*\"],\"enforce\":true}").status())
        .isEqualTo(HttpStatus.CREATED);
    await().atMost(WAIT).until(() -> pulls("invalid") >= 1);
    assertThat(proxy.config().version()).isEqualTo("payments@1");
    assertThat(sendCard()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(Files.readString(cache)).startsWith("# custos-policy: payments@1\n");

    // The plane goes down; a restarted proxy runs the last good policy from disk.
    plane.stop();
    plane = null;
    proxy.stop();
    startProxy();
    assertThat(proxy.config().version()).isEqualTo("payments@1");
    assertThat(sendCard()).isEqualTo(HttpStatus.FORBIDDEN);
    await().atMost(WAIT).until(() -> pulls("io") >= 1);
    assertThat(proxy.config().version()).isEqualTo("payments@1");
  }

  @Test
  void withoutACachedPolicyAndNoPlaneTheLocalPolicyRuns() {
    plane.stop();
    plane = null;
    startProxy();
    assertThat(proxy.config().version()).isNotEqualTo("payments@1");
    assertThat(sendCard()).isEqualTo(HttpStatus.OK);
  }

  @Test
  void anAbortedRolloutSendsTheProxyBackToItsLocalPolicy() throws Exception {
    startProxy();
    String local = proxy.config().version();
    admin(HttpMethod.POST, "/api/v1/policies/payments/versions",
        JSON.createObjectNode().put("body", blockCards()).toString());
    long id = JSON.readTree(admin(HttpMethod.POST, "/api/v1/rollouts",
        "{\"policy\":\"payments\",\"version\":1,\"proxies\":[\"*\"],\"enforce\":true}")
        .contentUtf8()).get("id").asLong();
    await().atMost(WAIT).until(() -> sendCard() == HttpStatus.FORBIDDEN);
    assertThat(Files.exists(dir.resolve("last-good-policy.yaml"))).isTrue();

    assertThat(admin(HttpMethod.POST, "/api/v1/rollouts/" + id + "/abort", "").status())
        .isEqualTo(HttpStatus.OK);
    await().atMost(WAIT).until(() -> proxy.config().version().equals(local));
    await().atMost(WAIT).until(() -> sendCard() == HttpStatus.OK);
    // The puller deletes the cache file just after it applies the local policy, on its own
    // thread: awaited, not read once.
    await().atMost(WAIT).until(() -> !Files.exists(dir.resolve("last-good-policy.yaml")));
    assertThat(List.of(proxy.config().policy().rules().get(0).name())).containsExactly("seen");
  }
}
