package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.custos.proxy.internal.BossGroups;
import dev.custos.proxy.internal.shared.TestRedis;
import io.micrometer.core.instrument.Gauge;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 part 6, canary halts: two real proxies share one Redis (127.0.0.1:6379, skipped when
 * absent, required under CI=true); a canary that fails through one proxy halts on both, and a
 * resume at the other resumes it on both.
 */
class SharedCanaryHaltTest {
  /** Generous: an await ends as soon as its condition holds, and CI's two cores are busy. */
  private static final Duration WAIT = Duration.ofSeconds(30);

  @RegisterExtension
  static final ServerExtension stable = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      sb.serviceUnder("/", (ctx, req) -> HttpResponse.of("stable"));
    }
  };

  @RegisterExtension
  static final ServerExtension broken = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      sb.serviceUnder("/", (ctx, req) -> HttpResponse.of(HttpStatus.INTERNAL_SERVER_ERROR));
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

  private CustosProxy proxy(String name, String prefix) {
    return proxy(name, TestRedis.URL, prefix, "fail_open");
  }

  private CustosProxy proxy(String name, String redisUrl, String prefix, String onUnavailable) {
    Path file = ProxyFixture.write(dir.resolve(name + ".yaml"), """
        listen: 127.0.0.1:0
        admin: 127.0.0.1:0
        findings: { file: off }
        shared_state:
          redis: %s
          key_prefix: "%s"
          connect_timeout: 1s
          command_timeout: 1s
          on_unavailable: %s
        routes:
          - name: halting
            match: { prefix: / }
            split:
              clusters:
                - { cluster: stable, weight: 1 }
                - { cluster: broken, weight: 1, canary: true }
              halt: { error_rate: 0.5, minimum_requests: 4, window: 1m }
        clusters:
          stable: { endpoints: ["127.0.0.1:%d"] }
          broken: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(redisUrl, prefix, onUnavailable, stable.httpPort(), broken.httpPort()));
    CustosProxy proxy = CustosProxy.builder(ProxyConfig.load(file)).watch(false).build().start();
    closing.add(proxy);
    return proxy;
  }

  private static double halted(CustosProxy proxy) {
    Gauge g = proxy.meterRegistry().find("custos.canary.halted").tag("route", "halting")
        .tag("cluster", "broken").gauge();
    return g == null ? -1 : g.value();
  }

  private static AggregatedHttpResponse get(CustosProxy proxy) {
    return WebClient.of("http://127.0.0.1:" + proxy.activeHttpPort()).get("/x").aggregate()
        .join();
  }

  @Test
  void anUnreachableRedisFailingClosedSendsEveryRequestToTheStableClusters() {
    CustosProxy p = proxy("closed", "redis://127.0.0.1:" + TestRedis.closedPort(), "custos:",
        "fail_closed");

    // Two reads refused: the first one's outcome (every canary halted) applies by the second.
    await().atMost(WAIT).until(() -> refusedCanaryReads(p) > 1);
    for (int i = 0; i < 20; i++) {
      AggregatedHttpResponse r = get(p);
      assertThat(r.status()).isEqualTo(HttpStatus.OK);
      assertThat(r.contentUtf8()).isEqualTo("stable");
    }
  }

  private static double refusedCanaryReads(CustosProxy proxy) {
    io.micrometer.core.instrument.Counter c = proxy.meterRegistry()
        .find("custos.shared.state.unavailable").tag("store", "canary")
        .tag("outcome", "refused").counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void aCanaryHaltedThroughOneProxyIsHaltedOnBothAndAResumeAtTheOtherResumesBoth() {
    TestRedis redis = TestRedis.require();
    closing.add(redis);
    CustosProxy a = proxy("a", redis.prefix);
    CustosProxy b = proxy("b", redis.prefix);

    // Half the requests through a go to the failing canary, until it halts there.
    await().atMost(WAIT).until(() -> {
      get(a);
      return halted(a) == 1;
    });
    // The halt is written behind the gauge: wait for the key.
    await().atMost(WAIT).until(() -> redis.keys().size() == 1);
    assertThat(redis.keys()).hasSize(1).allSatisfy(k -> assertThat(k)
        .startsWith(redis.prefix + "canary:").doesNotContain("halting").doesNotContain("broken"));

    // b has sent nothing to the canary, and halts it all the same: every request goes to stable.
    await().atMost(WAIT).until(() -> halted(b) == 1);
    for (int i = 0; i < 20; i++) {
      AggregatedHttpResponse r = get(b);
      assertThat(r.status()).isEqualTo(HttpStatus.OK);
      assertThat(r.contentUtf8()).isEqualTo("stable");
    }

    // A resume at b's admin server resumes the canary on a too.
    WebClient admin = WebClient.of("http://127.0.0.1:" + b.activeAdminPort().orElseThrow());
    assertThat(admin.blocking().post("/canaries/resume?route=halting&cluster=broken", "")
        .status()).isEqualTo(HttpStatus.OK);
    assertThat(halted(b)).isEqualTo(0);
    await().atMost(WAIT).until(() -> halted(a) == 0);
    await().atMost(WAIT).until(() -> redis.keys().isEmpty());
  }
}
