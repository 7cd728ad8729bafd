package dev.custos.proxy.internal.telemetry.commandplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.custos.proxy.internal.BossGroups;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * A command plane for the tests, on a loopback ephemeral port: {@code POST
 * /api/v1/ingest/events} answers as the ingestion contract says (202 accepted or duplicate by
 * batch id, 400 for a malformed line, 401 for an unknown token, 413 beyond the line or size
 * bound, 503 with {@code Retry-After} when told to be down). Keeps every attempt and the batches
 * it stored. Thread-safe.
 */
public final class CommandPlaneStub extends ServerExtension {
  public static final String TOKEN = "proxy-token-0123456789abcdef";
  static final ObjectMapper JSON = new ObjectMapper();

  /** How the plane answers. */
  public enum Mode { ACCEPT, UNAVAILABLE, REJECT }

  /** One request as it arrived. */
  public record Attempt(String batchId, String proxyId, String configVersion,
      String authorization, String contentType, String contentEncoding,
      SessionProtocol protocol, byte[] body, int status) {}

  public volatile Mode mode = Mode.ACCEPT;
  public volatile int maxLines = 1000;
  public volatile String retryAfter = "0";
  /** Attempts left that store the batch and then answer 503, as a lost answer would look. */
  public final AtomicInteger storeThenFail = new AtomicInteger();
  public final Set<String> tokens = new CopyOnWriteArraySet<>(List.of(TOKEN));
  public final List<Attempt> attempts = new CopyOnWriteArrayList<>();
  public final Map<String, List<JsonNode>> stored = new ConcurrentHashMap<>();
  public final AtomicInteger duplicates = new AtomicInteger();

  @Override
  protected void configure(ServerBuilder sb) {
    sb.bossGroupFactory(BossGroups::newBossGroup);
    sb.service(CommandSender.PATH, (ctx, req) -> HttpResponse.of(req.aggregate()
        .thenApply(agg -> answer(ctx, agg))));
  }

  /** Forgets everything and accepts again. */
  public void reset() {
    mode = Mode.ACCEPT;
    maxLines = 1000;
    retryAfter = "0";
    storeThenFail.set(0);
    tokens.clear();
    tokens.add(TOKEN);
    attempts.clear();
    stored.clear();
    duplicates.set(0);
  }

  /** Returns every event stored, in no particular order. */
  public List<JsonNode> events() {
    List<JsonNode> out = new ArrayList<>();
    stored.values().forEach(out::addAll);
    return out;
  }

  /** Returns the plane's URL. */
  public String url() {
    return "http://127.0.0.1:" + httpPort();
  }

  /** Answers one request and keeps it, with the status answered, in {@link #attempts}. */
  private HttpResponse answer(ServiceRequestContext ctx, AggregatedHttpRequest agg) {
    String id = agg.headers().get("custos-batch-id", "");
    byte[] raw = agg.content().array();
    int[] status = {0};
    try {
      return evaluate(agg, id, raw, status);
    } finally {
      attempts.add(new Attempt(id, agg.headers().get("custos-proxy-id", ""),
          agg.headers().get("custos-config-version", ""),
          agg.headers().get(HttpHeaderNames.AUTHORIZATION, ""),
          String.valueOf(agg.headers().get(HttpHeaderNames.CONTENT_TYPE)),
          agg.headers().get(HttpHeaderNames.CONTENT_ENCODING, "identity"),
          ctx.sessionProtocol(), raw, status[0]));
    }
  }

