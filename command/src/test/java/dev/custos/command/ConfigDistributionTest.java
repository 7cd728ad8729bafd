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
import dev.custos.proxy.CustosProxy;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.BossGroups;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Proxy configurations distributed end to end (issue 13 part 3): a real command plane (SQLite,
 * and PostgreSQL where it runs) and real proxies pulling their configuration. A configuration
 * rolled out to one proxy (the canary) runs there only, is reported as {@code config@N/...} and
 * kept on disk; promoted to every proxy it runs on both; aborted, both run their bootstrap file
 * again. One the proxy cannot apply live (a moved listener) is refused and reported; one the
 * plane's parser refuses is a 400 with line:column problems; with the plane down, a restarted
 * proxy runs the last good configuration from disk. A configuration naming a file is accepted by
 * the plane (which cannot see the proxies' disks) and checked by each proxy: applied where the
 * file is, refused where it is not. No planted card reaches the plane.
 */
class ConfigDistributionTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOKEN = "proxy-token-0123456789";
  static final String API_TOKEN = "api-token-9876543210";
  static final String CARD = "4111111111111111";
  static final Duration WAIT = Duration.ofSeconds(30);
  static final String DISABLE = PolicyDistributionTest.disableAllBut("credit_card");

  @TempDir
  Path dir;

  private Server upstream;
  private CommandPlane plane;
  private CommandConfig.Database db;
  private final List<CustosProxy> proxies = new ArrayList<>();

  private void startPlane(Databases.Kind kind) throws Exception {
    upstream = Server.builder().bossGroupFactory(BossGroups::newBossGroup).http(0).service("/echo", (ctx, req) -> HttpResponse.of(
        req.aggregate().thenApply(agg -> HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8,
            agg.content())))).build();
    upstream.start().join();
    db = Databases.fresh(kind, dir);
    CommandConfig base = CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens:
          - { name: edge, sha256: %s }
        api_tokens:
          - { name: alice, sha256: %s, role: admin }
        """.formatted(CommandPlaneTest.sha256(TOKEN), CommandPlaneTest.sha256(API_TOKEN)),
        "command.yaml", dir).withDatabase(db);
    plane = CommandPlane.builder(base).build();
    plane.start();
    Files.writeString(dir.resolve("token"), TOKEN + "\n");
  }

  @AfterEach
  void stop() {
    proxies.forEach(CustosProxy::stop);
    if (plane != null) {
      plane.stop();
    }
    if (upstream != null) {
      upstream.stop().join();
    }
    if (db != null) {
      Databases.drop(db);
    }
  }

  /** The bootstrap file: the command section, and a configuration that observes cards. */
  private CustosProxy startProxy(String id, int planePort) throws Exception {
    return startProxy(id, planePort, "");
  }

  private CustosProxy startProxy(String id, int planePort, String policyPull) throws Exception {
    Path folder = Files.createDirectories(dir.resolve(id));
    Files.writeString(folder.resolve("token"), TOKEN + "\n");
    Path file = folder.resolve("custos.yaml");
    Files.writeString(file, """
        listen: 127.0.0.1:0
        findings: { file: off }
        command:
          url: http://127.0.0.1:%d
          token_file: token
          spool_dir: spool
          proxy_id: %s
          linger: 20ms
          backoff: { initial: 20ms, max: 200ms }
          shutdown_timeout: 100ms
          config: { wait: 2s, cache_file: last-good-config.yaml }
          %s
        routes:
          - { name: api, match: { prefix: / }, cluster: u }
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          disable: %s
          rules:
            - { name: seen, categories: [credit_card], action: observe }
        """.formatted(planePort, id, policyPull, upstream.activeLocalPort(), DISABLE));
    CustosProxy proxy = CustosProxy.builder(ProxyConfig.load(file)).build().start();
    proxies.add(proxy);
    return proxy;
  }

  /** A distributed configuration: the same route and cluster, a policy that blocks cards. */
  private String blockingConfig(String listen) {
    return """
        listen: %s
        findings: { file: off }
        routes:
          - { name: api, match: { prefix: / }, cluster: u }
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          disable: %s
          rules:
            - { name: no cards, match: { direction: request }, categories: [credit_card],\
         action: block }
        """.formatted(listen, upstream.activeLocalPort(), DISABLE);
  }

  private WebClient api() {
    return WebClient.of(SessionProtocol.H2C, Endpoint.of("127.0.0.1", plane.activePort()));
  }

  private AggregatedHttpResponse admin(HttpMethod method, String path, String json) {
    return api().execute(HttpRequest.of(RequestHeaders.builder(method, path)
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + API_TOKEN)
        .contentType(MediaType.JSON_UTF_8).build(), HttpData.ofUtf8(json))).aggregate().join();
  }

  private AggregatedHttpResponse store(String name, String body) {
    return admin(HttpMethod.POST, "/api/v1/configs/" + name + "/versions",
        JSON.createObjectNode().put("body", body).put("comment", "cards blocked").toString());
  }

  private JsonNode get(String path) throws Exception {
    AggregatedHttpResponse res = api().execute(RequestHeaders.builder(HttpMethod.GET, path)
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + API_TOKEN).build()).aggregate().join();
    assertThat(res.status()).isEqualTo(HttpStatus.OK);
    return JSON.readTree(res.contentUtf8());
  }

  private static HttpStatus sendCard(CustosProxy proxy) {
    return WebClient.of("http://127.0.0.1:" + proxy.activeHttpPort()).execute(HttpRequest.of(
        HttpMethod.POST, "/echo", MediaType.JSON_UTF_8, "{\"card\":\"" + CARD + "\"}"))
        .aggregate().join().status();
  }

  private static double pulls(CustosProxy proxy, String outcome) {
    var c = proxy.meterRegistry().find("custos.config.pulls").tag("outcome", outcome).counter();
    return c == null ? 0 : c.count();
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void aCanaryRolloutRunsOnOneProxyUntilPromotedToAllAndAnAbortRestoresTheBootstrap(
      Databases.Kind kind) throws Exception {
    startPlane(kind);
    CustosProxy canary = startProxy("gw-1", plane.activePort());
    CustosProxy other = startProxy("gw-2", plane.activePort());
    String bootstrap = other.config().version();
    assertThat(sendCard(canary)).isEqualTo(HttpStatus.OK);

    AggregatedHttpResponse stored = store("edge", blockingConfig("127.0.0.1:0"));
    assertThat(stored.status()).isEqualTo(HttpStatus.CREATED);
    assertThat(JSON.readTree(stored.contentUtf8()).get("version").asInt()).isEqualTo(1);
    assertThat(get("/api/v1/configs").at("/configs/0/name").asText()).isEqualTo("edge");
    AggregatedHttpResponse started = admin(HttpMethod.POST, "/api/v1/rollouts",
        "{\"config\":\"edge\",\"version\":1,\"proxies\":[\"gw-1\"]}");
    assertThat(started.status()).isEqualTo(HttpStatus.CREATED);
    JsonNode rollout = JSON.readTree(started.contentUtf8());
    assertThat(rollout.get("kind").asText()).isEqualTo("proxy_config");
    assertThat(rollout.get("config").asText()).isEqualTo("edge");
    assertThat(rollout.get("enforce").asBoolean()).isTrue();
    long id = rollout.get("id").asLong();

    await().atMost(WAIT).until(() -> sendCard(canary) == HttpStatus.FORBIDDEN);
    assertThat(canary.config().version()).startsWith("edge@1/");
    assertThat(sendCard(other)).isEqualTo(HttpStatus.OK);
    assertThat(other.config().version()).isEqualTo(bootstrap);
    Path cache = dir.resolve("gw-1").resolve("last-good-config.yaml");
    assertThat(Files.readString(cache)).startsWith("# custos-config: edge@1\n# custos-etag: \"");
    // The bootstrap file changes (its command section): the pulled configuration stays.
    String pulled = canary.config().version();
    Path bootstrapFile = dir.resolve("gw-1").resolve("custos.yaml");
    Files.writeString(bootstrapFile, Files.readString(bootstrapFile)
        .replace("linger: 20ms", "linger: 300ms"));
    await().atMost(WAIT).until(() -> {
      var reloads = canary.meterRegistry().find("custos.config.reloads")
          .tag("result", "success").counter();
      return reloads != null && reloads.count() >= 1;
    });
    assertThat(canary.config().version()).isEqualTo(pulled);
    assertThat(canary.config().command().orElseThrow().linger()).hasMillis(300);
    assertThat(sendCard(canary)).isEqualTo(HttpStatus.FORBIDDEN);
    await().atMost(WAIT).untilAsserted(() -> assertThat(get("/api/v1/rollouts/" + id)
        .at("/status/0/running_version").asText()).startsWith("edge@1/"));
    await().atMost(WAIT).untilAsserted(() -> {
      JsonNode list = get("/api/v1/proxies").get("proxies");
      assertThat(list.findValuesAsText("proxy_id")).contains("gw-1", "gw-2");
      for (JsonNode p : list) {
        assertThat(p.get("config").asText("none")).isEqualTo(
            p.get("proxy_id").asText().equals("gw-1") ? "edge@1" : "none");
      }
    });

    AggregatedHttpResponse promoted = admin(HttpMethod.POST, "/api/v1/rollouts/" + id
        + "/promote", "{\"proxies\":[\"*\"]}");
    assertThat(promoted.status()).isEqualTo(HttpStatus.OK);
    await().atMost(WAIT).until(() -> sendCard(other) == HttpStatus.FORBIDDEN);
    assertThat(other.config().version()).isEqualTo(canary.config().version());

    assertThat(admin(HttpMethod.POST, "/api/v1/rollouts/" + id + "/abort", "").status())
        .isEqualTo(HttpStatus.OK);
    await().atMost(WAIT).until(() -> sendCard(canary) == HttpStatus.OK
        && sendCard(other) == HttpStatus.OK);
    assertThat(other.config().version()).isEqualTo(bootstrap);
    await().atMost(WAIT).until(() -> !Files.exists(cache));

    // Canary: the card sent through both proxies is in no table nor API answer of the plane.
    if (kind == Databases.Kind.SQLITE) {
      plane.stop();
      plane = null;
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : files.filter(f -> f.getFileName().toString().startsWith("command.db"))
            .toList()) {
          assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1))
              .doesNotContain(CARD);
        }
      }
    }
  }

  @Test
  void aPulledPolicyRunsInThePulledConfigurationAndBothAreReportedAndCounted() throws Exception {
    startPlane(Databases.Kind.SQLITE);
    CustosProxy proxy = startProxy("gw-1", plane.activePort(),
        "policy: { wait: 2s, cache_file: last-good-policy.yaml }");
    store("edge", blockingConfig("127.0.0.1:0"));
    admin(HttpMethod.POST, "/api/v1/rollouts",
        "{\"config\":\"edge\",\"version\":1,\"proxies\":[\"gw-1\"]}");
    await().atMost(WAIT).until(() -> sendCard(proxy) == HttpStatus.FORBIDDEN);
    assertThat(proxy.config().version()).matches("edge@1/[0-9a-f]{16}");

    // A policy in shadow mode: it replaces the pulled configuration's own.
    String observe = "version: 1\ndisable: " + DISABLE + "\nrules:\n  - { name: no cards,"
        + " match: { direction: request }, categories: [credit_card], action: block }\n";
    assertThat(admin(HttpMethod.POST, "/api/v1/policies/payments/versions",
        JSON.createObjectNode().put("body", observe).toString()).status())
        .isEqualTo(HttpStatus.CREATED);
    long id = JSON.readTree(admin(HttpMethod.POST, "/api/v1/rollouts",
        "{\"policy\":\"payments\",\"version\":1,\"proxies\":[\"gw-1\"]}").contentUtf8())
        .get("id").asLong();
    await().atMost(WAIT).until(() -> proxy.config().version()
        .equals("edge@1/payments@1+shadow"));
    assertThat(sendCard(proxy)).isEqualTo(HttpStatus.OK);
    // The shadow events, reported under edge@1/payments@1+shadow, count for the policy rollout.
    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(sendCard(proxy)).isEqualTo(HttpStatus.OK);
      JsonNode r = get("/api/v1/rollouts/" + id);
      assertThat(r.at("/would_have_blocked/by_rule/no cards").asLong()).isPositive();
      assertThat(r.at("/status/0/running_version").asText())
          .isEqualTo("edge@1/payments@1+shadow");
    });
  }

  @Test
  void aConfigurationThatWouldMoveTheListenerIsRefusedAndTheCurrentOneKeepsRunning()
      throws Exception {
    startPlane(Databases.Kind.SQLITE);
    CustosProxy proxy = startProxy("gw-1", plane.activePort());
    String bootstrap = proxy.config().version();
    assertThat(store("edge", blockingConfig("127.0.0.1:1")).status())
        .isEqualTo(HttpStatus.CREATED);
    assertThat(admin(HttpMethod.POST, "/api/v1/rollouts",
        "{\"config\":\"edge\",\"version\":1,\"proxies\":[\"*\"]}").status())
        .isEqualTo(HttpStatus.CREATED);

    await().atMost(WAIT).until(() -> pulls(proxy, "refused") >= 1);
    assertThat(proxy.config().version()).isEqualTo(bootstrap);
    assertThat(sendCard(proxy)).isEqualTo(HttpStatus.OK);
    assertThat(Files.exists(dir.resolve("gw-1").resolve("last-good-config.yaml"))).isFalse();
  }

  @Test
  void aConfigurationNamingAPolicyFileRunsOnTheProxyThatHasItAndIsRefusedByTheOneThatLacksIt()
      throws Exception {
    startPlane(Databases.Kind.SQLITE);
    CustosProxy holder = startProxy("gw-1", plane.activePort());
    CustosProxy lacking = startProxy("gw-2", plane.activePort());
    String bootstrap = lacking.config().version();
    Files.writeString(dir.resolve("gw-1").resolve("blocking-policy.yaml"), "version: 1\n"
        + "disable: " + DISABLE + "\nrules:\n  - { name: no cards, match: { direction: request },"
        + " categories: [credit_card], action: block }\n");
    String config = """
        listen: 127.0.0.1:0
        findings: { file: off }
        routes:
          - { name: api, match: { prefix: / }, cluster: u }
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy: blocking-policy.yaml
        """.formatted(upstream.activeLocalPort());

    // The plane cannot see the proxies' disks: it checks the path, each proxy the file.
    assertThat(store("edge", config).status()).isEqualTo(HttpStatus.CREATED);
    assertThat(admin(HttpMethod.POST, "/api/v1/rollouts",
        "{\"config\":\"edge\",\"version\":1,\"proxies\":[\"*\"]}").status())
        .isEqualTo(HttpStatus.CREATED);

    await().atMost(WAIT).until(() -> sendCard(holder) == HttpStatus.FORBIDDEN);
    assertThat(holder.config().version()).startsWith("edge@1/");
    assertThat(holder.config().policyFile())
        .contains(dir.resolve("gw-1").resolve("blocking-policy.yaml").toAbsolutePath());
    await().atMost(WAIT).until(() -> pulls(lacking, "invalid") >= 1);
    assertThat(lacking.config().version()).isEqualTo(bootstrap);
    assertThat(sendCard(lacking)).isEqualTo(HttpStatus.OK);
    assertThat(Files.exists(dir.resolve("gw-2").resolve("last-good-config.yaml"))).isFalse();
  }

  @Test
  void theProxysParserGuardsTheStoreWithLineAndColumnProblems() throws Exception {
    startPlane(Databases.Kind.SQLITE);
    AggregatedHttpResponse bad = store("edge", "listen: 127.0.0.1:0\nroutes: []\nclusters: {}\n"
        + "idle_timeout: soon\n");
    assertThat(bad.status()).isEqualTo(HttpStatus.BAD_REQUEST);
    JsonNode body = JSON.readTree(bad.contentUtf8());
    assertThat(body.get("error").asText()).startsWith("body: not a valid Custos proxy"
        + " configuration");
    assertThat(body.get("problems").get(0).asText()).matches("[0-9]+:[0-9]+: .*");

    AggregatedHttpResponse withCommand = store("edge", blockingConfig("127.0.0.1:0")
        + "command:\n  url: http://127.0.0.1:1\n  token_file: /nonexistent\n");
    assertThat(withCommand.status()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(JSON.readTree(withCommand.contentUtf8()).get("problems").toString())
        .contains(":1: command: set in a distributed configuration");

    assertThat(store("edge", blockingConfig("127.0.0.1:0")).status())
        .isEqualTo(HttpStatus.CREATED);
    assertThat(admin(HttpMethod.POST, "/api/v1/rollouts",
        "{\"config\":\"edge\",\"version\":1,\"proxies\":[\"*\"],\"enforce\":false}").status())
        .isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(admin(HttpMethod.POST, "/api/v1/rollouts",
        "{\"config\":\"edge\",\"version\":2,\"proxies\":[\"*\"]}").status())
        .isEqualTo(HttpStatus.NOT_FOUND);
  }

  @Test
  void withThePlaneDownARestartedProxyRunsTheLastGoodConfigurationFromDisk() throws Exception {
    startPlane(Databases.Kind.SQLITE);
    CustosProxy proxy = startProxy("gw-1", plane.activePort());
    store("edge", blockingConfig("127.0.0.1:0"));
    admin(HttpMethod.POST, "/api/v1/rollouts",
        "{\"config\":\"edge\",\"version\":1,\"proxies\":[\"gw-1\"]}");
    await().atMost(WAIT).until(() -> sendCard(proxy) == HttpStatus.FORBIDDEN);
    String pulled = proxy.config().version();

    int port = plane.activePort();
    plane.stop();
    plane = null;
    proxy.stop();
    proxies.clear();
    CustosProxy restarted = startProxy("gw-1", port);
    assertThat(restarted.config().version()).isEqualTo(pulled);
    assertThat(sendCard(restarted)).isEqualTo(HttpStatus.FORBIDDEN);
    await().atMost(WAIT).until(() -> pulls(restarted, "io") >= 1);
    assertThat(restarted.config().version()).isEqualTo(pulled);
  }
}
