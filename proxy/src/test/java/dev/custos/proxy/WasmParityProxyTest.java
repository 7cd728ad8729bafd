package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.dylibso.chicory.wabt.Wat2Wasm;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.custos.engine.config.ConfigException;
import dev.custos.proxy.internal.BossGroups;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Runs the parity filter and service (WebAssembly text doing what the Go, Rust and C++ SDKs do)
 * through the real proxy with real clients: where Custos must behave as Envoy does.
 */
class WasmParityProxyTest {
  /** Echoes the path and the request headers it got. */
  static final class Backend extends ServerExtension {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      sb.requestTimeout(Duration.ZERO);
      sb.serviceUnder("/", (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> {
        StringBuilder headers = new StringBuilder();
        agg.headers().forEach((k, v) -> headers.append(k).append('=').append(v).append('\n'));
        return HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8,
            "path=" + agg.path() + "\n" + headers);
      })));
    }
  }

  /** The {@code auth} cluster: answers {@code /check} with a token. */
  static final class Auth extends ServerExtension {
    final AtomicInteger hits = new AtomicInteger();

    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      sb.service("/check", (ctx, req) -> {
        hits.incrementAndGet();
        return HttpResponse.of("token-42");
      });
    }
  }

  @RegisterExtension
  static final Backend backend = new Backend();
  @RegisterExtension
  static final Auth auth = new Auth();

  static final Path WAT = Path.of("../wasm/src/test/resources/proxywasm");

  @TempDir
  Path dir;

  private String wasm(Path wat, String name) {
    try {
      Files.write(dir.resolve(name), Wat2Wasm.parse(Files.readString(wat)));
      return name;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String config(String top, String filters) {
    return """
        listen: 127.0.0.1:0
        admin: 127.0.0.1:0
        workers: 4
        %s
        routes:
          - name: api
            match: { prefix: /api }
            cluster: backend
            wasm_filters:
        %s
        clusters:
          backend: { endpoints: ["127.0.0.1:%d"] }
          auth: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(top.stripTrailing(), filters.indent(6).stripTrailing(), backend.httpPort(),
        auth.httpPort());
  }

  private String parityFilter() {
    return """
        - name: parity
          path: %s
          vm_id: shared
          timeout_ms: 1000
        """.formatted(wasm(WAT.resolve("parity-filter.wat"), "parity.wasm"));
  }

  private ProxyFixture start(String top, String filters) {
    return ProxyFixture.start(dir, config(top, filters));
  }

  private static double counter(ProxyFixture p, String name) {
    Counter c = p.proxy.meterRegistry().find(name).counter();
    return c == null ? 0 : c.count();
  }

  @ParameterizedTest
  @EnumSource(value = Clients.class, names = {"ARMERIA_H1C", "JDK_HTTP_2"})
  void httpCallAnsweredOnTheRootContextContinuesTheRequest(Clients client) {
    try (ProxyFixture p = start("", parityFilter())) {
      int before = auth.hits.get();
      Clients.Response res = client.get(p.http(), "/api/call");
      assertThat(res.status()).isEqualTo(200);
      assertThat(res.body()).contains("path=/api/call").contains("x-auth=token-42");
      assertThat(auth.hits.get()).isEqualTo(before + 1);
    }
  }

  @ParameterizedTest
  @EnumSource(value = Clients.class, names = {"ARMERIA_H2C", "JDK_HTTP_1_1"})
  void streamContinuedOrAnsweredFromATickProceeds(Clients client) {
    try (ProxyFixture p = start("", parityFilter())) {
      Clients.Response continued = client.get(p.http(), "/api/tick");
      assertThat(continued.status()).isEqualTo(200);
      assertThat(continued.body()).contains("path=/api/tick");
      Clients.Response denied = client.get(p.http(), "/api/deny");
      assertThat(denied.status()).isEqualTo(403);
      assertThat(denied.body()).isEqualTo("denied");
    }
  }

  @ParameterizedTest
  @EnumSource(Clients.class)
  void filterSeesAuthorityAndRequestHostNeverHostOnEveryProtocol(Clients client) {
    try (ProxyFixture p = start("", parityFilter())) {
      String authority = p.http().substring("http://".length());
      Clients.Response res = client.get(p.http(), "/api/authority");
      assertThat(res.status()).isEqualTo(200);
      assertThat(res.body())
          .contains("x-seen-authority=" + authority)
          .contains("x-seen-request-host=" + authority)
          .doesNotContain("x-seen-host=");
    }
  }

  @Test
  void vmStartGetsItsOwnDeadlineLongerThanTheCallTimeout() {
    String slow = wasm(Path.of("src/test/resources/wasm/slow-start.wat"), "slow.wasm");
    try (ProxyFixture p = start("", """
        - name: slow
          path: %s
          timeout_ms: 50
        """.formatted(slow))) {
      assertThat(Clients.ARMERIA_H2C.get(p.http(), "/api/x").status()).isEqualTo(200);
      assertThat(counter(p, "custos.wasm.filter.failures")).isZero();
    }
    assertThatThrownBy(() -> start("", """
        - name: slow
          path: %s
          timeout_ms: 50
          start_timeout_ms: 100
        """.formatted(slow)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("routes.api.wasm_filters.slow")
        .hasMessageContaining("deadline of 100 ms");
  }

  @Test
  void startTimeoutOutOfRangeIsAConfigErrorAtItsLine() {
    String file = wasm(WAT.resolve("parity-filter.wat"), "parity.wasm");
    assertThatThrownBy(() -> start("", """
        - name: parity
          path: %s
          start_timeout_ms: 0
        """.formatted(file)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:")
        .hasMessageContaining("start_timeout_ms");
  }

  @Test
  void vmsStartAtLoadSoSharedDataIsNotResetByALaterLoopsStart() {
    try (ProxyFixture p = start("", parityFilter())) {
      // Fresh JDK clients open new connections, which land on different event loops.
      for (int i = 1; i <= 12; i++) {
        Clients c = i % 2 == 0 ? Clients.JDK_HTTP_1_1 : Clients.JDK_HTTP_2;
        assertThat(c.get(p.http(), "/api/count").body()).contains("x-count=" + i);
      }
    }
  }

  private String service() {
    return """
        wasm_services:
          - name: parity-service
            path: %s
            vm_id: shared
            timeout_ms: 1000
        """.formatted(wasm(WAT.resolve("parity-service.wat"), "service.wasm"));
  }

  @Test
  void rootOnlyServiceTicksBeforeAnyTrafficAndSharesWhatItFetchedWithFilters() {
    try (ProxyFixture p = start(service(), parityFilter())) {
      await().atMost(Duration.ofSeconds(10)).until(() ->
          counter(p, "parity_service_ticks") >= 2 && auth.hits.get() > 0);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(Clients.ARMERIA_H1C.get(p.http(), "/api/token").body())
              .contains("x-token=token-42"));
    }
  }

  @Test
  void itemsAFilterEnqueuesReachTheServiceThatRegisteredTheQueue() {
    try (ProxyFixture p = start(service(), parityFilter())) {
      for (Clients c : Clients.values()) {
        assertThat(c.send(p.http(), "POST", "/api/enqueue", Map.of(), "x").status())
            .isEqualTo(200);
      }
      await().atMost(Duration.ofSeconds(10)).until(() ->
          counter(p, "parity_queue_items") == Clients.values().length);
    }
  }

  @Test
  void goStylePanicTrapsTheFilterAndTheNextRequestGetsANewVm() {
    try (ProxyFixture p = start("", parityFilter().replace("timeout_ms: 1000",
        "timeout_ms: 1000\n  restart_backoff: 1ms\n  max_restart_backoff: 1ms"))) {
      assertThat(Clients.ARMERIA_H2C.get(p.http(), "/api/panic").status()).isEqualTo(500);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(Clients.ARMERIA_H2C.get(p.http(), "/api/fine").status()).isEqualTo(200));
    }
  }

  @Test
  void sameModuleOnTwoRoutesRunsOnBoth() {
    String file = wasm(WAT.resolve("parity-filter.wat"), "parity.wasm");
    String yaml = config("", parityFilter()).replace("""
        clusters:
        """, """
          - name: other
            match: { prefix: /other }
            cluster: backend
            wasm_filters:
              - name: parity
                path: %s
                vm_id: shared
        clusters:
        """.formatted(file));
    try (ProxyFixture p = ProxyFixture.start(dir, yaml)) {
      assertThat(Clients.ARMERIA_H1C.get(p.http(), "/api/authority").body())
          .contains("x-seen-authority=");
      assertThat(Clients.ARMERIA_H1C.get(p.http(), "/other/authority").body())
          .contains("x-seen-authority=");
    }
  }
}
