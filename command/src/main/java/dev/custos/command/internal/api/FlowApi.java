package dev.custos.command.internal.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.command.internal.store.FlowQueries;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What the dashboard shows, read from the flow model: {@code GET /api/v1/map} (the service map),
 * {@code /api/v1/heatmap} (findings per category over time), {@code /api/v1/identities/top}
 * (the callers that received the most) and {@code /api/v1/events} (the findings list, keyset
 * paginated). Every parameter is checked (400 naming it), every range capped, every list
 * limited; queries run on the blocking task executor. Answers hold names, keyed hashes and counts
 * only. Thread-safe.
 */
public final class FlowApi {
  /** The longest range the hour roll-ups and the findings list are read over. */
  static final Duration MAX_RANGE = Duration.ofDays(31);
  /** The longest range of a heatmap by minute. */
  static final Duration MAX_MINUTE_RANGE = Duration.ofHours(48);
  private static final Duration DEFAULT_RANGE = Duration.ofHours(24);
  private static final long MINUTE = 60_000L;
  private static final long HOUR = 3_600_000L;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern BATCH = Pattern.compile("[A-Za-z0-9-]{1,64}");
  private static final List<String> ACTIONS = List.of("block", "redact", "alert", "observe",
      "none");

  private final FlowQueries queries;
  private final Clock clock;

  private FlowApi(FlowQueries queries, Clock clock) {
    this.queries = queries;
    this.clock = clock;
  }

  /** Adds the routes, each requiring {@link Role#READ}. */
  public static void addTo(ServerBuilder sb, FlowQueries queries, ApiAccess access,
      Clock clock) {
    FlowApi api = new FlowApi(queries, clock);
    route(sb, access, "/api/v1/map", api::map);
    route(sb, access, "/api/v1/heatmap", api::heatmap);
    route(sb, access, "/api/v1/identities/top", api::topIdentities);
    route(sb, access, "/api/v1/events", api::events);
  }

  /** A route's work: checks the parameters (on the event loop), returns the query to run. */
  private interface Handler {
    Query prepare(ServiceRequestContext ctx) throws Params.BadParameter;
  }

  /** A query to run on the blocking executor, returning the answer's JSON. */
  private interface Query {
    ObjectNode run() throws SQLException;
  }