  private HttpResponse evaluate(AggregatedHttpRequest agg, String id, byte[] raw, int[] status) {
    if (mode == Mode.UNAVAILABLE) {
      status[0] = 503;
      return HttpResponse.of(ResponseHeaders.builder(HttpStatus.SERVICE_UNAVAILABLE)
          .add(HttpHeaderNames.RETRY_AFTER, retryAfter).build());
    }
    String auth = agg.headers().get(HttpHeaderNames.AUTHORIZATION, "");
    if (!auth.startsWith("Bearer ") || !tokens.contains(auth.substring(7))) {
      status[0] = 401;
      return json(HttpStatus.UNAUTHORIZED, "{\"error\":\"unknown token\"}");
    }
    byte[] plain;
    try {
      plain = "gzip".equals(agg.headers().get(HttpHeaderNames.CONTENT_ENCODING))
          ? gunzip(raw, (4 << 20) + 1) : raw;
    } catch (IOException e) {
      status[0] = 400;
      return json(HttpStatus.BAD_REQUEST, "{\"error\":\"body is not gzip\"}");
    }
    String[] lines = new String(plain, StandardCharsets.UTF_8).split("\n");
    if (plain.length > 4 << 20 || lines.length > maxLines) {
      status[0] = 413;
      return json(HttpStatus.REQUEST_ENTITY_TOO_LARGE, "{\"error\":\"too big\"}");
    }
    if (mode == Mode.REJECT) {
      status[0] = 400;
      return json(HttpStatus.BAD_REQUEST, "{\"error\":\"line 1: route: unknown\"}");
    }
    try {
      UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      status[0] = 400;
      return json(HttpStatus.BAD_REQUEST, "{\"error\":\"Custos-Batch-Id: not a UUID\"}");
    }
    List<JsonNode> events = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      try {
        JsonNode n = JSON.readTree(lines[i]);
        if (n == null || !n.isObject()) {
          throw new IOException("not an object");
        }
        events.add(n);
      } catch (IOException e) {
        status[0] = 400;
        return json(HttpStatus.BAD_REQUEST, "{\"error\":\"line " + (i + 1) + ": not JSON\"}");
      }
    }
    boolean duplicate = stored.putIfAbsent(id, events) != null;
    if (!duplicate && storeThenFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      status[0] = 503;
      return HttpResponse.of(ResponseHeaders.builder(HttpStatus.SERVICE_UNAVAILABLE)
          .add(HttpHeaderNames.RETRY_AFTER, "0").build());
    }
    status[0] = 202;
    if (duplicate) {
      duplicates.incrementAndGet();
      return json(HttpStatus.ACCEPTED, "{\"accepted\":0,\"duplicate\":true}");
    }
    return json(HttpStatus.ACCEPTED, "{\"accepted\":" + events.size() + ",\"duplicate\":false}");
  }

  private static HttpResponse json(HttpStatus status, String body) {
    return HttpResponse.of(status, MediaType.JSON_UTF_8, body);
  }

  static byte[] gunzip(byte[] gz, int max) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return in.readNBytes(max);
    }
  }

  /** Returns the text of every attempt's body, decompressed. */
  public List<String> wireTexts() {
    List<String> out = new ArrayList<>();
    for (Attempt a : attempts) {
      try {
        out.add(new String(gunzip(a.body(), 8 << 20), StandardCharsets.UTF_8));
      } catch (IOException e) {
        out.add(new String(a.body(), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  /**
   * Returns the text of every batch in a spool folder's segment files, decompressed, and the raw
   * bytes of every other file there.
   */
  public static List<String> spoolTexts(Path dir) {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        byte[] bytes = Files.readAllBytes(f);
        out.add(new String(bytes, StandardCharsets.ISO_8859_1));
        if (f.getFileName().toString().endsWith(".seg")) {
          ByteBuffer b = ByteBuffer.wrap(bytes).position(SpoolCodec.MAGIC.length);
          SpoolCodec.Read r;
          while ((r = SpoolCodec.decode(b)).status() == SpoolCodec.Status.OK) {
            out.add(new String(gunzip(r.batch().body(), 8 << 20), StandardCharsets.UTF_8));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** Returns the number of batches in a spool folder's segment files. */
  public static int spooledBatches(Path dir) {
    int n = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.getFileName().toString().endsWith(".seg")) {
          ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).position(SpoolCodec.MAGIC.length);
          while (SpoolCodec.decode(b).status() == SpoolCodec.Status.OK) {
            n++;
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return n;
  }
}
