package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wabt.Wat2Wasm;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.Policy;
import dev.custos.proxy.internal.BossGroups;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * WebAssembly detectors in the proxy: the example WAT module redacts project codes in streamed
 * responses whatever the chunking, and a hostile module (spins, traps, answers with a pointer
 * outside memory) takes its {@code on_error}: allowed messages pass and are counted, blocked ones
 * are refused with 403.
 */
class WasmDetectorProxyTest {
  /** Starts with the kind of failure the hostile module shows: s(pin), t(rap), b(ad pointer). */
  private static final String HOSTILE = """
      (module (memory (export "memory") 2)
        (func (export "custos_detector_abi_v1"))
        (func (export "alloc") (param i32) (result i32) (i32.const 1024))
        (func (export "detect") (param $ptr i32) (param $len i32) (result i32) (local $c i32)
          (i32.store (i32.const 0) (i32.const 0))
          (if (i32.eqz (local.get $len)) (then (return (i32.const 0))))
          (local.set $c (i32.load8_u (local.get $ptr)))
          (if (i32.eq (local.get $c) (i32.const 115)) (then (loop $l (br $l))))
          (if (i32.eq (local.get $c) (i32.const 116)) (then unreachable))
          (if (i32.eq (local.get $c) (i32.const 98)) (then (return (i32.const -16))))
          (i32.const 0)))
      """;
  private static final String BODY = "ticket PRJ-004512 for EMP12342, then PRJ-771204 ships.\n";

