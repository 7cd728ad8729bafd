package dev.custos.command.internal.policy;

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
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.SessionProtocol;
import dev.custos.command.CommandConfig;
import dev.custos.command.CommandPlane;
import dev.custos.command.internal.config.ConfigReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy API and the proxies' pull on a real plane (SQLite), with a real HTTP/2 client. */
class PolicyApiTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOKEN = "proxy-token-0123456789";
  static final String API_TOKEN = "api-token-9876543210";
  static final String READ_TOKEN = "read-token-5555555555";
  static final String POLICY = "version: 1\nrules:\n  - { name: no cards, categories:"
      + " [credit_card], action: block }\n";

  @TempDir
  Path dir;

  private CommandPlane plane;

  @BeforeEach
  void start() {
    plane = CommandPlane.builder(CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens:
          - { name: edge, sha256: %s }
        api_tokens:
          - { name: alice, sha256: %s, role: admin }
          - { name: bob, sha256: %s }
        """.formatted(sha256(TOKEN), sha256(API_TOKEN), sha256(READ_TOKEN)), "command.yaml",
        dir)).build();
    plane.start();
  }

  @AfterEach
  void stop() {
    plane.stop();
  }

  static String sha256(String s) {
    return HexFormat.of().formatHex(ConfigReader.sha256(s.getBytes(StandardCharsets.UTF_8)));
  }

  private WebClient client() {
    return client(plane);
  }

  /**
   * A client whose long polls are cut by the test's own waits only, not by Armeria's default
   * ten-second response timeout (which a loaded CI machine may reach).
   */
  private static WebClient client(CommandPlane plane) {
    return WebClient.builder(SessionProtocol.H2C, Endpoint.of("127.0.0.1", plane.activePort()))
        .responseTimeout(Duration.ofSeconds(90)).build();
  }

  private AggregatedHttpResponse call(HttpMethod method, String path, @Nullable String token,
      @Nullable String json) {
    RequestHeadersBuilder h = RequestHeaders.builder(method, path);
    if (token != null) {
      h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
    }
    if (json == null) {
      return client().execute(h.build()).aggregate().join();
    }
    return client().execute(HttpRequest.of(h.contentType(MediaType.JSON_UTF_8).build(),
        HttpData.ofUtf8(json))).aggregate().join();
  }

  private AggregatedHttpResponse admin(HttpMethod method, String path, @Nullable String json) {
    return call(method, path, API_TOKEN, json);
  }

  private CompletableFuture<AggregatedHttpResponse> pull(String proxyId,
      @Nullable String etag, String wait) {
    RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.GET,
        "/api/v1/proxy/policy?wait=" + wait)
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + TOKEN)
        .set("custos-proxy-id", proxyId)
        .set("custos-config-version", "local");
    if (etag != null) {
      h.set(HttpHeaderNames.IF_NONE_MATCH, etag);
    }
    return client().execute(h.build()).aggregate();
  }

  private static JsonNode json(AggregatedHttpResponse res) throws Exception {
    return JSON.readTree(res.contentUtf8());
  }

  private static String version(String body) {
    return JSON.createObjectNode().put("body", body).put("comment", "first").toString();
  }

  @Test
  void everyRouteNeedsACredential() {
    for (String path : new String[] {"/api/v1/policies", "/api/v1/policies/p",
        "/api/v1/policies/p/versions/1", "/api/v1/rollouts", "/api/v1/rollouts/1",
        "/api/v1/proxies"}) {
      assertThat(call(HttpMethod.GET, path, null, null).status()).as(path)
          .isEqualTo(HttpStatus.UNAUTHORIZED);
      assertThat(call(HttpMethod.GET, path, TOKEN, null).status()).as(path)
          .isEqualTo(HttpStatus.UNAUTHORIZED);
    }
    assertThat(call(HttpMethod.POST, "/api/v1/policies/p/versions", null, version(POLICY))
        .status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(call(HttpMethod.POST, "/api/v1/rollouts", "wrong", "{}").status())
        .isEqualTo(HttpStatus.UNAUTHORIZED);
    // The proxies' pull takes a proxy token, not an API token.
    AggregatedHttpResponse res = client().execute(RequestHeaders.builder(HttpMethod.GET,
        "/api/v1/proxy/policy").set(HttpHeaderNames.AUTHORIZATION, "Bearer " + API_TOKEN)
        .set("custos-proxy-id", "gw-1").build()).aggregate().join();
    assertThat(res.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
  }

  @Test
  void aReaderReadsButWritesNothing() throws Exception {
    assertThat(admin(HttpMethod.POST, "/api/v1/policies/payments/versions", version(POLICY))
        .status()).isEqualTo(HttpStatus.CREATED);
    assertThat(call(HttpMethod.GET, "/api/v1/policies/payments/versions/1", READ_TOKEN, null)
        .status()).isEqualTo(HttpStatus.OK);
    assertThat(call(HttpMethod.GET, "/api/v1/proxies", READ_TOKEN, null).status())
        .isEqualTo(HttpStatus.OK);
    assertThat(call(HttpMethod.POST, "/api/v1/policies/payments/versions", READ_TOKEN,
        version(POLICY.replace("block", "redact"))).status()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(call(HttpMethod.POST, "/api/v1/rollouts", READ_TOKEN,
        "{\"policy\":\"payments\",\"version\":1,\"proxies\":[\"*\"]}").status())
        .isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(call(HttpMethod.POST, "/api/v1/rollouts/1/abort", READ_TOKEN, null).status())
        .isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(json(admin(HttpMethod.GET, "/api/v1/rollouts", null)).get("rollouts")).isEmpty();
  }

  @Test
  void anInvalidPolicyIsRefusedWithEveryProblemByLineAndColumn() throws Exception {
    AggregatedHttpResponse res = admin(HttpMethod.POST, "/api/v1/policies/payments/versions",
        version("version: 1\nrules:\n  - { name: a, categories: [credit_card], action: explode"
            + " }\n  - { name: b, categories: [no_such_category], action: block }\nbogus: 1\n"));

    assertThat(res.status()).isEqualTo(HttpStatus.BAD_REQUEST);
    JsonNode body = json(res);
    assertThat(body.get("error").asText()).startsWith("body: not a valid Custos policy, ");
    assertThat(body.get("problems")).isNotEmpty();
    for (JsonNode p : body.get("problems")) {
      assertThat(p.asText()).matches("\\d+:\\d+: .*");
    }
    assertThat(body.get("problems").toString()).contains("3:").contains("5:");
    assertThat(admin(HttpMethod.GET, "/api/v1/policies/payments", null).status())
        .isEqualTo(HttpStatus.NOT_FOUND);
  }

  @Test
  void malformedRequestsSayWhatWasExpected() throws Exception {
    assertThat(json(admin(HttpMethod.POST, "/api/v1/policies/bad%20name/versions",
        version(POLICY))).get("error").asText()).startsWith("name: malformed (expected:");
    assertThat(json(admin(HttpMethod.POST, "/api/v1/policies/p/versions", "[1]"))
        .get("error").asText()).startsWith("body: not a JSON object");
    assertThat(json(admin(HttpMethod.POST, "/api/v1/policies/p/versions", "{}"))
        .get("error").asText()).startsWith("body: missing");
    AggregatedHttpResponse noVersion = admin(HttpMethod.POST, "/api/v1/rollouts",
        "{\"policy\":\"p\",\"version\":1,\"proxies\":[\"gw-1\"]}");
    assertThat(noVersion.status()).isEqualTo(HttpStatus.NOT_FOUND);
    assertThat(json(admin(HttpMethod.POST, "/api/v1/rollouts",
        "{\"policy\":\"p\",\"version\":1,\"proxies\":[\"a b\"]}")).get("error").asText())
        .startsWith("proxies: an entry is not a proxy id");
    assertThat(admin(HttpMethod.POST, "/api/v1/rollouts/7/promote", "{}").status())
        .isEqualTo(HttpStatus.NOT_FOUND);
    assertThat(admin(HttpMethod.GET, "/api/v1/rollouts/x", null).status())
        .isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(pull("gw-1", null, "forever").join().status())
        .isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(pull("bad id", null, "0").join().status()).isEqualTo(HttpStatus.BAD_REQUEST);
  }

  @Test
  void versionsRolloutsAndProxiesReadBack() throws Exception {
    AggregatedHttpResponse first = admin(HttpMethod.POST, "/api/v1/policies/payments/versions",
        version(POLICY));
    assertThat(first.status()).isEqualTo(HttpStatus.CREATED);
    assertThat(json(first).get("version").asInt()).isEqualTo(1);
    assertThat(json(first).get("author").asText()).isEqualTo("alice");
    AggregatedHttpResponse again = admin(HttpMethod.POST, "/api/v1/policies/payments/versions",
        version(POLICY));
    assertThat(again.status()).isEqualTo(HttpStatus.CONFLICT);
    admin(HttpMethod.POST, "/api/v1/policies/payments/versions",
        version(POLICY.replace("block", "redact")));

    JsonNode v2 = json(admin(HttpMethod.GET, "/api/v1/policies/payments/versions/2", null));
    assertThat(v2.get("diff").asText()).contains("-  - { name: no cards,")
        .contains("action: redact }");
    assertThat(v2.get("sha256").asText()).matches("[0-9a-f]{64}");
    assertThat(json(admin(HttpMethod.GET, "/api/v1/policies", null)).at("/policies/0"
        + "/latest_version").asInt()).isEqualTo(2);
    assertThat(json(admin(HttpMethod.GET, "/api/v1/policies/payments", null)).get("versions"))
        .hasSize(2);

    JsonNode rollout = json(admin(HttpMethod.POST, "/api/v1/rollouts",
        "{\"policy\":\"payments\",\"version\":2,\"proxies\":[\"gw-1\"]}"));
    assertThat(rollout.get("state").asText()).isEqualTo("shadow");
    assertThat(rollout.get("enforce").asBoolean()).isFalse();
    assertThat(rollout.get("created_by").asText()).isEqualTo("alice");
    assertThat(rollout.at("/would_have_blocked/events").asLong()).isZero();
    long id = rollout.get("id").asLong();

    AggregatedHttpResponse pulled = pull("gw-1", null, "0").join();
    assertThat(pulled.status()).isEqualTo(HttpStatus.OK);
    assertThat(pulled.headers().get("custos-policy-version")).isEqualTo("payments@2");
    assertThat(pulled.headers().get("custos-enforce")).isEqualTo("false");
    assertThat(pulled.contentUtf8()).isEqualTo(POLICY.replace("block", "redact"));
    assertThat(pull("gw-2", null, "0").join().status()).isEqualTo(HttpStatus.NO_CONTENT);

    JsonNode proxies = json(admin(HttpMethod.GET, "/api/v1/proxies", null));
    assertThat(proxies.at("/proxies/0/proxy_id").asText()).isEqualTo("gw-1");
    assertThat(proxies.at("/proxies/0/token_name").asText()).isEqualTo("edge");
    assertThat(proxies.at("/proxies/0/policy").asText()).isEqualTo("payments@2+shadow");
    assertThat(proxies.at("/proxies/1/policy").isNull()).isTrue();

    JsonNode aborted = json(admin(HttpMethod.POST, "/api/v1/rollouts/" + id + "/abort", null));
    assertThat(aborted.get("state").asText()).isEqualTo("aborted");
    assertThat(admin(HttpMethod.POST, "/api/v1/rollouts/" + id + "/promote", "{}").status())
        .isEqualTo(HttpStatus.CONFLICT);
    assertThat(json(admin(HttpMethod.GET, "/api/v1/rollouts", null)).get("rollouts"))
        .hasSize(1);
  }

  @Test
  void aLongPollOnOneReplicaWakesWhenARolloutStartsOnAnother() throws Exception {
    admin(HttpMethod.POST, "/api/v1/policies/payments/versions", version(POLICY));
    // A second replica over the same database (SQLite beside the same configuration).
    try (CommandPlane other = CommandPlane.builder(CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens:
          - { name: edge, sha256: %s }
        """.formatted(sha256(TOKEN)), "command.yaml", dir)).build()) {
      other.start();
      WebClient otherClient = client(other);
      CompletableFuture<AggregatedHttpResponse> waiting = otherClient.execute(
          RequestHeaders.builder(HttpMethod.GET, "/api/v1/proxy/policy?wait=5m")
              .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + TOKEN)
              .set("custos-proxy-id", "gw-1")
              .set(HttpHeaderNames.IF_NONE_MATCH, "\"local\"").build()).aggregate();
      // The poll is held: the other replica has nothing new for gw-1 yet.
      await().atMost(Duration.ofSeconds(30)).until(() -> json(admin(HttpMethod.GET,
          "/api/v1/proxies", null)).at("/proxies/0/proxy_id").asText().equals("gw-1"));
      assertThat(waiting).isNotDone();

      admin(HttpMethod.POST, "/api/v1/rollouts",
          "{\"policy\":\"payments\",\"version\":1,\"proxies\":[\"gw-1\"]}");

      AggregatedHttpResponse res = waiting.get(60, TimeUnit.SECONDS);
      assertThat(res.status()).isEqualTo(HttpStatus.OK);
      assertThat(res.headers().get("custos-policy-version")).isEqualTo("payments@1");
    }
  }

  @Test
  void theETagAnswersNotModifiedAndALongPollWakesWhenARolloutChanges() throws Exception {
    admin(HttpMethod.POST, "/api/v1/policies/payments/versions", version(POLICY));
    long id = json(admin(HttpMethod.POST, "/api/v1/rollouts",
        "{\"policy\":\"payments\",\"version\":1,\"proxies\":[\"*\"]}")).get("id").asLong();
    AggregatedHttpResponse first = pull("gw-1", null, "0").join();
    String etag = first.headers().get(HttpHeaderNames.ETAG);
    assertThat(etag).endsWith("-shadow\"");

    assertThat(pull("gw-1", etag, "0").join().status()).isEqualTo(HttpStatus.NOT_MODIFIED);
    CompletableFuture<AggregatedHttpResponse> waiting = pull("gw-1", etag, "5m");
    admin(HttpMethod.POST, "/api/v1/rollouts/" + id + "/promote", "{}");

    // Woken by the promotion, long before the five minutes.
    AggregatedHttpResponse promoted = waiting.get(60, TimeUnit.SECONDS);
    assertThat(promoted.status()).isEqualTo(HttpStatus.OK);
    assertThat(promoted.headers().get("custos-enforce")).isEqualTo("true");
    assertThat(promoted.headers().get(HttpHeaderNames.ETAG)).isNotEqualTo(etag)
        .doesNotContain("shadow");
  }
}
