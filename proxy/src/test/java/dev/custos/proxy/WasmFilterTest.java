package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.dylibso.chicory.wabt.Wat2Wasm;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.custos.engine.config.ConfigException;
import dev.custos.proxy.internal.BossGroups;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Runs proxy-wasm filters in a route's filter chain through the real proxy, with real clients
 * over HTTP/1.1 and HTTP/2: the WAT and AssemblyScript example filters, and hostile filters.
 */
class WasmFilterTest {
  /** Counts hits; {@code /api/secrets} streams a body with "secret" split across chunks. */
  static final class Backend extends ServerExtension {
    final AtomicInteger hits = new AtomicInteger();

    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      sb.requestTimeout(Duration.ZERO);
      sb.serviceUnder("/", (ctx, req) -> {
        hits.incrementAndGet();
        return HttpResponse.of(req.aggregate().thenApply(agg -> {
          StringBuilder headers = new StringBuilder();
          agg.headers().forEach((k, v) -> headers.append(k).append('=').append(v).append('\n'));
          return HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8,
              "path=" + agg.path() + "\nbody=" + agg.contentUtf8() + "\n" + headers);
        }));
      });
      sb.service("/api/secrets", (ctx, req) -> {
        hits.incrementAndGet();
        HttpResponseWriter res = HttpResponse.streaming();
        res.write(ResponseHeaders.builder(HttpStatus.OK).contentType(MediaType.PLAIN_TEXT_UTF_8)
            .contentLength(39).build());
        String[] chunks = {"the sec", "ret is: se", "cret and secre", "t again\n"};
        write(res, chunks, 0);
        return res;
      });
    }

    private static void write(HttpResponseWriter res, String[] chunks, int i) {
      if (i == chunks.length) {
        res.close();
        return;
      }
      res.write(HttpData.ofUtf8(chunks[i]));
      res.whenConsumed().thenRun(() -> write(res, chunks, i + 1));
    }
  }

  /** The {@code auth} cluster the example filter calls on {@code /call} paths. */
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

  @TempDir
  Path dir;

  static final Path EXAMPLE_WAT =
      Path.of("../wasm/src/test/resources/proxywasm/example-filter.wat");
  static final Path EXAMPLE_AS =
      Path.of("../examples/proxy-wasm/assemblyscript/build/example-filter.wasm");

  /** Compiles a WAT file into {@code dir} and returns its file name. */
  private String wasm(Path wat, String name) {
    try {
      byte[] bytes = Wat2Wasm.parse(Files.readString(wat));
      Files.write(dir.resolve(name), bytes);
      return name;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String hostile(String resource) {
    return wasm(Path.of("src/test/resources/wasm/" + resource + ".wat"), resource + ".wasm");
  }

  private String copy(Path from, String name) {
    try {
      Files.copy(from, dir.resolve(name));
      return name;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String sha256(String file) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(Files.readAllBytes(dir.resolve(file))));
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private String config(String filters) {
    return """
        listen: 127.0.0.1:0
        admin: 127.0.0.1:0
        routes:
          - name: api
            match: { prefix: /api }
            cluster: backend
            wasm_filters:
        %s
          - name: plain
            match: { prefix: / }
            cluster: backend
        clusters:
          backend: { endpoints: ["127.0.0.1:%d"] }
          auth: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(filters.indent(6).stripTrailing(), backend.httpPort(), auth.httpPort());
  }

  private String example(String file, boolean pinned) {
    return """
        - name: example
          path: %s
        %s  config: '{"header":"x-checked"}'
          root_id: custos_example
        """.formatted(file, pinned ? "  sha256: " + sha256(file) + "\n" : "");
  }

  private ProxyFixture start(String filters) {
    return ProxyFixture.start(dir, config(filters));
  }

  private static double failures(ProxyFixture p, String kind) {
    Counter c = p.proxy.meterRegistry().find("custos.wasm.filter.failures").tag("kind", kind)
        .counter();
    return c == null ? 0 : c.count();
  }

  @ParameterizedTest
  @EnumSource(Clients.class)
  void exampleFilterAddsTheConfiguredResponseHeader(Clients client) {
    try (ProxyFixture p = start(example(wasm(EXAMPLE_WAT, "example.wasm"), true))) {
      Clients.Response res = client.get(p.http(), "/api/hello");
      assertThat(res.status()).isEqualTo(200);
      assertThat(res.header("x-checked")).isEqualTo("yes");
      assertThat(res.body()).contains("path=/api/hello");
      assertThat(client.get(p.http(), "/other").header("x-checked")).isNull();
    }
  }

  @ParameterizedTest
  @EnumSource(Clients.class)
  void forbiddenPathIsAnsweredLocallyWithoutTouchingTheUpstream(Clients client) {
    try (ProxyFixture p = start(example(wasm(EXAMPLE_WAT, "example.wasm"), false))) {
      int before = backend.hits.get();
      Clients.Response res = client.send(p.http(), "POST", "/api/forbidden/x", Map.of(), "data");
      assertThat(res.status()).isEqualTo(403);
      assertThat(res.body()).isEqualTo("access denied");
      assertThat(backend.hits.get()).isEqualTo(before);
    }
  }

  @ParameterizedTest
  @EnumSource(Clients.class)
  void responseBodyStreamedInChunksIsRewritten(Clients client) {
    try (ProxyFixture p = start(example(wasm(EXAMPLE_WAT, "example.wasm"), true))) {
      Clients.Response res = client.get(p.http(), "/api/secrets");
      assertThat(res.status()).isEqualTo(200);
      assertThat(res.body()).isEqualTo("the ****** is: ****** and ****** again\n");
      assertThat(res.header("content-length")).isNotEqualTo("39");
    }
  }

  @ParameterizedTest
  @EnumSource(Clients.class)
  void httpCallGoesToTheAuthClusterAndItsAnswerReachesTheUpstream(Clients client) {
    try (ProxyFixture p = start(example(wasm(EXAMPLE_WAT, "example.wasm"), true))) {
      int before = auth.hits.get();
      Clients.Response res = client.get(p.http(), "/api/call");
      assertThat(res.status()).isEqualTo(200);
      assertThat(res.body()).contains("x-auth=token-42");
      assertThat(auth.hits.get()).isEqualTo(before + 1);
    }
  }

  @Test
  void filterMetricsAppearOnTheAdminMetricsAndItsDefinitionOnConfig() {
    try (ProxyFixture p = start(example(wasm(EXAMPLE_WAT, "example.wasm"), true))) {
      assertThat(Clients.JDK_HTTP_1_1.get(p.http(), "/api/x").status()).isEqualTo(200);
      String metrics = Clients.JDK_HTTP_1_1.get(p.admin(), "/metrics").body();
      assertThat(metrics).contains("example_requests_total{plugin=\"example\"}");
      String config = Clients.JDK_HTTP_1_1.get(p.admin(), "/config").body();
      assertThat(config).contains("\"wasm_filters\"").contains("\"config_bytes\" : 22")
          .doesNotContain("x-checked");
    }
  }

  @ParameterizedTest
  @EnumSource(value = Clients.class, names = {"ARMERIA_H1C", "ARMERIA_H2C"})
  void assemblyScriptExampleFilterWorksThroughTheProxy(Clients client) {
    String file = copy(EXAMPLE_AS, "as-example.wasm");
    try (ProxyFixture p = start("""
        - name: as-example
          path: %s
          config: x-as-checked
          root_id: custos_example
        """.formatted(file))) {
      Clients.Response ok = client.get(p.http(), "/api/secrets");
      assertThat(ok.status()).isEqualTo(200);
      assertThat(ok.header("x-as-checked")).isEqualTo("yes");
      assertThat(ok.body()).isEqualTo("the ****** is: ****** and ****** again\n");
      int before = backend.hits.get();
      Clients.Response denied = client.get(p.http(), "/api/forbidden");
      assertThat(denied.status()).isEqualTo(403);
      assertThat(denied.body()).isEqualTo("access denied");
      assertThat(backend.hits.get()).isEqualTo(before);
    }
  }

  private String loopFilter(boolean failOpen) {
    return """
        - name: loop
          path: %s
          timeout_ms: 50
          fail_open: %s
          restart_backoff: 10ms
          max_restart_backoff: 50ms
        """.formatted(hostile("loop-filter"), failOpen);
  }

  @ParameterizedTest
  @EnumSource(value = Clients.class, names = {"ARMERIA_H1C", "JDK_HTTP_2"})
  void infiniteLoopFailingOpenLetsTheRequestPass(Clients client) {
    try (ProxyFixture p = start(loopFilter(true))) {
      Clients.Response res = client.get(p.http(), "/api/loop");
      assertThat(res.status()).isEqualTo(200);
      assertThat(res.body()).contains("path=/api/loop");
      assertThat(failures(p, "timeout")).isEqualTo(1);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(client.get(p.http(), "/api/fine").status()).isEqualTo(200));
    }
  }

  @ParameterizedTest
  @EnumSource(value = Clients.class, names = {"ARMERIA_H2C", "JDK_HTTP_1_1"})
  void infiniteLoopFailingClosedAnswers5xxAndTheNextRequestWorksOnANewVm(Clients client) {
    try (ProxyFixture p = start(loopFilter(false))) {
      int before = backend.hits.get();
      Clients.Response res = client.get(p.http(), "/api/loop");
      assertThat(res.status()).isEqualTo(500);
      assertThat(res.body()).contains("wasm filter loop failed (timeout)");
      assertThat(backend.hits.get()).isEqualTo(before);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        Clients.Response next = client.get(p.http(), "/api/fine");
        assertThat(next.status()).isEqualTo(200);
        assertThat(next.body()).contains("path=/api/fine");
      });
      assertThat(p.proxy.meterRegistry().find("custos.wasm.errors").tag("kind", "timeout")
          .counter().count()).isEqualTo(1);
    }
  }

  @Test
  void filterTrappingInEveryCallbackIsSkippedOrRefusedAndNoThreadIsStuck() {
    String file = hostile("trap-filter");
    try (ProxyFixture p = start("""
        - name: trap
          path: %s
          fail_open: true
          restart_backoff: 10ms
          max_restart_backoff: 20ms
        """.formatted(file))) {
      for (int i = 0; i < 20; i++) {
        Clients c = Clients.values()[i % Clients.values().length];
        Clients.Response res = c.send(p.http(), "POST", "/api/t" + i, Map.of(), "body " + i);
        assertThat(res.status()).isEqualTo(200);
        assertThat(res.body()).contains("body=body " + i);
      }
      assertThat(failures(p, "trap") + failures(p, "backoff")).isGreaterThanOrEqualTo(20);
    }
    try (ProxyFixture p = start("""
        - name: trap
          path: %s
          fail_open: false
          restart_backoff: 10ms
        """.formatted(file))) {
      for (Clients c : Clients.values()) {
        Clients.Response res = c.get(p.http(), "/api/x");
        assertThat(res.status()).isIn(500, 503);
        assertThat(res.body()).contains("\"error\":\"wasm filter trap");
        assertThat(c.get(p.http(), "/plain").status()).isEqualTo(200);
      }
    }
  }

  @Test
  void unboundedMemoryGrowIsStoppedByTheMemoryLimit() {
    try (ProxyFixture p = start("""
        - name: grow
          path: %s
          max_memory_pages: 64
          fail_open: false
          restart_backoff: 10ms
        """.formatted(hostile("grow-filter")))) {
      for (int i = 0; i < 5; i++) {
        Clients.Response res = Clients.ARMERIA_H2C.get(p.http(), "/api/grow");
        assertThat(res.status()).isIn(500, 503);
        await().atMost(Duration.ofSeconds(5)).until(() ->
            Clients.ARMERIA_H1C.get(p.http(), "/plain").status() == 200);
      }
      assertThat(failures(p, "trap")).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void ungrantedImportIsReportedAtStartWithWhereTheFilterIsConfigured() {
    String file = hostile("ungranted-filter");
    assertThatThrownBy(() -> start("""
        - name: bad
          path: %s
        """.formatted(file)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("custos.yaml:8:")
        .hasMessageContaining("routes.api.wasm_filters.bad")
        .hasMessageContaining("custos.exec")
        .hasMessageContaining("not granted");
  }

  @Test
  void reloadWithAnUngrantedImportIsRejectedAndTheOldFilterKeepsServing() {
    String good = wasm(EXAMPLE_WAT, "example.wasm");
    String bad = hostile("ungranted-filter");
    try (ProxyFixture p = start(example(good, false))) {
      ProxyFixture.write(p.configFile, config("""
          - name: bad
            path: %s
          """.formatted(bad)));
      await().atMost(Duration.ofSeconds(10)).until(() -> p.proxy.meterRegistry()
          .find("custos.config.reloads").tag("result", "failure").counter() != null
          && p.proxy.meterRegistry().find("custos.config.reloads").tag("result", "failure")
          .counter().count() >= 1);
      assertThat(Clients.ARMERIA_H2C.get(p.http(), "/api/x").header("x-checked"))
          .isEqualTo("yes");
    }
  }

  @Test
  void moduleFileChangeIsPickedUpWithoutAConfigReload() throws IOException {
    String file = wasm(EXAMPLE_WAT, "filter.wasm");
    try (ProxyFixture p = start("""
        - name: swap
          path: %s
          config: '{"header":"x-checked"}'
        """.formatted(file))) {
      assertThat(Clients.ARMERIA_H1C.get(p.http(), "/api/loop").header("x-checked"))
          .isEqualTo("yes");
      Path tmp = dir.resolve("next.wasm");
      Files.write(tmp, Wat2Wasm.parse(Files.readString(
          Path.of("src/test/resources/wasm/loop-filter.wat"))));
      Files.move(tmp, dir.resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(Clients.ARMERIA_H1C.get(p.http(), "/api/ok").header("x-checked")).isNull());
    }
  }

  @Test
  void badPinAndMissingFileAreConfigErrorsAtTheirLine() {
    String file = wasm(EXAMPLE_WAT, "example.wasm");
    assertThatThrownBy(() -> start("""
        - name: pinned
          path: %s
          sha256: %s
        """.formatted(file, "ab".repeat(32))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:10:")
        .hasMessageContaining("does not match example.wasm")
        .hasMessageContaining(sha256(file));
    assertThatThrownBy(() -> start("""
        - name: missing
          path: nowhere.wasm
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:9:")
        .hasMessageContaining("'nowhere.wasm' is not a readable file");
  }

  @Test
  void manyRequestsThroughAHostileFilterNeverStickAThread() {
    try (ProxyFixture p = start(loopFilter(true))) {
      for (int i = 0; i < 6; i++) {
        String path = i % 2 == 0 ? "/api/loop" : "/api/fine";
        assertThat(Clients.ARMERIA_H2C.get(p.http(), path).status()).isEqualTo(200);
      }
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(Clients.JDK_HTTP_2.get(p.http(), "/plain").status()).isEqualTo(200));
    }
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
