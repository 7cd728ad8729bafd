package dev.custos.command.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.command.internal.api.ApiAccess;
import dev.custos.command.internal.api.ApiBasics;
import dev.custos.command.internal.api.Role;
import dev.custos.command.internal.store.FlowRow;
import dev.custos.command.internal.store.Sighting;
import dev.custos.command.internal.store.Store;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The read API: {@code GET /api/v1/flows} (the flow model's edges over a time range) and {@code
 * GET /api/v1/lineage/{hash}} (where one value, by evidence hash, was seen). Requires a bearer
 * token from {@code api_tokens}. Queries run on the blocking task executor. Thread-safe.
 */
public final class ReadApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern HASH = Pattern.compile("[0-9a-f]{16,64}");
  private static final Pattern CATEGORY = Pattern.compile("[a-z0-9_.-]{1,64}");
  private static final int MAX_LIMIT = 1000;
  private static final Instant EARLIEST = Instant.parse("0000-01-01T00:00:00Z");
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");

  private ReadApi() {}

  /** Adds the read API's routes. */
  public static void addTo(ServerBuilder sb, Store store, ApiAccess access, Clock clock) {
    HttpService flows = (ctx, req) -> {
      Instant now = clock.instant();
      Instant from;
      Instant to;
      try {
        to = instant(ctx.queryParam("to"), now);
        from = instant(ctx.queryParam("from"), to.minus(Duration.ofHours(24)));
      } catch (DateTimeParseException e) {
        return bad("from, to: not an instant (expected: ISO-8601 such as 2026-12-07T13:00:00Z)");
      }
      if (outOfRange(from) || outOfRange(to)) {
        // Epoch milliseconds of a year past 9999 can overflow; the other endpoints refuse them too.
        return bad("from, to: out of range (expected: an instant from year 0000 to 9999)");
      }
      String category = ctx.queryParam("category");
      if (category != null && !CATEGORY.matcher(category).matches()) {
        return bad("category: not a category id (expected: matching " + CATEGORY.pattern() + ")");
      }
      int limit;
      try {
        String l = ctx.queryParam("limit");
        limit = l == null ? 100 : Integer.parseInt(l);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > MAX_LIMIT) {
        return bad("limit: out of range (expected: 1 to " + MAX_LIMIT + ")");
      }
      int max = limit;
      return query(ctx, () -> flowsJson(store.flows(from.toEpochMilli(), to.toEpochMilli(),
          category, max), from, to));
    };
    HttpService lineage = (ctx, req) -> {
      String hash = ctx.pathParam("hash");
      if (hash == null || !HASH.matcher(hash).matches()) {
        return bad("hash: malformed (expected: 16 to 64 lower-case hex digits of an evidence"
            + " hash)");
      }
      return query(ctx, () -> lineageJson(hash, store.lineage(hash)));
    };
    sb.route().get("/api/v1/flows").decorator(access.require(Role.READ)).build(flows);
    sb.route().get("/api/v1/lineage/{hash}").decorator(access.require(Role.READ)).build(lineage);
  }

  private static HttpResponse bad(String message) {
    return ApiBasics.error(HttpStatus.BAD_REQUEST, message);
  }

  private static boolean outOfRange(Instant t) {
    return t.isBefore(EARLIEST) || t.isAfter(LATEST);
  }

  private static Instant instant(@Nullable String text, Instant dflt) {
    return text == null ? dflt : Instant.parse(text);
  }

  /** A query that may fail with an SQLException. */
  private interface Query {
    String run() throws SQLException;
  }

  private static HttpResponse query(ServiceRequestContext ctx, Query q) {
    return ApiBasics.blocking(ctx, () -> HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8,
        q.run()));
  }

  static String flowsJson(List<FlowRow> rows, Instant from, Instant to) {
    ObjectNode root = JSON.createObjectNode();
    root.put("from", from.toString());
    root.put("to", to.toString());
    ArrayNode list = root.putArray("flows");
    for (FlowRow r : rows) {
      ObjectNode o = list.addObject();
      o.put("route", r.route());
      putOrNull(o, "cluster", r.cluster());
      o.put("direction", r.direction());
      o.put("identity_hash", r.identityHash());
      putOrNull(o, "service", r.service());
      o.put("category", r.category());
      o.put("action", r.action());
      o.put("events", r.events());
      o.put("findings", r.findings());
      o.put("distinct_values", r.distinctValues());
    }
    return root.toString();
  }

  static String lineageJson(String hash, List<Sighting> sightings) {
    ObjectNode root = JSON.createObjectNode();
    root.put("evidence_hash", hash);
    ArrayNode path = root.putArray("path");
    for (Sighting s : sightings) {
      ObjectNode o = path.addObject();
      o.put("proxy_id", s.proxyId());
      o.put("route", s.route());
      putOrNull(o, "cluster", s.cluster());
      o.put("direction", s.direction());
      o.put("category", s.category());
      putOrNull(o, "preview", s.preview());
      o.put("first_seen", Instant.ofEpochMilli(s.firstSeenMillis()).toString());
      o.put("last_seen", Instant.ofEpochMilli(s.lastSeenMillis()).toString());
      o.put("sightings", s.sightings());
    }
    return root.toString();
  }

  private static void putOrNull(ObjectNode o, String field, String value) {
    if (value.isEmpty()) {
      o.putNull(field);
    } else {
      o.put(field, value);
    }
  }
}
