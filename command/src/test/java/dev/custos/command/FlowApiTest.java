package dev.custos.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The dashboard's read API ({@code /api/v1/map}, {@code /heatmap}, {@code /identities/top},
 * {@code /events}) against SQLite and PostgreSQL: a real plane on an ephemeral port, findings
 * sent through the real ingest endpoint, answers read by a real client and compared with the
 * numbers the events imply.
 */
class FlowApiTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Instant T0 = Instant.parse("2026-12-07T10:15:30Z");
  static final String DAY = "from=2026-12-07T00:00:00Z&to=2026-12-08T00:00:00Z";

  static Path dir;
  static final Map<Databases.Kind, CommandPlane> planes = new EnumMap<>(Databases.Kind.class);
  static final Map<Databases.Kind, CommandConfig.Database> dbs =
      new EnumMap<>(Databases.Kind.class);

  @BeforeAll
  static void createDir() throws Exception {
    dir = Files.createTempDirectory("flow-api");
  }

  @AfterAll
  static void stopPlanes() {
    planes.values().forEach(CommandPlane::stop);
    dbs.values().forEach(Databases::drop);
  }

  /** Returns the plane of {@code kind} holding the test's events, started once per class. */
  static synchronized WebClient plane(Databases.Kind kind) throws Exception {
    CommandPlane plane = planes.get(kind);
    if (plane == null) {
      CommandConfig.Database db = Databases.fresh(kind, Files.createDirectories(
          dir.resolve(kind.name())));
      dbs.put(kind, db);
      plane = CommandPlane.builder(CommandPlaneTest.config(dir).withDatabase(db))
          .clock(new MutableClock(T0.plusSeconds(3 * 3600))).build();
      plane.start();
      planes.put(kind, plane);
      WebClient client = WebClient.of("http://127.0.0.1:" + plane.activePort());
      ingest(client, "gw-1", List.of(
          event(T0, "orders", "checkout", "id-a", "response", Map.of("credit_card", 2),
              "redact", null, false, card(1), card(2)),
          event(T0.plusSeconds(60), "orders", "checkout", "id-b", "response",
              Map.of("credit_card", 1), "redact", null, false, card(1)),
          event(T0.plusSeconds(2 * 3600), "orders", "", "id-c", "request",
              Map.of("us_ssn", 1, "email", 1), "block", "no-ssn", false,
              new TestEvents.Value("us_ssn", "5".repeat(32), "*******1120"),
              new TestEvents.Value("email", "6".repeat(32), "j*******"))));
      ingest(client, "gw-2", List.of(
          event(T0.plusSeconds(3600), "billing", "checkout", "id-a", "response",
              Map.of("credit_card", 1), "observe", null, true, card(1)),
          // The day before, and a category whose id differs from credit_card only where
          // credit_card has '_' (a LIKE wildcard).
          event(Instant.parse("2026-12-06T10:00:00Z"), "billing", "", "id-d", "response",
              Map.of("creditxcard", 1), "observe", null, false)));
      // Two days before: blocks, one enforced and two in shadow mode (nothing blocked).
      Instant shadowDay = Instant.parse("2026-12-05T10:00:00Z");
      ingest(client, "gw-3", List.of(
          event(shadowDay, "refunds", "", "id-e", "request", Map.of("us_ssn", 1), "block",
              "no-ssn", false),
          event(shadowDay.plusSeconds(1), "refunds", "", "id-e", "request", Map.of("us_ssn", 1),
              "block", "no-ssn", true),
          event(shadowDay.plusSeconds(2), "refunds", "", "id-e", "request", Map.of("us_ssn", 2),
              "block", "no-ssn", true)));
    }
    return WebClient.of("http://127.0.0.1:" + plane.activePort());
  }

  static TestEvents.Value card(int n) {
    return TestEvents.card(n);
  }

  static String event(Instant time, String route, String service, String identity,
      String direction, Map<String, Integer> categories, String action, String blockedBy,
      boolean shadow, TestEvents.Value... evidence) throws Exception {
    ObjectNode o = (ObjectNode) JSON.readTree(TestEvents.line(time, route, "", direction,
        identity, categories, List.of(action), List.of(evidence)));
    if (!service.isEmpty()) {
      o.put("service", service);
    }
    if (blockedBy != null) {
      o.put("blocked_by", blockedBy);
    }
    o.put("shadow", shadow);
    return o.toString();
  }

  static void ingest(WebClient client, String proxy, List<String> lines) {
    AggregatedHttpResponse r = client.execute(RequestHeaders.builder(HttpMethod.POST,
            "/api/v1/ingest/events")
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + CommandPlaneTest.TOKEN)
        .contentType(MediaType.parse("application/x-ndjson"))
        .set("custos-proxy-id", proxy)
        .set("custos-batch-id", UUID.randomUUID().toString()).build(),
        HttpData.wrap(TestEvents.body(lines))).aggregate().join();
    assertThat(r.status()).as(r.contentUtf8()).isEqualTo(HttpStatus.ACCEPTED);
  }

  static AggregatedHttpResponse call(WebClient client, String pathAndQuery) {
    return client.execute(RequestHeaders.builder(HttpMethod.GET, pathAndQuery)
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + CommandPlaneTest.API_TOKEN).build())
        .aggregate().join();
  }

  static JsonNode get(WebClient client, String pathAndQuery) throws Exception {
    AggregatedHttpResponse r = call(client, pathAndQuery);
    assertThat(r.status()).as(pathAndQuery + ": " + r.contentUtf8()).isEqualTo(HttpStatus.OK);
    return JSON.readTree(r.contentUtf8());
  }

  /** Returns the map's edges as "source > target category events/findings/distinct/blocked". */
  static List<String> edges(JsonNode map) {
    List<String> out = new ArrayList<>();
    for (JsonNode e : map.get("edges")) {
      out.add(e.get("source").asText() + " > " + e.get("target").asText() + " "
          + e.get("category").asText() + " " + e.get("events") + "/" + e.get("findings") + "/"
          + e.get("distinct_values") + "/" + e.get("blocked"));
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void theMapLinksCallersToRoutesWithVolumes(Databases.Kind kind) throws Exception {
    WebClient client = plane(kind);

    JsonNode map = get(client, "/api/v1/map?" + DAY);

    assertThat(edges(map)).containsExactly(
        "service:checkout > route:gw-1 orders credit_card 2/3/2/0",
        "identity:id-c > route:gw-1 orders email 1/1/1/1",
        "identity:id-c > route:gw-1 orders us_ssn 1/1/1/1",
        "service:checkout > route:gw-2 billing credit_card 1/1/1/0");
    Map<String, String> nodes = new TreeMap<>();
    map.get("nodes").forEach(n -> nodes.put(n.get("id").asText(),
        n.get("kind").asText() + " " + n.get("label").asText()));
    assertThat(nodes).containsExactly(
        Map.entry("identity:id-c", "identity id-c"),
        Map.entry("route:gw-1 orders", "route gw-1 orders"),
        Map.entry("route:gw-2 billing", "route gw-2 billing"),
        Map.entry("service:checkout", "service checkout"));
    assertThat(map.get("truncated").asBoolean()).isFalse();
    assertThat(map.get("from").asText()).isEqualTo("2026-12-07T00:00:00Z");
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void theMapCountsShadowModeBlocksApartFromBlocks(Databases.Kind kind) throws Exception {
    WebClient client = plane(kind);

    JsonNode map = get(client, "/api/v1/map?from=2026-12-05T00:00:00Z"
        + "&to=2026-12-06T00:00:00Z");

    assertThat(edges(map)).containsExactly("identity:id-e > route:gw-3 refunds us_ssn 3/4/0/1");
    assertThat(map.get("edges").get(0).get("would_have_blocked").asLong()).isEqualTo(2);
    assertThat(get(client, "/api/v1/map?" + DAY).get("edges"))
        .allSatisfy(e -> assertThat(e.get("would_have_blocked").asLong()).isZero());
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void theMapNarrowsToACategoryAndALimit(Databases.Kind kind) throws Exception {
    WebClient client = plane(kind);

    assertThat(edges(get(client, "/api/v1/map?" + DAY + "&category=us_ssn")))
        .containsExactly("identity:id-c > route:gw-1 orders us_ssn 1/1/1/1");
    JsonNode one = get(client, "/api/v1/map?" + DAY + "&limit=1");
    assertThat(edges(one)).containsExactly(
        "service:checkout > route:gw-1 orders credit_card 2/3/2/0");
    assertThat(one.get("nodes")).hasSize(2);
    assertThat(one.get("truncated").asBoolean()).isTrue();
    // The default range is the 24 hours before the plane's clock (T0 + 3 h).
    assertThat(edges(get(client, "/api/v1/map"))).hasSize(4);
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void theHeatmapCountsFindingsPerCategoryPerBucket(Databases.Kind kind) throws Exception {
    WebClient client = plane(kind);

    JsonNode hourly = get(client, "/api/v1/heatmap?from=2026-12-07T10:00:00Z"
        + "&to=2026-12-07T13:00:00Z");
    assertThat(hourly.get("bucket").asText()).isEqualTo("hour");
    assertThat(hourly.get("categories").toString())
        .isEqualTo("[\"credit_card\",\"email\",\"us_ssn\"]");
    assertThat(hourly.get("times").toString()).isEqualTo("[\"2026-12-07T10:00:00Z\","
        + "\"2026-12-07T11:00:00Z\",\"2026-12-07T12:00:00Z\"]");
    assertThat(hourly.get("counts").toString()).isEqualTo("[[3,1,0],[0,0,1],[0,0,1]]");

    // from rounded down and to up to whole minutes.
    JsonNode minutes = get(client, "/api/v1/heatmap?bucket=minute&from=2026-12-07T10:15:10Z"
        + "&to=2026-12-07T10:17:05Z");
    assertThat(minutes.get("from").asText()).isEqualTo("2026-12-07T10:15:00Z");
    assertThat(minutes.get("to").asText()).isEqualTo("2026-12-07T10:18:00Z");
    assertThat(minutes.get("categories").toString()).isEqualTo("[\"credit_card\"]");
    assertThat(minutes.get("times")).hasSize(3);
    assertThat(minutes.get("counts").toString()).isEqualTo("[[2,1,0]]");
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void topIdentitiesAreRankedByFindingsWithDistinctValues(Databases.Kind kind)
      throws Exception {
    WebClient client = plane(kind);

    JsonNode top = get(client, "/api/v1/identities/top?" + DAY);

    assertThat(top.get("identities")).hasSize(3);
    assertThat(top.get("identities").get(0)).isEqualTo(JSON.readTree("""
        {"identity_hash":"id-a","service":"checkout","findings":3,"distinct_values":2,
         "categories":{"credit_card":3},"distinct_by_category":{"credit_card":2}}"""));
    assertThat(top.get("identities").get(1)).isEqualTo(JSON.readTree("""
        {"identity_hash":"id-c","service":null,"findings":2,"distinct_values":2,
         "categories":{"email":1,"us_ssn":1},"distinct_by_category":{"email":1,"us_ssn":1}}"""));
    assertThat(top.get("identities").get(2).get("identity_hash").asText()).isEqualTo("id-b");
    assertThat(ids(get(client, "/api/v1/identities/top?" + DAY + "&direction=request")))
        .containsExactly("id-c");
    assertThat(ids(get(client, "/api/v1/identities/top?" + DAY + "&category=credit_card")))
        .containsExactly("id-a", "id-b");
    assertThat(ids(get(client, "/api/v1/identities/top?" + DAY + "&limit=1")))
        .containsExactly("id-a");
  }

  static List<String> ids(JsonNode top) {
    List<String> out = new ArrayList<>();
    top.get("identities").forEach(i -> out.add(i.get("identity_hash").asText()));
    return out;
  }

  /** Returns "time identity" of every event on the page, newest first. */
  static List<String> events(JsonNode page) {
    List<String> out = new ArrayList<>();
    page.get("events").forEach(e -> out.add(e.get("time").asText().substring(11, 19) + " "
        + e.get("identity_hash").asText()));
    return out;
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void theFindingsListIsNewestFirstAndFiltersNarrowIt(Databases.Kind kind) throws Exception {
    WebClient client = plane(kind);
    String two = "/api/v1/events?from=2026-12-06T00:00:00Z&to=2026-12-08T00:00:00Z";

    JsonNode all = get(client, two);
    assertThat(events(all)).containsExactly("12:15:30 id-c", "11:15:30 id-a", "10:16:30 id-b",
        "10:15:30 id-a", "10:00:00 id-d");
    assertThat(all.get("next_before").isNull()).isTrue();
    assertThat(all.get("events").get(0)).isEqualTo(JSON.readTree("""
        {"time":"2026-12-07T12:15:30Z","proxy_id":"gw-1","route":"orders","cluster":null,
         "service":null,"protocol":"http","direction":"request","identity_hash":"id-c",
         "action":"block","blocked_by":"no-ssn","shadow":false,
         "categories":{"email":1,"us_ssn":1},"findings":2,
         "evidence":[
           {"category":"us_ssn","hash":"55555555555555555555555555555555",
            "preview":"*******1120"},
           {"category":"email","hash":"66666666666666666666666666666666",
            "preview":"j*******"}]}"""));
    assertThat(all.get("events").get(4).get("evidence")).isEmpty();

    assertThat(events(get(client, two + "&category=credit_card")))
        .containsExactly("11:15:30 id-a", "10:16:30 id-b", "10:15:30 id-a");
    assertThat(events(get(client, two + "&category=creditxcard")))
        .containsExactly("10:00:00 id-d");
    assertThat(events(get(client, two + "&route=billing")))
        .containsExactly("11:15:30 id-a", "10:00:00 id-d");
    assertThat(events(get(client, two + "&proxy_id=gw-1&identity_hash=id-a")))
        .containsExactly("10:15:30 id-a");
    assertThat(events(get(client, two + "&action=block"))).containsExactly("12:15:30 id-c");
    assertThat(events(get(client, two + "&shadow=true"))).containsExactly("11:15:30 id-a");
    assertThat(events(get(client, "/api/v1/events?" + DAY))).hasSize(4);
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void pagesCoverTheListOnceEach(Databases.Kind kind) throws Exception {
    WebClient client = plane(kind);
    String base = "/api/v1/events?from=2026-12-06T00:00:00Z&to=2026-12-08T00:00:00Z";
    List<String> whole = events(get(client, base));

    for (int size = 1; size <= 5; size++) {
      List<String> paged = new ArrayList<>();
      String next = null;
      int pages = 0;
      do {
        JsonNode page = get(client, base + "&limit=" + size
            + (next == null ? "" : "&before=" + next));
        paged.addAll(events(page));
        next = page.get("next_before").isNull() ? null : page.get("next_before").asText();
        pages++;
      } while (next != null && pages < 10);
      assertThat(paged).as("pages of " + size).isEqualTo(whole);
    }
  }

  @Test
  void malformedParametersAre400NamingTheParameter() throws Exception {
    WebClient client = plane(Databases.Kind.SQLITE);
    Map<String, String> cases = new TreeMap<>(Map.ofEntries(
        Map.entry("/api/v1/map?limit=0", "limit: out of range (expected: an integer from 1"
            + " to 2000)"),
        Map.entry("/api/v1/map?limit=ten", "limit: out of range"),
        Map.entry("/api/v1/map?from=yesterday", "from: not an instant (expected: ISO-8601"),
        Map.entry("/api/v1/heatmap?to=%2B300000000-01-01T00:00:00Z", "to: out of range"
            + " (expected: an instant from year 0000 to 9999)"),
        Map.entry("/api/v1/events?from=-300000000-01-01T00:00:00Z", "from: out of range"),
        Map.entry("/api/v1/map?from=2026-12-08T00:00:00Z&to=2026-12-07T00:00:00Z",
            "from, to: from is not before to (expected: from < to)"),
        Map.entry("/api/v1/map?from=2026-01-01T00:00:00Z&to=2026-12-07T00:00:00Z",
            "from, to: a range longer than 31 days (expected: at most 31 days)"),
        Map.entry("/api/v1/map?category=Credit%20Card", "category: malformed (expected: a"
            + " category id"),
        Map.entry("/api/v1/map?categroy=email", "unknown parameter 'categroy' (expected:"
            + " some of category, from, limit, to)"),
        Map.entry("/api/v1/map?limit=1&limit=2", "limit: given more than once"),
        Map.entry("/api/v1/heatmap?bucket=second", "bucket: not a known value (expected: one"
            + " of minute, hour)"),
        Map.entry("/api/v1/heatmap?bucket=minute&from=2026-12-01T00:00:00Z"
            + "&to=2026-12-07T00:00:00Z", "from, to: a range longer than 48 hours"),
        Map.entry("/api/v1/identities/top?direction=sideways", "direction: not a known value"),
        Map.entry("/api/v1/events?shadow=maybe", "shadow: not a known value"),
        Map.entry("/api/v1/events?action=4111111111111111", "action: not a known value"),
        Map.entry("/api/v1/events?before=bm90LWEtY3Vyc29y", "before: not a cursor"),
        Map.entry("/api/v1/events?before=%25%25", "before: not a cursor"),
        Map.entry("/api/v1/events?identity_hash=a%20b", "identity_hash: malformed"),
        Map.entry("/api/v1/events?proxy_id=a/b", "proxy_id: malformed"),
        Map.entry("/api/v1/events?route=" + "r".repeat(300), "route: malformed")));

    for (Map.Entry<String, String> c : cases.entrySet()) {
      AggregatedHttpResponse r = call(client, c.getKey());
      assertThat(r.status()).as(c.getKey()).isEqualTo(HttpStatus.BAD_REQUEST);
      assertThat(JSON.readTree(r.contentUtf8()).get("error").asText()).as(c.getKey())
          .startsWith(c.getValue()).doesNotContain("4111");
    }
  }

  @Test
  void theReadApiNeedsACredential() throws Exception {
    WebClient client = plane(Databases.Kind.SQLITE);

    for (String path : List.of("/api/v1/map", "/api/v1/heatmap", "/api/v1/identities/top",
        "/api/v1/events")) {
      assertThat(client.get(path).aggregate().join().status()).as(path)
          .isEqualTo(HttpStatus.UNAUTHORIZED);
    }
  }
}
