package dev.custos.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import dev.custos.command.internal.alerts.WebhookReceiver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Alerts end to end: events through the real ingest endpoint, rules of command.yaml and of the
 * API, silences through the API, a real webhook server, the alerts API and the metrics.
 */
class AlertsApiTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Instant T0 = Instant.parse("2026-12-07T10:15:30Z");

  @TempDir
  Path dir;

  private final WebhookReceiver hook = new WebhookReceiver();
  private final List<CommandPlane> planes = new ArrayList<>();
  private CommandConfig.Database db;

  @AfterEach
  void stop() {
    planes.forEach(CommandPlane::stop);
    hook.close();
    if (db != null) {
      Databases.drop(db);
    }
  }

  CommandPlane start(CommandConfig.Database database) throws Exception {
    Files.writeString(dir.resolve("secops.url"), hook.url());
    CommandConfig base = CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens: [{ name: edge, sha256: %s }]
        api_tokens: [{ name: oncall, sha256: %s, role: admin }]
        alerts:
          interval: 1h
          webhooks:
            - { name: secops, url_file: secops.url, backoff: 10ms, send_resolved: true }
          rules:
            - { id: card-hoarder, kind: distinct_values, category: credit_card, threshold: 3 }
        """.formatted(CommandPlaneTest.sha256(CommandPlaneTest.TOKEN),
        CommandPlaneTest.sha256(CommandPlaneTest.API_TOKEN)), "command.yaml", dir);
    CommandConfig cfg = base.withDatabase(database);
    CommandPlane plane = CommandPlane.builder(cfg).clock(new MutableClock(T0)).build();
    plane.start();
    planes.add(plane);
    return plane;
  }

  static WebClient client(CommandPlane plane) {
    return WebClient.of("http://127.0.0.1:" + plane.activePort());
  }

  static void ingest(CommandPlane plane, String identity, int from, int to) {
    List<String> lines = new ArrayList<>();
    for (int i = from; i < to; i++) {
      lines.add(TestEvents.line(T0.minusSeconds(60), "orders", "payments", "response", identity,
          Map.of("credit_card", 1), List.of("redact"), List.of(TestEvents.card(i))));
    }
    AggregatedHttpResponse r = client(plane).execute(RequestHeaders.builder(HttpMethod.POST,
            "/api/v1/ingest/events").contentType(MediaType.parse("application/x-ndjson"))
        .set("custos-proxy-id", "gw-1").set("custos-batch-id", UUID.randomUUID().toString())
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + CommandPlaneTest.TOKEN).build(),
        HttpData.wrap(TestEvents.body(lines))).aggregate().join();
    assertThat(r.status()).isEqualTo(HttpStatus.ACCEPTED);
  }

  static AggregatedHttpResponse call(CommandPlane plane, HttpMethod method, String path,
      String body) {
    RequestHeaders h = RequestHeaders.builder(method, path)
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + CommandPlaneTest.API_TOKEN)
        .contentType(MediaType.JSON_UTF_8).build();
    return client(plane).execute(h, body == null ? HttpData.empty() : HttpData.ofUtf8(body))
        .aggregate().join();
  }

  static JsonNode json(AggregatedHttpResponse r) throws Exception {
    return JSON.readTree(r.contentUtf8());
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void rulesSilencesAndAlertsThroughTheApi(Databases.Kind kind) throws Exception {
    db = Databases.fresh(kind, dir);
    PrintStream originalErr = System.err;
    ByteArrayOutputStream logs = new ByteArrayOutputStream();
    System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
    StringBuilder answers = new StringBuilder();
    try {
      CommandPlane plane = start(db);
      ingest(plane, "id-alice", 0, 3);

      // A rule through the API, beside the one of command.yaml.
      AggregatedHttpResponse created = call(plane, HttpMethod.POST, "/api/v1/alert-rules",
          "{\"id\":\"ssn-flow\",\"kind\":\"new_category_on_edge\",\"window\":\"10m\","
              + "\"category\":\"us_ssn\",\"comment\":\"SSNs stay in HR\"}");
      assertThat(created.status()).isEqualTo(HttpStatus.CREATED);
      assertThat(json(created).get("created_by").asText()).isEqualTo("oncall");
      assertThat(call(plane, HttpMethod.POST, "/api/v1/alert-rules",
          "{\"id\":\"ssn-flow\",\"kind\":\"blocked_spike\"}").status())
          .isEqualTo(HttpStatus.CONFLICT);
      assertThat(call(plane, HttpMethod.POST, "/api/v1/alert-rules",
          "{\"id\":\"card-hoarder\",\"kind\":\"blocked_spike\"}").status())
          .isEqualTo(HttpStatus.CONFLICT);
      AggregatedHttpResponse bad = call(plane, HttpMethod.POST, "/api/v1/alert-rules",
          "{\"id\":\"x\",\"kind\":\"new_category_on_edge\",\"threshold\":3}");
      assertThat(bad.status()).isEqualTo(HttpStatus.BAD_REQUEST);
      assertThat(json(bad).get("error").asText()).isEqualTo("threshold: not a key of kind"
          + " new_category_on_edge (expected: of these only lookback)");
      JsonNode rules = json(call(plane, HttpMethod.GET, "/api/v1/alert-rules", null));
      assertThat(rules.get("rules")).extracting(r -> r.get("id").asText() + "/"
          + r.get("source").asText()).containsExactly("card-hoarder/config", "ssn-flow/api");

      Map<String, Long> run = plane.runAlerts();

      assertThat(run.get("fired")).isEqualTo(1);
      assertThat(hook.bodies()).hasSize(1);
      JsonNode firing = json(call(plane, HttpMethod.GET, "/api/v1/alerts?state=firing", null));
      answers.append(firing);
      assertThat(firing.get("alerts")).singleElement().satisfies(a -> {
        assertThat(a.get("rule").asText()).isEqualTo("card-hoarder");
        assertThat(a.get("kind").asText()).isEqualTo("distinct_values");
        assertThat(a.get("subject").get("identity_hash").asText()).isEqualTo("id-alice");
        assertThat(a.get("value").asLong()).isEqualTo(3);
        assertThat(a.get("summary").asText()).isEqualTo("identity id-alice pulled 3 distinct"
            + " credit_card values within 1h (threshold 3)");
        assertThat(a.get("details").get("threshold").asLong()).isEqualTo(3);
        assertThat(a.get("notification").asText()).isEqualTo("sent");
        assertThat(a.get("window_start").asText()).isEqualTo("2026-12-07T10:00:00Z");
        assertThat(a.get("resolved").isNull()).isTrue();
      });

      // Silence bob, then let him pull cards: recorded, not sent.
      AggregatedHttpResponse silenced = call(plane, HttpMethod.POST, "/api/v1/silences",
          "{\"identity_hash\":\"id-bob\",\"duration\":\"2h\",\"comment\":\"load test\"}");
      assertThat(silenced.status()).isEqualTo(HttpStatus.CREATED);
      String silenceId = json(silenced).get("id").asText();
      assertThat(json(silenced).get("ends").asText()).isEqualTo("2026-12-07T12:15:30Z");
      assertThat(json(call(plane, HttpMethod.GET, "/api/v1/silences", null)).get("silences"))
          .singleElement().satisfies(s -> {
            assertThat(s.get("state").asText()).isEqualTo("active");
            assertThat(s.get("created_by").asText()).isEqualTo("oncall");
            assertThat(s.get("matchers").get("identity_hash").asText()).isEqualTo("id-bob");
          });
      ingest(plane, "id-bob", 10, 14);
      assertThat(plane.runAlerts().get("silenced")).isEqualTo(1);
      assertThat(hook.bodies()).hasSize(1);

      assertThat(call(plane, HttpMethod.DELETE, "/api/v1/silences/" + silenceId, null).status())
          .isEqualTo(HttpStatus.NO_CONTENT);
      assertThat(call(plane, HttpMethod.DELETE, "/api/v1/silences/" + silenceId, null).status())
          .isEqualTo(HttpStatus.CONFLICT);
      assertThat(json(call(plane, HttpMethod.GET, "/api/v1/silences?state=expired", null))
          .get("silences")).hasSize(1);
      // A pending silence deleted before it starts is listed as expired, not pending.
      JsonNode pending = json(call(plane, HttpMethod.POST, "/api/v1/silences",
          "{\"rule\":\"card-hoarder\",\"starts\":\"2026-12-08T00:00:00Z\","
              + "\"duration\":\"1h\",\"comment\":\"tomorrow\"}"));
      assertThat(pending.get("state").asText()).isEqualTo("pending");
      assertThat(call(plane, HttpMethod.DELETE, "/api/v1/silences/" + pending.get("id").asText(),
          null).status()).isEqualTo(HttpStatus.NO_CONTENT);
      assertThat(json(call(plane, HttpMethod.GET, "/api/v1/silences?state=all", null))
          .get("silences")).extracting(x -> x.get("state").asText())
          .containsExactly("expired", "expired");
      JsonNode first = json(call(plane, HttpMethod.GET, "/api/v1/silences?state=all&limit=1",
          null));
      assertThat(first.get("silences")).hasSize(1);
      JsonNode second = json(call(plane, HttpMethod.GET, "/api/v1/silences?state=all&limit=1"
          + "&before=" + first.get("next_before").asText(), null));
      assertThat(second.get("silences")).hasSize(1);
      assertThat(second.get("silences").get(0).get("id"))
          .isNotEqualTo(first.get("silences").get(0).get("id"));
      assertThat(json(call(plane, HttpMethod.GET, "/api/v1/silences?state=all&limit=1&before="
          + second.get("next_before").asText(), null)).get("next_before").isNull()).isTrue();
      assertThat(call(plane, HttpMethod.GET, "/api/v1/silences?before=bm90LWEtY3Vyc29y", null)
          .status()).isEqualTo(HttpStatus.BAD_REQUEST);
      assertThat(call(plane, HttpMethod.POST, "/api/v1/silences",
          "{\"duration\":\"2h\",\"comment\":\"everything\"}").status())
          .isEqualTo(HttpStatus.BAD_REQUEST);

      assertThat(call(plane, HttpMethod.DELETE, "/api/v1/alert-rules/card-hoarder", null)
          .status()).isEqualTo(HttpStatus.CONFLICT);
      assertThat(call(plane, HttpMethod.DELETE, "/api/v1/alert-rules/ssn-flow", null).status())
          .isEqualTo(HttpStatus.NO_CONTENT);
      assertThat(call(plane, HttpMethod.DELETE, "/api/v1/alert-rules/ssn-flow", null).status())
          .isEqualTo(HttpStatus.NOT_FOUND);

      JsonNode all = json(call(plane, HttpMethod.GET, "/api/v1/alerts", null));
      answers.append(all);
      assertThat(all.get("alerts")).extracting(a -> a.get("notification").asText())
          .containsExactlyInAnyOrder("sent", "silenced");
      assertThat(client(plane).get("/api/v1/alerts").aggregate().join().status())
          .isEqualTo(HttpStatus.UNAUTHORIZED);
      String metrics = client(plane).get("/metrics").aggregate().join().contentUtf8();
      answers.append(metrics);
      assertThat(metrics)
          .contains("custos_command_alerts_fired_total{kind=\"distinct_values\"} 2.0")
          .contains("custos_command_alerts_sent_total{kind=\"distinct_values\"} 1.0")
          .contains("custos_command_alerts_silenced_total{kind=\"distinct_values\"} 1.0");
    } finally {
      System.setErr(originalErr);
    }
    String everything = answers + logs.toString(StandardCharsets.UTF_8)
        + String.join("\n", hook.bodies());
    assertThat(everything).contains("id-alice").doesNotContain(WebhookReceiver.SECRET);
    for (int i = 0; i < 14; i++) {
      assertThat(everything).doesNotContain(TestEvents.card(i).hash())
          .doesNotContain(TestEvents.card(i).preview());
    }
  }

  @Test
  void twoPlanesOnOnePostgresqlDatabaseNotifyOnce() throws Exception {
    db = Databases.fresh(Databases.Kind.POSTGRESQL, dir);
    CommandPlane first = start(db);
    CommandPlane second = start(db);
    ingest(first, "id-alice", 0, 3);
    ingest(second, "id-bob", 10, 13);

    CompletableFuture<Map<String, Long>> a = CompletableFuture.supplyAsync(() -> run(first));
    CompletableFuture<Map<String, Long>> b = CompletableFuture.supplyAsync(() -> run(second));

    assertThat(a.join().get("fired") + b.join().get("fired")).isEqualTo(2);
    assertThat(hook.bodies()).hasSize(2);
    assertThat(run(first).get("fired") + run(second).get("fired")).isZero();
    assertThat(hook.bodies()).hasSize(2);
  }

  private static Map<String, Long> run(CommandPlane plane) {
    try {
      return plane.runAlerts();
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
