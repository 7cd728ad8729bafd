package dev.custos.command.internal.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServerListener;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.command.internal.api.ApiAccess;
import dev.custos.command.internal.api.Caller;
import dev.custos.command.internal.api.Role;
import dev.custos.command.internal.ingest.IngestService;
import dev.custos.command.internal.ingest.Tokens;
import dev.custos.engine.PolicyException;
import dev.custos.engine.config.Durations;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The distribution API: policy versions ({@code /api/v1/policies...}), proxy configuration
 * versions ({@code /api/v1/configs...}), rollouts of either ({@code /api/v1/rollouts...}), the
 * proxies and what they run ({@code /api/v1/proxies}), and the endpoints proxies pull their
 * policy and configuration from ({@code GET /api/v1/proxy/policy}, {@code GET
 * /api/v1/proxy/config}, with an ingest token, ETag and long poll). Queries run on the blocking task executor; a long poll holds a future, not
 * a thread. Thread-safe.
 */
public final class PolicyApi {
  private static final Logger logger = LoggerFactory.getLogger(PolicyApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern PROXY_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  /**
   * A reported running version: the policy's ({@code name@N}, {@code name@N+shadow} or the
   * local configuration's digest), preceded by {@code config@M/} when the proxy runs a pulled
   * configuration.
   */
  private static final Pattern VERSION = Pattern.compile("[\\x21-\\x7e]{1,256}");
  /** The largest policy or configuration body taken, in UTF-8 bytes. */
  static final int MAX_BODY = 1 << 20;
  /** The longest long poll. */
  static final Duration MAX_WAIT = Duration.ofMinutes(5);
  private static final int MAX_PROXIES = 1000;
  private static final int MAX_ROLLOUTS = 100;
  private static final String LOCAL_ETAG = "\"local\"";
  /** The most long polls held at once; beyond, 503. */
  static final int MAX_WAITERS = 10_000;
  /** How often the database is read for another replica's rollout changes while polls wait. */
  static final Duration WATCH_INTERVAL = Duration.ofSeconds(1);

  /** The policies' store; it also reads, promotes and aborts rollouts of every kind. */
  private final PolicyStore store;
  private final Map<DocumentKind, PolicyStore> stores;
  private final PolicyWatch watch;
  private final Clock clock;
  private final MeterRegistry registry;
  private final Map<String, Counter> pulls = new ConcurrentHashMap<>();

  private PolicyApi(PolicyStore store, PolicyWatch watch, Clock clock, MeterRegistry registry) {
    this.store = store;
    PolicyStore configs = new PolicyStore(store.dataSource(), DocumentKind.PROXY_CONFIG);
    this.stores = Map.of(DocumentKind.POLICY, store, DocumentKind.PROXY_CONFIG, configs);
    this.watch = watch;
    this.clock = clock;
    this.registry = registry;
  }

  /**
   * Adds the routes: the API ones behind {@code access}, the proxies' pull behind the proxies'
   * {@code tokens}. The long polls' watch stops with the server.
   */
  public static void addTo(ServerBuilder sb, DataSource db, ApiAccess access, Tokens tokens,
      Clock clock, MeterRegistry registry) {
    PolicyStore store = new PolicyStore(db);
    PolicyWatch watch = new PolicyWatch(store, MAX_WAITERS, WATCH_INTERVAL, registry);
    sb.serverListener(ServerListener.builder().whenStopping(s -> watch.close()).build());
    addTo(sb, store, watch, access, tokens, clock, registry);
  }

  /** Adds the routes over a given store and watch. */
  static void addTo(ServerBuilder sb, PolicyStore store, PolicyWatch watch,
      ApiAccess access, Tokens tokens, Clock clock, MeterRegistry registry) {
    PolicyApi api = new PolicyApi(store, watch, clock, registry);
    for (DocumentKind kind : DocumentKind.values()) {
      String base = "/api/v1/" + kind.collection();
      sb.route().get(base).decorator(access.require(Role.READ))
          .build((ctx, req) -> api.query(ctx, () -> api.documentsJson(kind)));
      sb.route().get(base + "/{name}").decorator(access.require(Role.READ))
          .build((ctx, req) -> api.document(kind, ctx));
      sb.route().get(base + "/{name}/versions/{version}")
          .decorator(access.require(Role.READ)).build((ctx, req) -> api.version(kind, ctx));
      sb.route().post(base + "/{name}/versions").decorator(access.require(Role.ADMIN))
          .maxRequestLength(MAX_BODY * 2L + 65536)
          .build((ctx, req) -> api.addVersion(kind, ctx, req));
    }
    sb.route().get("/api/v1/rollouts").decorator(access.require(Role.READ))
        .build((ctx, req) -> api.query(ctx, api::rolloutsJson));
    sb.route().get("/api/v1/rollouts/{id}").decorator(access.require(Role.READ))
        .build(api::rollout);
    sb.route().post("/api/v1/rollouts").decorator(access.require(Role.ADMIN))
        .maxRequestLength(256 * 1024).build(api::startRollout);
    sb.route().post("/api/v1/rollouts/{id}/promote").decorator(access.require(Role.ADMIN))
        .maxRequestLength(256 * 1024).build(api::promote);
    sb.route().post("/api/v1/rollouts/{id}/abort").decorator(access.require(Role.ADMIN))
        .build(api::abort);
    sb.route().get("/api/v1/proxies").decorator(access.require(Role.READ))
        .build((ctx, req) -> api.query(ctx, api::proxiesJson));
    for (DocumentKind kind : DocumentKind.values()) {
      HttpService pull = (ctx, req) -> api.pull(kind, ctx, req.headers(), tokens);
      sb.route().get("/api/v1/proxy/" + kind.field()).build(pull);
    }
  }

  // --- read ---

  private String documentsJson(DocumentKind kind) throws SQLException {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode list = root.putArray(kind.collection());
    for (PolicyStore.Summary s : stores.get(kind).policies()) {
      ObjectNode o = list.addObject();
      o.put("name", s.latest().name());
      o.put("latest_version", s.latest().version());
      o.put("versions", s.versions());
      o.put("author", s.latest().author());
      o.put("created", Instant.ofEpochMilli(s.latest().createdMillis()).toString());
      o.put("comment", s.latest().comment());
      o.put("sha256", s.latest().sha256());
    }
    return root.toString();
  }

  private HttpResponse document(DocumentKind kind, ServiceRequestContext ctx) {
    String name = ctx.pathParam("name");
    if (name == null || !NAME.matcher(name).matches()) {
      return error(HttpStatus.BAD_REQUEST, badName());
    }
    return query(ctx, () -> {
      List<PolicyVersion> versions = stores.get(kind).versions(name);
      if (versions.isEmpty()) {
        throw RequestProblem.notFound(kind.field() + " " + name + ": not stored (expected: a"
            + " name of GET /api/v1/" + kind.collection() + ")");
      }
      ObjectNode root = JSON.createObjectNode();
      root.put("name", name);
      ArrayNode list = root.putArray("versions");
      for (PolicyVersion v : versions) {
        ObjectNode o = list.addObject();
        o.put("version", v.version());
        o.put("author", v.author());
        o.put("created", Instant.ofEpochMilli(v.createdMillis()).toString());
        o.put("comment", v.comment());
        o.put("sha256", v.sha256());
      }
      return root.toString();
    });
  }

  private HttpResponse version(DocumentKind kind, ServiceRequestContext ctx) {
    String name = ctx.pathParam("name");
    if (name == null || !NAME.matcher(name).matches()) {
      return error(HttpStatus.BAD_REQUEST, badName());
    }
    int version = positiveInt(ctx.pathParam("version"));
    if (version < 1) {
      return error(HttpStatus.BAD_REQUEST, "version: not a version number (expected: a whole"
          + " number from 1)");
    }
    return query(ctx, () -> versionJson(stores.get(kind).version(name, version).orElseThrow(
        () -> RequestProblem.notFound(kind.field() + " " + name + " version " + version
            + ": not stored (expected: a version of GET /api/v1/" + kind.collection() + "/"
            + name + ")"))).toString());
  }

  private static ObjectNode versionJson(PolicyVersion v) {
    ObjectNode o = JSON.createObjectNode();
    o.put("name", v.name());
    o.put("version", v.version());
    o.put("author", v.author());
    o.put("created", Instant.ofEpochMilli(v.createdMillis()).toString());
    o.put("comment", v.comment());
    o.put("sha256", v.sha256());
    o.put("body", v.body());
    o.put("diff", v.diff());
    return o;
  }

  private String rolloutsJson() throws SQLException {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode list = root.putArray("rollouts");
    List<Rollout> rollouts = store.rollouts(MAX_ROLLOUTS);
    // The proxies are read once for the page, not once per rollout.
    Map<String, String> versions = rollouts.isEmpty() ? Map.of() : store.proxyVersions();
    // So are the shadow events: one query for the page, not one per rollout.
    Map<Long, PolicyStore.WouldHaveBlocked> would = store.wouldHaveBlocked(rollouts);
    for (Rollout r : rollouts) {
      list.add(rolloutJson(r, versions, would.get(r.id())));
    }
    return root.toString();
  }

  private HttpResponse rollout(ServiceRequestContext ctx,
      com.linecorp.armeria.common.HttpRequest req) {
    long id = rolloutId(ctx);
    if (id < 1) {
      return error(HttpStatus.BAD_REQUEST, badId());
    }
    return query(ctx, () -> rolloutJson(store.rollout(id).orElseThrow(
        () -> RequestProblem.notFound("rollout " + id + ": not found (expected: an id of GET"
            + " /api/v1/rollouts)"))).toString());
  }

  private ObjectNode rolloutJson(Rollout r) throws SQLException {
    return rolloutJson(r, store.proxyVersions(), store.wouldHaveBlocked(r));
  }

  private ObjectNode rolloutJson(Rollout r, Map<String, String> proxyVersions,
      PolicyStore.WouldHaveBlocked w) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", r.id());
    o.put("kind", r.kind().id());
    o.put(r.kind().field(), r.name());
    o.put("version", r.version());
    o.put("enforce", r.enforce());
    ArrayNode proxies = o.putArray("proxies");
    r.proxies().forEach(proxies::add);
    o.put("state", r.state().id());
    o.put("created", Instant.ofEpochMilli(r.createdMillis()).toString());
    o.put("created_by", r.createdBy());
    o.put("updated", Instant.ofEpochMilli(r.updatedMillis()).toString());
    o.put("updated_by", r.updatedBy());
    o.put("expected_version", r.runningLabel());
    ArrayNode status = o.putArray("status");
    for (Map.Entry<String, String> e : PolicyStore.runningVersions(r, proxyVersions).entrySet()) {
      ObjectNode s = status.addObject();
      s.put("proxy_id", e.getKey());
      s.put("running_version", e.getValue());
    }
    ObjectNode would = o.putObject("would_have_blocked");
    would.put("events", w.events());
    ObjectNode byRule = would.putObject("by_rule");
    w.byRule().forEach(byRule::put);
    return o;
  }

