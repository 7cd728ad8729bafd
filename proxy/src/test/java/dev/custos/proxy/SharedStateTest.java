package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.custos.proxy.internal.BossGroups;
import dev.custos.proxy.internal.shared.TestRedis;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 part 6: replicas share budgets, rate limits and replay nonces through the real Redis
 * on 127.0.0.1:6379 (skipped when absent, required under CI=true): two real proxies in this
 * process, real clients, an upstream that hands out card numbers; and a Redis that cannot be
 * reached (a closed port) under fail_open and fail_closed.
 */
class SharedStateTest {
  /** {@code /cards/N} answers {@code {"card":"<the Nth card>"}}; anything else {@code ok}. */
  @RegisterExtension
  static final ServerExtension upstream = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      sb.service("/cards/{n}", (ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8,
          "{\"card\":\"" + card(Integer.parseInt(ctx.pathParam("n"))) + "\"}"));
      sb.serviceUnder("/", (ctx, req) -> HttpResponse.of("ok"));
    }
  };

  @TempDir
  Path dir;

  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  /** Returns the Nth of a series of distinct card numbers that pass the Luhn check. */
  static String card(int n) {
    String payload = "411111111111" + String.format("%03d", n);
    int sum = 0;
    for (int i = 0; i < payload.length(); i++) {
      int d = payload.charAt(payload.length() - 1 - i) - '0';
      if (i % 2 == 0) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
    }
    String s = payload + (10 - sum % 10) % 10;
    return s.substring(0, 4) + " " + s.substring(4, 8) + " " + s.substring(8, 12) + " "
        + s.substring(12);
  }

  private TestRedis redis() {
    TestRedis redis = TestRedis.require();
    closing.add(redis);
    return redis;
  }

  private CustosProxy proxy(String name, String yaml) {
    Path file = ProxyFixture.write(dir.resolve(name + ".yaml"), yaml);
    CustosProxy proxy = CustosProxy.builder(ProxyConfig.load(file)).watch(false).build().start();
    closing.add(proxy);
    return proxy;
  }

  private String config(String redisUrl, String prefix, String onUnavailable) {
    return """
        listen: 127.0.0.1:0
        findings: { file: off }
        shared_state:
          redis: %s
          key_prefix: "%s"
          connect_timeout: 1s
          command_timeout: 1s
          on_unavailable: %s
        routes:
          - name: cards
            match: { prefix: /cards }
            cluster: u
          - name: limited
            match: { prefix: /limited }
            cluster: u
            limits:
              - { key: route, requests: 1, per: 1h, burst: 3 }
          - name: orders
            match: { prefix: /orders }
            cluster: u
            replay_protection: { header: X-Nonce, window: 5m }
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          identity:
            - { from: header, name: X-Api-Key }
          rules:
            - name: ten cards per caller an hour
              match: { direction: response }
              categories: [credit_card]
              action: block
              when: { per_identity: { distinct_at_least: 11, window: 1h } }
        """.formatted(redisUrl, prefix, onUnavailable, upstream.httpPort());
  }

  private static AggregatedHttpResponse get(CustosProxy proxy, String path,
      Map<String, String> headers) {
    RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.GET, path);
    headers.forEach(h::add);
    AggregatedHttpResponse res = WebClient.of("http://127.0.0.1:" + proxy.activeHttpPort())
        .execute(h.build()).aggregate().join();
    // Budget writes go to Redis behind the answer: wait for them, so the next request sees them.
    await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
        .atMost(Duration.ofSeconds(10)).until(() -> pendingWrites(proxy) == 0);
    return res;
  }

  private static double pendingWrites(CustosProxy proxy) {
    Gauge g = proxy.meterRegistry().find("custos.shared.state.pending.writes").gauge();
    return g == null ? 0 : g.value();
  }

  private static HttpStatus pull(CustosProxy proxy, String apiKey, int card) {
    AggregatedHttpResponse res = get(proxy, "/cards/" + card, Map.of("x-api-key", apiKey));
    if (res.status() == HttpStatus.OK) {
      assertThat(res.contentUtf8()).contains(card(card));
    }
    return res.status();
  }

  private static double count(CustosProxy proxy, String name, String... tags) {
    Counter c = proxy.meterRegistry().find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void theEleventhDistinctCardPulledThroughEitherProxyIsBlocked() {
    TestRedis redis = redis();
    CustosProxy a = proxy("a", config(TestRedis.URL, redis.prefix, "fail_closed"));
    CustosProxy b = proxy("b", config(TestRedis.URL, redis.prefix, "fail_closed"));
    for (int i = 0; i < 10; i++) {
      assertThat(pull(i % 2 == 0 ? a : b, "key-alice", i)).as("card %d", i)
          .isEqualTo(HttpStatus.OK);
    }
    assertThat(pull(a, "key-alice", 10)).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(pull(b, "key-alice", 11)).isEqualTo(HttpStatus.FORBIDDEN);
    // A card counted already is not a new one, through either proxy; another caller counts apart.
    assertThat(pull(b, "key-alice", 0)).isEqualTo(HttpStatus.OK);
    assertThat(pull(a, "key-alice", 9)).isEqualTo(HttpStatus.OK);
    assertThat(pull(b, "key-bob", 10)).isEqualTo(HttpStatus.OK);

    // Redis holds hashes only: no card, no API key, in any key name or value. (The cards share
    // their first twelve digits; four digits alone also occur in a key's random UUID.)
    List<String> keys = redis.keys();
    assertThat(keys).isNotEmpty().allSatisfy(k -> assertThat(k).doesNotContain("key-alice")
        .doesNotContain("411111111111").doesNotContain("alice"));
    for (String k : keys.stream().filter(k -> k.endsWith(":v")).toList()) {
      Set<String> members = Set.copyOf(redis.commands().zrange(k, 0, -1));
      assertThat(members).isNotEmpty().allSatisfy(m -> assertThat(m)
          .doesNotContain("411111111111").doesNotContain("1111 "));
    }
    assertThat(count(a, "custos.shared.state.unavailable")).isZero();
    assertThat(count(b, "custos.shared.state.unavailable")).isZero();
  }

  @Test
  void aRouteBucketIsSharedByTheProxies() {
    TestRedis redis = redis();
    CustosProxy a = proxy("a", config(TestRedis.URL, redis.prefix, "fail_closed"));
    CustosProxy b = proxy("b", config(TestRedis.URL, redis.prefix, "fail_closed"));
    assertThat(get(a, "/limited", Map.of()).status()).isEqualTo(HttpStatus.OK);
    assertThat(get(b, "/limited", Map.of()).status()).isEqualTo(HttpStatus.OK);
    assertThat(get(a, "/limited", Map.of()).status()).isEqualTo(HttpStatus.OK);
    AggregatedHttpResponse refused = get(b, "/limited", Map.of());
    assertThat(refused.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    assertThat(refused.headers().get("retry-after")).isNotNull();
    assertThat(get(a, "/limited", Map.of()).status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    assertThat(count(b, "custos.rate.limited", "route", "limited")).isEqualTo(1);
    assertThat(redis.keys()).anySatisfy(k -> assertThat(k).startsWith(redis.prefix + "rate:"));
  }

  @Test
  void aNonceSeenByOneProxyIsAReplayAtTheOther() {
    TestRedis redis = redis();
    CustosProxy a = proxy("a", config(TestRedis.URL, redis.prefix, "fail_closed"));
    CustosProxy b = proxy("b", config(TestRedis.URL, redis.prefix, "fail_closed"));
    String nonce = "nonce-planted-7f3a91";
    assertThat(get(a, "/orders", Map.of("x-nonce", nonce)).status()).isEqualTo(HttpStatus.OK);
    assertThat(get(b, "/orders", Map.of("x-nonce", nonce)).status())
        .isEqualTo(HttpStatus.CONFLICT);
    assertThat(get(a, "/orders", Map.of("x-nonce", nonce)).status())
        .isEqualTo(HttpStatus.CONFLICT);
    assertThat(get(b, "/orders", Map.of("x-nonce", nonce + "-2")).status())
        .isEqualTo(HttpStatus.OK);
    List<String> keys = redis.keys();
    assertThat(keys).hasSize(2).allSatisfy(k -> assertThat(k).startsWith(redis.prefix + "nonce:")
        .doesNotContain("planted"));
    long ttl = redis.commands().pttl(keys.get(0));
    assertThat(ttl).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(5).toMillis());
  }

  @Test
  void anUnreachableRedisFailsOpenToThisProxysOwnCounts() {
    String url = "redis://127.0.0.1:" + TestRedis.closedPort();
    CustosProxy p = proxy("open", config(url, "custos-test-open:", "fail_open"));
    for (int i = 0; i < 10; i++) {
      assertThat(pull(p, "key-alice", i)).isEqualTo(HttpStatus.OK);
    }
    // The budget still holds, counted in this proxy's memory.
    assertThat(pull(p, "key-alice", 10)).isEqualTo(HttpStatus.FORBIDDEN);
    for (int i = 0; i < 3; i++) {
      assertThat(get(p, "/limited", Map.of()).status()).isEqualTo(HttpStatus.OK);
    }
    assertThat(get(p, "/limited", Map.of()).status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    assertThat(get(p, "/orders", Map.of("x-nonce", "n-1")).status()).isEqualTo(HttpStatus.OK);
    assertThat(get(p, "/orders", Map.of("x-nonce", "n-1")).status())
        .isEqualTo(HttpStatus.CONFLICT);
    assertThat(count(p, "custos.shared.state.unavailable", "store", "budget", "outcome",
        "fallback")).isGreaterThanOrEqualTo(11);
    assertThat(count(p, "custos.shared.state.unavailable", "store", "rate_limit", "outcome",
        "fallback")).isEqualTo(4);
    assertThat(count(p, "custos.shared.state.unavailable", "store", "nonce", "outcome",
        "fallback")).isEqualTo(2);
    assertThat(count(p, "custos.shared.state.unavailable", "outcome", "refused")).isZero();
  }

  @Test
  void anUnreachableRedisFailsClosedWith503() {
    String url = "redis://127.0.0.1:" + TestRedis.closedPort();
    CustosProxy p = proxy("closed", config(url, "custos-test-closed:", "fail_closed"));
    AggregatedHttpResponse budget = get(p, "/cards/0", Map.of("x-api-key", "key-alice"));
    assertThat(budget.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
    assertThat(budget.contentUtf8()).doesNotContain("4111").contains("shared state unavailable");
    assertThat(get(p, "/limited", Map.of()).status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
    assertThat(get(p, "/orders", Map.of("x-nonce", "n-1")).status())
        .isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
    assertThat(count(p, "custos.shared.state.unavailable", "store", "budget", "outcome",
        "refused")).isEqualTo(1);
    assertThat(count(p, "custos.shared.state.unavailable", "store", "rate_limit", "outcome",
        "refused")).isEqualTo(1);
    assertThat(count(p, "custos.shared.state.unavailable", "store", "nonce", "outcome",
        "refused")).isEqualTo(1);
    assertThat(count(p, "custos.requests.rejected", "reason", "shared_state_unavailable"))
        .isEqualTo(2);
    assertThat(p.meterRegistry().scrape()).doesNotContain("n-1").doesNotContain("key-alice");
  }

  @Test
  void aReloadMovesTheStateToRedisAndStoppingLeavesNoClientThread() {
    TestRedis redis = redis();
    Set<String> before = lettuceThreads();
    String shared = config(TestRedis.URL, redis.prefix, "fail_closed");
    String local = shared.replaceAll("(?s)shared_state:.*?on_unavailable: fail_closed\n", "");
    Path file = ProxyFixture.write(dir.resolve("reload.yaml"), local);
    CustosProxy p = CustosProxy.builder(ProxyConfig.load(file)).watch(false).build().start();
    try {
      assertThat(get(p, "/limited", Map.of()).status()).isEqualTo(HttpStatus.OK);
      assertThat(redis.keys()).isEmpty();
      p.reload(ProxyConfig.load(ProxyFixture.write(file, shared)));
      // A fresh bucket in Redis: three more requests pass, the fourth does not.
      for (int i = 0; i < 3; i++) {
        assertThat(get(p, "/limited", Map.of()).status()).isEqualTo(HttpStatus.OK);
      }
      assertThat(get(p, "/limited", Map.of()).status())
          .isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
      assertThat(redis.keys()).isNotEmpty();
      assertThat(lettuceThreads()).isNotEqualTo(before);
    } finally {
      p.close();
    }
    await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
        .atMost(Duration.ofSeconds(10)).until(() -> before.containsAll(lettuceThreads()));
  }

  private static Set<String> lettuceThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("lettuce-"))
        .map(t -> t.getName() + "#" + t.getId())
        .collect(Collectors.toSet());
  }
}
