package dev.custos.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.custos.proxy.internal.BossGroups;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real upstream for the proxy tests: {@code /echo/**} answers with what it received as JSON;
 * {@code /slow} answers after 3 s; {@code /hop} answers with hop-by-hop headers; {@code
 * /stream} sends one chunk and finishes when {@link #release} completes; {@code /big?mb=N}
 * streams N MiB generated on the fly, with backpressure; {@code /cards?units=N} streams N copies
 * of {@link #CARD_UNIT} (text lines, one with a card number) in 64 KiB chunks, so that cards
 * straddle chunk boundaries; {@code /name} answers the upstream's name; {@code /internal-token}
 * answers it with an {@code x-internal-token} header. {@link #hits} counts every request.
 */
final class Upstream extends ServerExtension {
  static final ObjectMapper JSON = new ObjectMapper();

  /** The card {@link #CARD_UNIT} holds. */
  static final String CARD = "4111 1111 1111 1111";

  /** About 4 KiB of text lines without digits, then one line with a card number. */
  static final String CARD_UNIT = "the quick brown fox jumps over the lazy dog again and again\n"
      .repeat(67) + "order paid with card: " + CARD + " thank you\n";

  final AtomicReference<CompletableFuture<Void>> release =
      new AtomicReference<>(new CompletableFuture<>());
  /** Counts requests to {@code /stream}. */
  final java.util.concurrent.atomic.AtomicInteger streams =
      new java.util.concurrent.atomic.AtomicInteger();
  /** Counts every request this upstream received. */
  final java.util.concurrent.atomic.AtomicInteger hits =
      new java.util.concurrent.atomic.AtomicInteger();
  private final String name;

  Upstream(String name) {
    this.name = name;
  }

  @Override
  protected void configure(ServerBuilder sb) {
    sb.bossGroupFactory(BossGroups::newBossGroup);
    sb.requestTimeout(Duration.ZERO).maxRequestLength(0);
    sb.decorator((delegate, ctx, req) -> {
      hits.incrementAndGet();
      return delegate.serve(ctx, req);
    });
    sb.serviceUnder("/", (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> {
      ObjectNode out = JSON.createObjectNode();
      out.put("upstream", name);
      out.put("method", agg.method().name());
      out.put("path", agg.path());
      ObjectNode headers = out.putObject("headers");
      agg.headers().forEach((k, v) -> {
        String key = k.toString();
        headers.put(key, headers.has(key) ? headers.get(key).asText() + "|" + v : v);
      });
      out.put("body", agg.contentUtf8());
      out.put("protocol", ctx.sessionProtocol().uriText());
      return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, out.toString());
    })));
    sb.service("/slow", (ctx, req) -> HttpResponse.delayed(
        HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, "late"), Duration.ofSeconds(3)));
    sb.service("/hop", (ctx, req) -> HttpResponse.of(ResponseHeaders.builder(HttpStatus.OK)
        .add("connection", "x-upstream-private")
        .add("x-upstream-private", "secret-hop")
        .add("keep-alive", "timeout=5")
        .add("x-upstream-public", "kept")
        .contentType(MediaType.PLAIN_TEXT_UTF_8)
        .build(), HttpData.ofUtf8("hop")));
    sb.service("/stream", (ctx, req) -> {
      HttpResponseWriter res = HttpResponse.streaming();
      res.write(ResponseHeaders.of(HttpStatus.OK, "content-type", "text/plain"));
      res.write(HttpData.ofUtf8("first-chunk;"));
      streams.incrementAndGet();
      release.get().thenRun(() -> {
        res.write(HttpData.ofUtf8("last-chunk"));
        res.close();
      });
      return res;
    });
    sb.service("/big", (ctx, req) -> {
      long total = Long.parseLong(ctx.queryParam("mb")) * 1024 * 1024;
      HttpResponseWriter res = HttpResponse.streaming();
      res.write(ResponseHeaders.of(HttpStatus.OK, "content-type", "application/octet-stream"));
      byte[] chunk = new byte[64 * 1024];
      Arrays.fill(chunk, (byte) 'x');
      writeChunks(res, chunk, total);
      return res;
    });
    sb.service("/cards", (ctx, req) -> {
      long units = Long.parseLong(ctx.queryParam("units"));
      byte[] unit = CARD_UNIT.getBytes(StandardCharsets.US_ASCII);
      HttpResponseWriter res = HttpResponse.streaming();
      res.write(ResponseHeaders.of(HttpStatus.OK, "content-type", "text/plain; charset=utf-8"));
      writeUnits(res, unit, units * unit.length, 0);
      return res;
    });
    sb.service("/name", (ctx, req) -> HttpResponse.of(name));
    sb.service("/internal-token", (ctx, req) -> HttpResponse.of(
        ResponseHeaders.builder(HttpStatus.OK)
            .add("x-internal-token", "internal-" + name)
            .add("x-upstream-public", "kept")
            .contentType(MediaType.PLAIN_TEXT_UTF_8)
            .build(), HttpData.ofUtf8(name)));
  }

  private static void writeChunks(HttpResponseWriter res, byte[] chunk, long remaining) {
    if (remaining <= 0) {
      res.close();
      return;
    }
    if (!res.tryWrite(HttpData.wrap(chunk))) {
      return;
    }
    res.whenConsumed().thenRun(() -> writeChunks(res, chunk, remaining - chunk.length));
  }

  /** Writes the bytes from {@code offset} of an endless repetition of {@code unit}. */
  private static void writeUnits(HttpResponseWriter res, byte[] unit, long total, long offset) {
    if (offset >= total) {
      res.close();
      return;
    }
    int n = (int) Math.min(64 * 1024, total - offset);
    byte[] chunk = new byte[n];
    for (int i = 0; i < n; i++) {
      chunk[i] = unit[(int) ((offset + i) % unit.length)];
    }
    if (!res.tryWrite(HttpData.wrap(chunk))) {
      return;
    }
    res.whenConsumed().thenRun(() -> writeUnits(res, unit, total, offset + n));
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
