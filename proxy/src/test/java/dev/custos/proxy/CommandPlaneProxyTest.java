package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import dev.custos.proxy.internal.telemetry.commandplane.CommandPlaneStub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: a proxy with {@code command:} sends the findings events of real traffic to the
 * command plane; while the plane is down they wait in the spool, which survives a restart of the
 * proxy; planted values reach neither the wire nor the spool files; a reload switches settings.
 */
class CommandPlaneProxyTest {
  @RegisterExtension
  static final Upstream upstream = new Upstream("u");

  @RegisterExtension
  static final CommandPlaneStub plane = new CommandPlaneStub();

  private static final String CARD = "4111111111111111";
  private static final String SSN = "078-05-1120";
  private static final List<String> CANARIES = List.of(CARD, "4111 1111 1111 1111", SSN,
      "078051120");
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir
  Path dir;

  @BeforeEach
  void setUp() throws Exception {
    plane.reset();
    Files.writeString(dir.resolve("token"), CommandPlaneStub.TOKEN + "\n");
  }

  private String config(String proxyId) {
    return """
        listen: 127.0.0.1:0
        findings: { file: events.jsonl }
        command:
          url: %s
          token_file: token
          spool_dir: spool
          proxy_id: %s
          linger: 20ms
          backoff: { initial: 10ms, max: 100ms }
          shutdown_timeout: 200ms
        routes:
          - name: api
            match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
            - { name: seen, match: { direction: request }, categories: [credit_card, us_ssn], action: observe }
            - { name: cards, match: { direction: response }, categories: [credit_card], action: redact }
        """.formatted(plane.url(), proxyId, upstream.httpPort());
  }

  private static void post(ProxyFixture p, int n) {
    WebClient client = WebClient.of(p.http());
    for (int i = 0; i < n; i++) {
      AggregatedHttpResponse res = client.execute(HttpRequest.of(
          RequestHeaders.builder(HttpMethod.POST, "/echo/orders/" + i + "?ssn=" + SSN)
              .contentType(MediaType.JSON_UTF_8).add("x-card", CARD).build(),
          HttpData.ofUtf8("{\"card\":\"" + CARD + "\",\"ssn\":\"" + SSN + "\"}")))
          .aggregate().join();
      assertThat(res.status()).isEqualTo(HttpStatus.OK);
    }
  }

  private long fileEvents() throws Exception {
    Path f = dir.resolve("events.jsonl");
    return Files.exists(f) ? Files.readAllLines(f).size() : 0;
  }

  private static double metric(ProxyFixture p, String name) {
    var c = p.proxy.meterRegistry().find(name);
    if (c.counter() != null) {
      return c.counter().count();
    }
    return c.gauge() == null ? 0 : c.gauge().value();
  }

  @Test
  void findingsOfRealTrafficReachThePlaneAndNoPlantedValueReachesTheSpoolOrTheWire()
      throws Exception {
    plane.mode = CommandPlaneStub.Mode.UNAVAILABLE;
    try (ProxyFixture p = ProxyFixture.start(dir, config("gateway-1"))) {
      post(p, 4);
      // Each exchange has a request and a response event.
      await().atMost(WAIT).until(() -> fileEvents() == 8);
      await().atMost(WAIT).until(() -> metric(p, "custos.command.spool.events") == 8);
      List<String> spooled = CommandPlaneStub.spoolTexts(dir.resolve("spool"));
      assertThat(String.join("\n", spooled)).contains("credit_card").contains("us_ssn");

      plane.mode = CommandPlaneStub.Mode.ACCEPT;
      await().atMost(WAIT).until(() -> plane.events().size() == 8);
      List<JsonNode> events = plane.events();
      assertThat(events).allSatisfy(e -> assertThat(e.get("route").asText()).isEqualTo("api"));
      assertThat(events.stream().filter(e -> e.get("direction").asText().equals("request")))
          .hasSize(4).allSatisfy(e -> assertThat(e.get("categories").has("us_ssn")).isTrue());
      assertThat(plane.attempts).allSatisfy(a -> {
        assertThat(a.proxyId()).isEqualTo("gateway-1");
        assertThat(a.configVersion()).isEqualTo(p.proxy.config().version());
      });
      await().atMost(WAIT).until(() -> metric(p, "custos.command.events.sent") == 8);
      String scrape = p.proxy.meterRegistry().scrape();
      assertThat(scrape).contains("custos_command_events_sent_total")
          .contains("custos_command_send_failures_total{reason=\"overloaded\"}");

      String wire = String.join("\n", plane.wireTexts());
      assertThat(wire).contains("credit_card");
      for (String canary : CANARIES) {
        assertThat(wire).as("the wire").doesNotContain(canary);
        assertThat(spooled).as("the spool").allSatisfy(t -> assertThat(t).doesNotContain(canary));
        assertThat(scrape).as("metrics").doesNotContain(canary);
      }
    }
  }

  @Test
  void spooledEventsSurviveARestartOfTheProxy() throws Exception {
    plane.mode = CommandPlaneStub.Mode.UNAVAILABLE;
    try (ProxyFixture p = ProxyFixture.start(dir, config("gateway-1"))) {
      post(p, 3);
      await().atMost(WAIT).until(() -> fileEvents() == 6);
    }
    assertThat(CommandPlaneStub.spooledBatches(dir.resolve("spool"))).isPositive();
    assertThat(plane.events()).isEmpty();

    plane.mode = CommandPlaneStub.Mode.ACCEPT;
    try (ProxyFixture p = ProxyFixture.start(dir, config("gateway-1"))) {
      await().atMost(WAIT).until(() -> plane.events().size() == 6);
      post(p, 1);
      await().atMost(WAIT).until(() -> plane.events().size() == 8);
      assertThat(plane.duplicates).hasValue(0);
    }
  }

  @Test
  void aReloadSwitchesTheProxyIdWithoutLosingEvents() throws Exception {
    try (ProxyFixture p = ProxyFixture.start(dir, config("gateway-1"))) {
      post(p, 2);
      await().atMost(WAIT).until(() -> plane.events().size() == 4);
      ProxyFixture.write(p.configFile, config("gateway-2"));
      await().atMost(WAIT).until(() -> p.proxy.config().command().orElseThrow().proxyId()
          .equals("gateway-2"));
      post(p, 2);
      await().atMost(WAIT).until(() -> plane.events().size() == 8);
      assertThat(plane.attempts.stream().map(CommandPlaneStub.Attempt::proxyId))
          .contains("gateway-1", "gateway-2");
    }
    await().atMost(WAIT).until(() -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.isAlive() && t.getName().startsWith("custos-command")));
  }
}
