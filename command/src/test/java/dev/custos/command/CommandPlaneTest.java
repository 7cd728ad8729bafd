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
import com.linecorp.armeria.common.SessionProtocol;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The command plane end to end: a real server on an ephemeral port, a real HTTP/2 client. */
class CommandPlaneTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOKEN = "proxy-token-0123456789";
  static final String API_TOKEN = "api-token-9876543210";
  static final Instant T0 = Instant.parse("2026-12-07T10:15:30Z");

  @TempDir
  Path dir;

  private CommandPlane plane;
  private CommandConfig.Database db;

  CommandPlane start(Databases.Kind kind) {
    db = Databases.fresh(kind, dir);
    CommandConfig base = config(dir);
    CommandConfig cfg = new CommandConfig(base.host(), base.port(), db, base.tokens(),
        base.apiTokens(), base.retention(), base.ingest());
    plane = CommandPlane.builder(cfg).clock(new MutableClock(T0)).build();
    plane.start();
    return plane;
  }

  static CommandConfig config(Path dir) {
    return CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens:
          - name: edge
            sha256: %s
        api_tokens:
          - name: dashboard
            sha256: %s
        """.formatted(sha256(TOKEN), sha256(API_TOKEN)), "command.yaml", dir);
  }

  static String sha256(String s) {
    return java.util.HexFormat.of().formatHex(dev.custos.command.internal.config.ConfigReader
        .sha256(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  @AfterEach
  void stop() {
    if (plane != null) {
      plane.stop();
    }
    if (db != null) {
      Databases.drop(db);
    }
  }

  WebClient client() {
    return WebClient.of(SessionProtocol.H2C, com.linecorp.armeria.client.Endpoint.of("127.0.0.1",
        plane.activePort()));
  }

  AggregatedHttpResponse post(String token, String batchId, byte[] body, boolean gzip) {
    com.linecorp.armeria.common.RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.POST, "/api/v1/ingest/events")
        .contentType(MediaType.parse("application/x-ndjson"))
        .set("custos-proxy-id", "gw-1")
        .set("custos-batch-id", batchId)
        .set("custos-config-version", "v7");
    if (token != null) {
      h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
    }
    if (gzip) {
      h.set(HttpHeaderNames.CONTENT_ENCODING, "gzip");
    }
    return client().execute(h.build(), HttpData.wrap(gzip ? TestEvents.gzip(body) : body))
        .aggregate().join();
  }

  static List<String> lines(int n) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      lines.add(TestEvents.line(T0.plusSeconds(i), "orders", "payments", "response",
          "id-" + (i % 2), Map.of("credit_card", 1), List.of("redact"),
          List.of(TestEvents.card(i))));
    }
    return lines;
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void aGzipBatchIsStoredOnceAndRetriesAreDuplicates(Databases.Kind kind) throws Exception {
    start(kind);
    String batch = UUID.randomUUID().toString();

    AggregatedHttpResponse first = post(TOKEN, batch, TestEvents.body(lines(3)), true);
    AggregatedHttpResponse again = post(TOKEN, batch, TestEvents.body(lines(3)), true);

    assertThat(first.status()).isEqualTo(HttpStatus.ACCEPTED);
    assertThat(JSON.readTree(first.contentUtf8()))
        .isEqualTo(JSON.readTree("{\"accepted\":3,\"duplicate\":false}"));
    assertThat(again.status()).isEqualTo(HttpStatus.ACCEPTED);
    assertThat(JSON.readTree(again.contentUtf8()))
        .isEqualTo(JSON.readTree("{\"accepted\":0,\"duplicate\":true}"));

    AggregatedHttpResponse flows = client().execute(RequestHeaders.builder(HttpMethod.GET,
        "/api/v1/flows?from=2026-12-07T00:00:00Z&to=2026-12-08T00:00:00Z")
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + API_TOKEN).build()).aggregate().join();
    assertThat(flows.status()).isEqualTo(HttpStatus.OK);
    JsonNode rows = JSON.readTree(flows.contentUtf8()).get("flows");
    assertThat(rows).hasSize(2);
    long findings = 0;
    for (JsonNode r : rows) {
      findings += r.get("findings").asLong();
      assertThat(r.get("route").asText()).isEqualTo("orders");
      assertThat(r.get("cluster").asText()).isEqualTo("payments");
      assertThat(r.get("action").asText()).isEqualTo("redact");
    }
    assertThat(findings).isEqualTo(3);

    AggregatedHttpResponse lineage = client().execute(RequestHeaders.builder(HttpMethod.GET,
        "/api/v1/lineage/" + TestEvents.card(1).hash())
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + API_TOKEN).build()).aggregate().join();
    JsonNode path = JSON.readTree(lineage.contentUtf8()).get("path");
    assertThat(path).hasSize(1);
    assertThat(path.get(0).get("proxy_id").asText()).isEqualTo("gw-1");
    assertThat(path.get(0).get("preview").asText()).isEqualTo(TestEvents.card(1).preview());

    String metrics = client().get("/metrics").aggregate().join().contentUtf8();
    assertThat(metrics).contains("custos_command_ingest_batches_total{result=\"accepted\"} 1.0")
        .contains("custos_command_ingest_batches_total{result=\"duplicate\"} 1.0")
        .contains("custos_command_ingest_events_total 3.0")
        .contains("custos_command_ingest_findings_total 3.0");
  }

  @Test
  void anIdentityBodyIsAcceptedToo() {
    start(Databases.Kind.SQLITE);

    AggregatedHttpResponse r = post(TOKEN, UUID.randomUUID().toString(),
        TestEvents.body(lines(2)), false);

    assertThat(r.status()).isEqualTo(HttpStatus.ACCEPTED);
    assertThat(r.contentUtf8()).contains("\"accepted\":2");
  }

  @Test
  void aMissingOrUnknownTokenIs401() {
    start(Databases.Kind.SQLITE);

    assertThat(post(null, UUID.randomUUID().toString(), TestEvents.body(lines(1)), true).status())
        .isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(post("wrong", UUID.randomUUID().toString(), TestEvents.body(lines(1)), true)
        .status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    // A proxy token does not read the API, nor does an API token ingest.
    assertThat(post(API_TOKEN, UUID.randomUUID().toString(), TestEvents.body(lines(1)), true)
        .status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(client().execute(RequestHeaders.builder(HttpMethod.GET, "/api/v1/flows")
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + TOKEN).build()).aggregate().join()
        .status()).isEqualTo(HttpStatus.UNAUTHORIZED);
  }

  @Test
  void aMalformedLineRefusesTheBatchNamingTheLineNotTheValue() throws Exception {
    start(Databases.Kind.SQLITE);
    List<String> lines = lines(3);
    lines.set(1, lines.get(1).replace("\"direction\":\"response\"",
        "\"direction\":\"4111111111111111\""));

    AggregatedHttpResponse r = post(TOKEN, UUID.randomUUID().toString(), TestEvents.body(lines),
        true);

    assertThat(r.status()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(JSON.readTree(r.contentUtf8()).get("error").asText())
        .startsWith("line 2: direction:").doesNotContain("4111");
    assertThat(JSON.readTree(post(TOKEN, UUID.randomUUID().toString(), TestEvents.body(lines(1)),
        true).contentUtf8()).get("accepted").asInt()).isEqualTo(1);
  }

  @Test
  void malformedHeadersAre400() {
    start(Databases.Kind.SQLITE);

    assertThat(post(TOKEN, "not-a-uuid", TestEvents.body(lines(1)), true).status())
        .isEqualTo(HttpStatus.BAD_REQUEST);
  }

  @Test
  void flowsRefuseAnInstantPastYear9999With400() {
    start(Databases.Kind.SQLITE);

    AggregatedHttpResponse r = client().execute(RequestHeaders.builder(HttpMethod.GET,
        "/api/v1/flows?from=2026-12-07T00:00:00Z&to=%2B300000000-01-01T00:00:00Z")
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + API_TOKEN).build()).aggregate().join();

    assertThat(r.status()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(r.contentUtf8()).contains("out of range");
  }

  @Test
  void moreThanAThousandLinesIs413() {
    start(Databases.Kind.SQLITE);

    AggregatedHttpResponse r = post(TOKEN, UUID.randomUUID().toString(),
        TestEvents.body(lines(1001)), true);

    assertThat(r.status()).isEqualTo(HttpStatus.REQUEST_ENTITY_TOO_LARGE);
    assertThat(post(TOKEN, UUID.randomUUID().toString(), TestEvents.body(lines(1000)), true)
        .status()).isEqualTo(HttpStatus.ACCEPTED);
  }

  @Test
  void healthAndReadinessAnswer() {
    start(Databases.Kind.SQLITE);

    assertThat(client().get("/healthz").aggregate().join().status()).isEqualTo(HttpStatus.OK);
    assertThat(client().get("/readyz").aggregate().join().status()).isEqualTo(HttpStatus.OK);
  }
}