  private static void route(ServerBuilder sb, ApiAccess access, String path, Handler h) {
    HttpService service = (ctx, req) -> {
      Query q;
      try {
        q = h.prepare(ctx);
      } catch (Params.BadParameter e) {
        return ApiBasics.error(HttpStatus.BAD_REQUEST, e.getMessage());
      }
      return ApiBasics.blocking(ctx, () -> HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8,
          q.run().toString()));
    };
    sb.route().get(path).decorator(access.require(Role.READ)).build(service);
  }

  private Query map(ServiceRequestContext ctx) throws Params.BadParameter {
    Params p = Params.of(ctx, Set.of("from", "to", "category", "limit"));
    Instant[] range = p.range(clock.instant(), DEFAULT_RANGE, MAX_RANGE);
    String category = p.matching("category", Params.CATEGORY, "a category id");
    int limit = p.integer("limit", 500, 1, 2000);
    return () -> {
      List<FlowQueries.MapEdge> edges = queries.map(range[0].toEpochMilli(),
          range[1].toEpochMilli(), category, limit + 1);
      ObjectNode root = ranged(range);
      ArrayNode nodes = root.putArray("nodes");
      ArrayNode list = root.putArray("edges");
      Map<String, ObjectNode> seen = new LinkedHashMap<>();
      for (FlowQueries.MapEdge e : edges.subList(0, Math.min(limit, edges.size()))) {
        String source = e.service().isEmpty()
            ? node(seen, "identity", e.identityHash(), e.identityHash())
            : node(seen, "service", e.service(), e.service());
        String label = e.proxyId() + " " + e.route();
        String target = node(seen, "route", label, label);
        ObjectNode o = list.addObject();
        o.put("source", source);
        o.put("target", target);
        o.put("category", e.category());
        o.put("events", e.events());
        o.put("findings", e.findings());
        o.put("distinct_values", e.distinctValues());
        o.put("blocked", e.blocked());
        o.put("would_have_blocked", e.wouldHaveBlocked());
      }
      seen.values().forEach(nodes::add);
      root.put("truncated", edges.size() > limit);
      return root;
    };
  }

  private static String node(Map<String, ObjectNode> seen, String kind, String key,
      String label) {
    String id = kind + ":" + key;
    seen.computeIfAbsent(id, x -> JSON.createObjectNode().put("id", id).put("kind", kind)
        .put("label", label));
    return id;
  }

  private Query heatmap(ServiceRequestContext ctx) throws Params.BadParameter {
    Params p = Params.of(ctx, Set.of("from", "to", "bucket"));
    boolean hourly = "hour".equals(p.oneOf("bucket", List.of("minute", "hour"), "hour"));
    long size = hourly ? HOUR : MINUTE;
    Instant[] range = p.range(clock.instant(), DEFAULT_RANGE,
        hourly ? MAX_RANGE : MAX_MINUTE_RANGE);
    long from = Math.floorDiv(range[0].toEpochMilli(), size) * size;
    long to = -Math.floorDiv(-range[1].toEpochMilli(), size) * size;
    int buckets = (int) ((to - from) / size);
    return () -> {
      FlowQueries.Heatmap h = queries.heatmap(from, to, hourly, buckets);
      ObjectNode root = ranged(new Instant[] {Instant.ofEpochMilli(from),
          Instant.ofEpochMilli(to)});
      root.put("bucket", hourly ? "hour" : "minute");
      ArrayNode categories = root.putArray("categories");
      h.categories().forEach(categories::add);
      ArrayNode times = root.putArray("times");
      for (int i = 0; i < buckets; i++) {
        times.add(Instant.ofEpochMilli(from + i * size).toString());
      }
      ArrayNode counts = root.putArray("counts");
      for (long[] row : h.counts()) {
        ArrayNode r = counts.addArray();
        for (long n : row) {
          r.add(n);
        }
      }
      return root;
    };
  }

  private Query topIdentities(ServiceRequestContext ctx) throws Params.BadParameter {
    Params p = Params.of(ctx, Set.of("from", "to", "category", "direction", "limit"));
    Instant[] range = p.range(clock.instant(), DEFAULT_RANGE, MAX_RANGE);
    String category = p.matching("category", Params.CATEGORY, "a category id");
    String direction = p.oneOf("direction", List.of("request", "response"), null);
    int limit = p.integer("limit", 20, 1, 1000);
    return () -> {
      ObjectNode root = ranged(range);
      ArrayNode list = root.putArray("identities");
      for (FlowQueries.TopIdentity t : queries.topIdentities(range[0].toEpochMilli(),
          range[1].toEpochMilli(), category, direction, limit)) {
        ObjectNode o = list.addObject();
        o.put("identity_hash", t.identityHash());
        putOrNull(o, "service", t.service());
        o.put("findings", t.findings());
        o.put("distinct_values", t.distinctValues());
        ObjectNode c = o.putObject("categories");
        t.categories().forEach(c::put);
        ObjectNode d = o.putObject("distinct_by_category");
        t.distinctByCategory().forEach(d::put);
      }
      return root;
    };
  }

  private Query events(ServiceRequestContext ctx) throws Params.BadParameter {
    Params p = Params.of(ctx, Set.of("from", "to", "category", "route", "proxy_id",
        "identity_hash", "action", "shadow", "limit", "before"));
    Instant[] range = p.range(clock.instant(), DEFAULT_RANGE, MAX_RANGE);
    String before = p.raw("before");
    FlowQueries.EventFilter filter = new FlowQueries.EventFilter(range[0].toEpochMilli(),
        range[1].toEpochMilli(), p.matching("category", Params.CATEGORY, "a category id"),
        p.name("route"), p.matching("proxy_id", Params.PROXY_ID, "a proxy id"),
        p.matching("identity_hash", Params.IDENTITY, "an identity hash"),
        p.oneOf("action", ACTIONS, null), p.bool("shadow"),
        before == null ? null : position(before), p.integer("limit", 100, 1, 1000));
    return () -> {
      List<FlowQueries.EventRow> rows = queries.events(filter);
      ObjectNode root = ranged(range);
      ArrayNode list = root.putArray("events");
      for (FlowQueries.EventRow r : rows) {
        ObjectNode o = list.addObject();
        o.put("time", Instant.ofEpochMilli(r.position().timeMillis()).toString());
        o.put("proxy_id", r.proxyId());
        o.put("route", r.route());
        putOrNull(o, "cluster", r.cluster());
        putOrNull(o, "service", r.service());
        o.put("protocol", r.protocol());
        o.put("direction", r.direction());
        o.put("identity_hash", r.identityHash());
        o.put("action", r.action());
        putOrNull(o, "blocked_by", r.blockedBy());
        o.put("shadow", r.shadow());
        o.set("categories", categories(r.categoriesJson()));
        o.put("findings", r.findings());
        o.set("evidence", evidence(r.evidenceJson()));
      }
      if (rows.size() == filter.limit()) {
        root.put("next_before", cursor(rows.get(rows.size() - 1).position()));
      } else {
        root.putNull("next_before");
      }
      return root;
    };
  }

  /** Returns the opaque cursor of a position: base64url of "time:batch:line". */
  static String cursor(FlowQueries.Position p) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString((p.timeMillis() + ":"
        + p.batchId() + ":" + p.lineNo()).getBytes(StandardCharsets.US_ASCII));
  }

  /** Returns the position a cursor stands for. */
  static FlowQueries.Position position(String cursor) throws Params.BadParameter {
    Params.BadParameter bad = new Params.BadParameter("before: not a cursor (expected: the"
        + " next_before of a previous answer)");
    if (cursor.length() > 200) {
      throw bad;
    }
    String text;
    try {
      text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
    } catch (IllegalArgumentException e) {
      throw bad;
    }
    String[] parts = text.split(":", -1);
    if (parts.length != 3 || !BATCH.matcher(parts[1]).matches()) {
      throw bad;
    }
    try {
      int line = Integer.parseInt(parts[2]);
      if (line < 1) {
        throw bad;
      }
      return new FlowQueries.Position(Long.parseLong(parts[0]), parts[1], line);
    } catch (NumberFormatException e) {
      throw bad;
    }
  }

  private static JsonNode categories(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      return JSON.createObjectNode();
    }
  }

  /** Turns the stored [category, hash, preview] triples into objects (preview null if none). */
  private static ArrayNode evidence(String json) {
    ArrayNode out = JSON.createArrayNode();
    JsonNode stored;
    try {
      stored = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      return out;
    }
    for (JsonNode v : stored) {
      ObjectNode o = out.addObject();
      o.put("category", v.path(0).asText());
      o.put("hash", v.path(1).asText());
      putOrNull(o, "preview", v.path(2).asText());
    }
    return out;
  }

  private static ObjectNode ranged(Instant[] range) {
    ObjectNode root = JSON.createObjectNode();
    root.put("from", range[0].toString());
    root.put("to", range[1].toString());
    return root;
  }

  private static void putOrNull(ObjectNode o, String field, @Nullable String value) {
    if (value == null || value.isEmpty()) {
      o.putNull(field);
    } else {
      o.put(field, value);
    }
  }
}