  private String proxiesJson() throws SQLException {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode list = root.putArray("proxies");
    for (PolicyStore.ProxyRow p : store.proxies()) {
      ObjectNode o = list.addObject();
      o.put("proxy_id", p.proxyId());
      o.put("token_name", p.tokenName());
      o.put("config_version", p.configVersion());
      if (p.policy() == null) {
        o.putNull("policy");
      } else {
        o.put("policy", p.policy());
      }
      if (p.config() == null) {
        o.putNull("config");
      } else {
        o.put("config", p.config());
      }
      o.put("last_seen", Instant.ofEpochMilli(p.lastSeenMillis()).toString());
    }
    return root.toString();
  }

  // --- write ---

  private HttpResponse addVersion(DocumentKind kind, ServiceRequestContext ctx,
      com.linecorp.armeria.common.HttpRequest req) {
    String name = ctx.pathParam("name");
    if (name == null || !NAME.matcher(name).matches()) {
      return error(HttpStatus.BAD_REQUEST, badName());
    }
    Caller caller = ApiAccess.caller(ctx);
    return write(ctx, req, HttpStatus.CREATED, json -> {
      JsonNode body = json.get("body");
      if (body == null || !body.isTextual() || body.asText().isEmpty()) {
        throw bad("body: missing or not a string (expected: the " + kind.field() + " YAML as a"
            + " string)");
      }
      JsonNode comment = json.get("comment");
      if (comment != null && !comment.isNull() && !comment.isTextual()) {
        throw bad("comment: not a string (expected: a short text)");
      }
      String text = body.asText();
      if (text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_BODY) {
        throw bad("body: larger than " + MAX_BODY + " bytes (expected: a " + kind.field()
            + " of at most 1 MiB)");
      }
      String note = comment == null || comment.isNull() ? "" : comment.asText();
      if (note.length() > 1000) {
        throw bad("comment: longer than 1000 characters (expected: a short text)");
      }
      validate(kind, name, text);
      PolicyVersion v = stores.get(kind).addVersion(name, text, note, caller.name(),
          clock.millis());
      logger.info("{} {} stored by {} (sha256 {})", kind.field(), v.label(), caller.name(),
          v.sha256());
      return versionJson(v).toString();
    });
  }