  @RegisterExtension
  static final ServerExtension upstream = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      // /text/{chunk}/{first} and /held/…: BODY after a first word, in chunks of {chunk} bytes.
      com.linecorp.armeria.server.HttpService text = (ctx, req) -> {
        int chunk = Integer.parseInt(ctx.pathParam("chunk"));
        byte[] body = (ctx.pathParam("first") + " " + BODY).getBytes(StandardCharsets.UTF_8);
        HttpResponseWriter res = HttpResponse.streaming();
        res.write(ResponseHeaders.of(HttpStatus.OK, "content-type", "text/plain"));
        for (int i = 0; i < body.length; i += chunk) {
          res.write(HttpData.wrap(body, i, Math.min(chunk, body.length - i)));
        }
        res.close();
        return res;
      };
      sb.service("/text/{chunk}/{first}", text);
      sb.service("/held/{chunk}/{first}", text);
    }
  };

  @TempDir static Path dir;
  static ProxyFixture allow;
  static ProxyFixture block;

  @BeforeAll
  static void start() throws Exception {
    Path good = dir.resolve("project-code.wasm");
    Files.copy(Path.of("../examples/wasm/project-code.wasm"), good);
    Path hostile = dir.resolve("hostile.wasm");
    Files.write(hostile, Wat2Wasm.parse(HOSTILE));
    allow = ProxyFixture.start(dir.resolve("allow"), config(good, hostile, "allow"));
    block = ProxyFixture.start(dir.resolve("block"), config(good, hostile, "block"));
  }

  @AfterAll
  static void stop() {
    allow.close();
    block.close();
  }

  private static String config(Path good, Path hostile, String onError) throws Exception {
    String disabled = Policy.ofDefault().detectors().stream().map(DetectorDefinition::category)
        .distinct().collect(Collectors.joining(", "));
    return """
        listen: 127.0.0.1:0
        findings: { file: 'off' }
        routes:
          - match: { prefix: / }
            cluster: up
        clusters:
          up: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          disable: [%s]
          categories:
            internal_project_code:
              description: project codes
              detectors:
                - wasm: %s
                  sha256: %s
                  timeout_ms: 200
            hostile_thing:
              description: never found
              detectors:
                - wasm: %s
                  sha256: %s
                  timeout_ms: 50
                  on_error: %s
          rules:
            - { name: codes, categories: [internal_project_code], action: redact }
            - name: held
              match: { paths: ['/held/**'], direction: response }
              categories: [hostile_thing]
              action: block
            - name: held requests
              match: { paths: ['/held/**'], direction: request }
              categories: [hostile_thing]
              action: block
        """.formatted(upstream.httpPort(), disabled, good, sha256(good), hostile,
        sha256(hostile), onError);
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  private static java.net.http.HttpResponse<String> get(ProxyFixture p, String path)
      throws IOException, InterruptedException {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(p.http() + path)).build(), BodyHandlers.ofString());
  }

  private static double count(ProxyFixture p, String name, Map<String, String> tags) {
    var search = p.proxy.meterRegistry().find(name);
    tags.forEach(search::tag);
    return search.counters().stream().mapToDouble(Counter::count).sum();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 11, 4096})
  void projectCodesFoundByTheWatModuleAreRedactedWhateverTheChunking(int chunk) throws Exception {
    var res = get(allow, "/text/" + chunk + "/hello");
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.body()).doesNotContain("PRJ-004512", "PRJ-771204")
        .contains("EMP12342", "ships.")
        .hasSize(("hello " + BODY).length());
  }

  @ParameterizedTest
  @ValueSource(strings = {"spin", "trap", "bad"})
  void failingModuleWithOnErrorAllowLetsTheMessagePassAndIsCounted(String kind) throws Exception {
    double before = count(allow, "custos.uninspectable",
        Map.of("reason", "plugin_error", "decision", "allow"));
    var res = get(allow, "/text/5/" + kind);
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.body()).startsWith(kind + " ticket").doesNotContain("PRJ-004512");
    assertThat(count(allow, "custos.uninspectable",
        Map.of("reason", "plugin_error", "decision", "allow"))).isEqualTo(before + 1);
    String wasmKind = Map.of("spin", "timeout", "trap", "trap", "bad", "abi").get(kind);
    assertThat(count(allow, "custos.wasm.errors", Map.of("module", "hostile", "kind", wasmKind)))
        .isGreaterThanOrEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"spin", "trap", "bad"})
  void failingModuleWithOnErrorBlockRefusesAHeldMessageWith403(String kind) throws Exception {
    Map<String, String> inPlace = Map.of("direction", "response", "stage", "in_place");
    Map<String, String> counted = Map.of("reason", "plugin_error", "decision", "block");
    double blocked = count(block, "custos.blocked", inPlace);
    double uninspectable = count(block, "custos.uninspectable", counted);
    var res = get(block, "/held/5/" + kind);
    assertThat(res.statusCode()).isEqualTo(403);
    assertThat(res.body()).isEqualTo("{\"error\":\"blocked\",\"rule\":\"on_error\"}");
    assertThat(count(block, "custos.blocked", inPlace)).isEqualTo(blocked + 1);
    assertThat(count(block, "custos.uninspectable", counted)).isEqualTo(uninspectable + 1);
  }

  @Test
  void failingModuleWithOnErrorBlockRefusesAHeldRequestBeforeUpstream() throws Exception {
    Map<String, String> before = Map.of("direction", "request", "stage", "before_upstream");
    double n = count(block, "custos.blocked", before);
    var res = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(block.http() + "/held/5/hello"))
            .header("content-type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString("trap " + BODY)).build(),
        BodyHandlers.ofString());
    assertThat(res.statusCode()).isEqualTo(403);
    assertThat(res.body()).contains("on_error");
    assertThat(count(block, "custos.blocked", before)).isEqualTo(n + 1);
  }

  @Test
  void failingModuleWithOnErrorBlockAbortsAStreamedMessage() throws Exception {
    Map<String, String> aborted = Map.of("direction", "response", "stage", "stream_aborted");
    double before = count(block, "custos.blocked", aborted);
    String body;
    try {
      body = get(block, "/text/5/trap").body();
    } catch (IOException e) {
      body = "";
    }
    assertThat(body).doesNotContain("ships.");
    org.awaitility.Awaitility.await().untilAsserted(() ->
        assertThat(count(block, "custos.blocked", aborted)).isEqualTo(before + 1));
  }

  @Test
  void healthyMessagesPassTheBlockingProxy() throws Exception {
    var res = get(block, "/held/1/hello");
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.body()).doesNotContain("PRJ-004512").contains("EMP12342");
  }

  @Test
  void anUnpinnedModuleIsReloadedWhenItsFileChanges() throws Exception {
    Path own = dir.resolve("reload");
    Files.createDirectories(own);
    Path module = own.resolve("detector.wasm");
    // Finds nothing in a body whose first word is not s, t or b.
    Files.write(module, Wat2Wasm.parse(HOSTILE));
    String disabled = Policy.ofDefault().detectors().stream().map(DetectorDefinition::category)
        .distinct().collect(Collectors.joining(", "));
    String yaml = """
        listen: 127.0.0.1:0
        findings: { file: 'off' }
        routes:
          - match: { prefix: / }
            cluster: up
        clusters:
          up: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          disable: [%s]
          categories:
            internal_project_code:
              description: project codes
              detectors:
                - { wasm: %s, timeout_ms: 200 }
          rules:
            - { name: codes, categories: [internal_project_code], action: redact }
        """.formatted(upstream.httpPort(), disabled, module);
    try (ProxyFixture p = ProxyFixture.start(own, yaml)) {
      assertThat(get(p, "/text/4096/x").body()).contains("PRJ-004512");

      Files.copy(Path.of("../examples/wasm/project-code.wasm"), module,
          StandardCopyOption.REPLACE_EXISTING);
      Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(get(p, "/text/4096/x").body()).doesNotContain("PRJ-004512"));
    }
  }
}