  /**
   * Parses the body with the proxies' own parser of its kind; every problem becomes {@code
   * line:column: what (expected: what)}.
   */
  static void validate(DocumentKind kind, String name, String body) {
    List<String> problems = kind.problems(name, body);
    if (!problems.isEmpty()) {
      throw new Invalid(kind, problems);
    }
  }

  /** Returns each problem of the exception as {@code line:column: text}, the source left out. */
  static List<String> problems(String source, PolicyException e) {
    return DocumentKind.lines(source, e.getMessage());
  }

  private HttpResponse startRollout(ServiceRequestContext ctx,
      com.linecorp.armeria.common.HttpRequest req) {
    Caller caller = ApiAccess.caller(ctx);
    return write(ctx, req, HttpStatus.CREATED, json -> {
      DocumentKind kind = json.has("config") ? DocumentKind.PROXY_CONFIG : DocumentKind.POLICY;
      if (json.has("config") && json.has("policy")) {
        throw bad("policy and config: both set (expected: one of them; a rollout carries one"
            + " document)");
      }
      String field = kind.field();
      JsonNode policy = json.get(field);
      if (policy == null || !policy.isTextual() || !NAME.matcher(policy.asText()).matches()) {
        throw bad(field + ": missing or malformed (expected: a " + field + " name of 1 to 64"
            + " of A-Z a-z 0-9 . _ -; \"policy\" or \"config\")");
      }
      JsonNode version = json.get("version");
      if (version == null || !version.isIntegralNumber() || version.asLong() < 1
          || version.asLong() > Integer.MAX_VALUE) {
        throw bad("version: missing or not a version number (expected: a whole number from"
            + " 1)");
      }
      List<String> proxies = proxies(json.get("proxies"));
      if (proxies == null) {
        throw bad("proxies: missing (expected: a list of proxy ids, or [\"*\"] for every"
            + " proxy)");
      }
      JsonNode enforce = json.get("enforce");
      if (enforce != null && !enforce.isBoolean()) {
        throw bad("enforce: not true or false (expected: false for shadow mode, the default)");
      }
      boolean enforced = enforce != null && enforce.asBoolean();
      if (kind == DocumentKind.PROXY_CONFIG) {
        if (enforce != null && !enforced) {
          throw bad("enforce: false for a configuration (expected: true or absent; shadow mode"
              + " is a policy's, a configuration's canary is a rollout to a few proxies)");
        }
        enforced = true;
      }
      Rollout r = stores.get(kind).startRollout(policy.asText(), version.asInt(), proxies,
          enforced, caller.name(), clock.millis());
      watch.changed();
      logger.info("rollout {} of {} {} started by {} on {} ({})", r.id(), r.kind().field(),
          r.runningLabel(),
          caller.name(), String.join(",", r.proxies()), r.state().id());
      return rolloutJson(r).toString();
    });
  }

  private HttpResponse promote(ServiceRequestContext ctx,
      com.linecorp.armeria.common.HttpRequest req) {
    long id = rolloutId(ctx);
    if (id < 1) {
      return error(HttpStatus.BAD_REQUEST, badId());
    }
    Caller caller = ApiAccess.caller(ctx);
    return write(ctx, req, HttpStatus.OK, json -> {
      JsonNode enforce = json.get("enforce");
      if (enforce != null && !enforce.isBoolean()) {
        throw bad("enforce: not true or false (expected: true, the default, to enforce)");
      }
      List<String> proxies = proxies(json.get("proxies"));
      Rollout r = store.promote(id, enforce == null || enforce.asBoolean(), proxies,
          caller.name(), clock.millis());
      watch.changed();
      logger.info("rollout {} of {} promoted by {} on {}", r.id(), r.runningLabel(),
          caller.name(), String.join(",", r.proxies()));
      return rolloutJson(r).toString();
    });
  }

  private HttpResponse abort(ServiceRequestContext ctx,
      com.linecorp.armeria.common.HttpRequest req) {
    long id = rolloutId(ctx);
    if (id < 1) {
      return error(HttpStatus.BAD_REQUEST, badId());
    }
    Caller caller = ApiAccess.caller(ctx);
    return write(ctx, req, HttpStatus.OK, json -> {
      Rollout r = store.abort(id, caller.name(), clock.millis());
      watch.changed();
      logger.info("rollout {} of {} aborted by {}", r.id(), r.runningLabel(), caller.name());
      return rolloutJson(r).toString();
    });
  }

  private static @Nullable List<String> proxies(@Nullable JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isArray() || n.isEmpty() || n.size() > MAX_PROXIES) {
      throw bad("proxies: not a list of 1 to " + MAX_PROXIES + " proxy ids (expected: proxy"
          + " ids, or [\"*\"] for every proxy)");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode p : n) {
      if (!p.isTextual() || !(p.asText().equals(Rollout.ALL)
          || PROXY_ID.matcher(p.asText()).matches())) {
        throw bad("proxies: an entry is not a proxy id (expected: 1 to 128 of A-Z a-z 0-9 . _"
            + " : -, or \"*\")");
      }
      if (!out.contains(p.asText())) {
        out.add(p.asText());
      }
    }
    return out.contains(Rollout.ALL) ? List.of(Rollout.ALL) : out;
  }

  // --- the proxies' pull ---

  private HttpResponse pull(DocumentKind kind, ServiceRequestContext ctx,
      com.linecorp.armeria.common.RequestHeaders headers, Tokens tokens) {
    String tokenName = tokens.check(ctx, headers.get(HttpHeaderNames.AUTHORIZATION));
    if (tokenName == null) {
      count(kind, "unauthorized");
      return HttpResponse.of(ResponseHeaders.builder(HttpStatus.UNAUTHORIZED)
          .contentType(MediaType.JSON_UTF_8)
          .set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"custos-command\"").build(),
          HttpData.ofUtf8("{\"error\":\"Authorization: missing or unknown token (expected:"
              + " Bearer and a proxy token)\"}"));
    }
    String proxyId = headers.get("custos-proxy-id");
    if (proxyId == null || !PROXY_ID.matcher(proxyId).matches()) {
      count(kind, "malformed");
      return error(HttpStatus.BAD_REQUEST, "Custos-Proxy-Id: missing or malformed (expected: 1"
          + " to 128 of A-Z a-z 0-9 . _ : -)");
    }
    String running = headers.get("custos-config-version");
    if (running != null && !VERSION.matcher(running).matches()) {
      count(kind, "malformed");
      return error(HttpStatus.BAD_REQUEST, "Custos-Config-Version: malformed (expected: 1 to"
          + " 256 printable ASCII characters)");
    }
    String refused = headers.get("custos-" + kind.field() + "-refused");
    if (refused != null && VERSION.matcher(refused).matches()) {
      logger.warn("proxy {} refused {} {} (its own checks failed); it keeps running {}",
          proxyId, kind.field(), refused, running == null ? "local" : running);
    }
    Duration wait;
    try {
      String w = ctx.queryParam("wait");
      wait = w == null ? Duration.ZERO : Durations.parse(w);
    } catch (IllegalArgumentException e) {
      wait = Duration.ofMillis(-1);
    }
    if (wait.isNegative() || wait.compareTo(MAX_WAIT) > 0) {
      count(kind, "malformed");
      return error(HttpStatus.BAD_REQUEST, "wait: malformed or out of range (expected: 0 to 5m,"
          + " such as 30s)");
    }
    String ifNoneMatch = headers.get(HttpHeaderNames.IF_NONE_MATCH);
    if (!wait.isZero()) {
      ctx.setRequestTimeout(wait.plusSeconds(30));
    }
    Pull p = new Pull(kind, ctx, proxyId, tokenName, running == null ? "local" : running,
        ifNoneMatch, System.nanoTime() + wait.toNanos(), ctx.blockingTaskExecutor());
    return HttpResponse.of(check(p, true).exceptionally(e -> {
      Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      count(kind, "database_error");
      logger.warn("{} pull of {}: {}", kind.field(), proxyId, c.getClass().getSimpleName());
      return unavailable();
    }));
  }

  private record Pull(DocumentKind kind, ServiceRequestContext ctx, String proxyId, String tokenName, String running,
      @Nullable String ifNoneMatch, long deadlineNanos, Executor executor) {}

  /**
   * Answers a pull, or waits for a change and checks again; {@code first}: the pull's first
   * check, which records it (a wake-up of many polls at once does not write for each again).
   */
  private CompletableFuture<HttpResponse> check(Pull p, boolean first) {
    // Read before the rollouts: a change committed after it wakes the wait below at once.
    long seen = watch.generation();
    return CompletableFuture.supplyAsync(() -> {
      try {
        if (first) {
          store.reportPull(p.proxyId(), p.tokenName(), p.running(), clock.millis());
        }
        return stores.get(p.kind()).assignment(p.proxyId());
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, p.executor()).thenCompose(a -> {
      String etag = a.map(PolicyApi::etag).orElse(LOCAL_ETAG);
      if (!etag.equals(p.ifNoneMatch())) {
        return CompletableFuture.completedFuture(answer(p.kind(), a, etag));
      }
      long remaining = p.deadlineNanos() - System.nanoTime();
      if (remaining <= 0) {
        count(p.kind(), "not_modified");
        return CompletableFuture.completedFuture(HttpResponse.of(ResponseHeaders.builder(
            HttpStatus.NOT_MODIFIED).set(HttpHeaderNames.ETAG, etag).build()));
      }
      CompletableFuture<Void> next = watch.next(seen);
      if (next == null) {
        count(p.kind(), "overloaded");
        return CompletableFuture.completedFuture(unavailable());
      }
      // A proxy that goes away stops counting against the bound at once.
      p.ctx().log().whenComplete().thenRun(() -> watch.done(next));
      return next.completeOnTimeout(null, remaining, TimeUnit.NANOSECONDS).thenCompose(x -> {
        watch.done(next);
        return check(p, false);
      });
    });
  }

  /** Returns the ETag of an assignment: the body's SHA-256, and whether it runs in shadow. */
  static String etag(PolicyStore.Assignment a) {
    return "\"" + a.version().sha256() + (a.rollout().enforce() ? "" : "-shadow") + "\"";
  }

  private HttpResponse answer(DocumentKind kind, Optional<PolicyStore.Assignment> a,
      String etag) {
    if (a.isEmpty()) {
      count(kind, "local");
      return HttpResponse.of(ResponseHeaders.builder(HttpStatus.NO_CONTENT)
          .set(HttpHeaderNames.ETAG, etag).build());
    }
    count(kind, kind.field());
    PolicyStore.Assignment x = a.get();
    ResponseHeadersBuilder h = ResponseHeaders.builder(HttpStatus.OK)
        .contentType(MediaType.parse("application/yaml; charset=utf-8"))
        .set(HttpHeaderNames.ETAG, etag)
        .set("custos-" + kind.field() + "-version", x.version().label())
        .set("custos-rollout-id", Long.toString(x.rollout().id()));
    if (kind == DocumentKind.POLICY) {
      h.set("custos-enforce", Boolean.toString(x.rollout().enforce()));
    }
    return HttpResponse.of(h.build(), HttpData.ofUtf8(x.version().body()));
  }

  private void count(DocumentKind kind, String result) {
    pulls.computeIfAbsent(kind.field() + "/" + result, r -> Counter.builder("custos.command."
        + kind.field() + ".pulls").description("Proxies' " + kind.field() + " pulls, by result")
        .tag("result", result).register(registry)).increment();
  }

  // --- plumbing ---

  /** A read that may fail with an SQLException or a {@link RequestProblem}. */
  private interface Query {
    String run() throws SQLException;
  }

  /** A write from a parsed JSON body. */
  private interface Write {
    String run(JsonNode body) throws SQLException;
  }

  /** A body that is not a valid document of its kind: every problem. */
  private static final class Invalid extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient DocumentKind kind;
    private final List<String> problems;

    Invalid(DocumentKind kind, List<String> problems) {
      super("invalid " + kind.field(), null, false, false);
      this.kind = kind;
      this.problems = List.copyOf(problems);
    }
  }

  private static RequestProblem bad(String message) {
    return new RequestProblem(HttpStatus.BAD_REQUEST, message);
  }

  private HttpResponse query(ServiceRequestContext ctx, Query q) {
    return HttpResponse.of(CompletableFuture.supplyAsync(() -> {
      try {
        return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, q.run());
      } catch (RequestProblem e) {
        return error(e.status(), e.getMessage());
      } catch (SQLException e) {
        return unavailable();
      }
    }, ctx.blockingTaskExecutor()));
  }

  private HttpResponse write(ServiceRequestContext ctx,
      com.linecorp.armeria.common.HttpRequest req, HttpStatus ok, Write w) {
    return HttpResponse.of(req.aggregate().thenApplyAsync((AggregatedHttpRequest agg) -> {
      try {
        JsonNode json;
        String text = agg.contentUtf8();
        if (text.isBlank()) {
          json = JSON.createObjectNode();
        } else {
          try {
            json = JSON.readTree(text);
          } catch (IOException e) {
            json = null;
          }
        }
        if (json == null || !json.isObject()) {
          throw bad("body: not a JSON object (expected: application/json such as"
              + " {\"body\": \"...\"})");
        }
        return HttpResponse.of(ok, MediaType.JSON_UTF_8, w.run(json));
      } catch (Invalid e) {
        ObjectNode o = JSON.createObjectNode();
        o.put("error", "body: not a valid " + e.kind.title() + ", " + e.problems.size()
            + (e.problems.size() == 1 ? " problem" : " problems") + ": "
            + e.problems.get(0) + " (expected: " + e.kind.expected() + ")");
        ArrayNode list = o.putArray("problems");
        e.problems.forEach(list::add);
        return HttpResponse.of(HttpStatus.BAD_REQUEST, MediaType.JSON_UTF_8, o.toString());
      } catch (RequestProblem e) {
        return error(e.status(), e.getMessage());
      } catch (SQLException e) {
        logger.warn("distribution API: database failed: {}", e.getClass().getSimpleName());
        return unavailable();
      }
    }, ctx.blockingTaskExecutor()));
  }

  private static HttpResponse error(HttpStatus status, String message) {
    return HttpResponse.of(status, MediaType.JSON_UTF_8,
        "{\"error\":" + IngestService.quote(message) + "}");
  }

  private static HttpResponse unavailable() {
    return HttpResponse.of(ResponseHeaders.builder(HttpStatus.SERVICE_UNAVAILABLE)
        .contentType(MediaType.JSON_UTF_8).set(HttpHeaderNames.RETRY_AFTER, "5").build(),
        HttpData.ofUtf8("{\"error\":\"database unavailable or too many waiting proxies"
            + " (expected: a retry)\"}"));
  }

  private static String badName() {
    return "name: malformed (expected: 1 to 64 of A-Z a-z 0-9 . _ -)";
  }

  private static String badId() {
    return "id: not a rollout id (expected: a whole number from 1)";
  }

  private static long rolloutId(ServiceRequestContext ctx) {
    String id = ctx.pathParam("id");
    try {
      return id == null || id.length() > 18 ? -1 : Long.parseLong(id);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static int positiveInt(@Nullable String s) {
    try {
      return s == null || s.length() > 9 ? -1 : Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
