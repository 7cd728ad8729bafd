package dev.custos.command.internal.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.Server;
import dev.custos.command.CommandConfig;
import dev.custos.command.TestEvents;
import dev.custos.command.internal.config.ConfigReader;
import dev.custos.command.internal.store.Store;
import dev.custos.proxy.internal.BossGroups;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A full work queue answers 503 with Retry-After, without reading the body. */
class IngestOverloadTest {
  @TempDir
  Path dir;

  @Test
  void aFullQueueAnswers503WithRetryAfterAndLaterBatchesGoThrough() throws Exception {
    String token = "t0k3n-for-overload";
    Tokens tokens = new Tokens(List.of(new CommandConfig.Token("edge",
        HexFormat.of().formatHex(ConfigReader.sha256(token.getBytes(StandardCharsets.UTF_8))))));
    ThreadPoolExecutor writers = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(1));
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch busy = new CountDownLatch(1);
    try (Store store = Store.open(CommandConfig.Database.sqlite(dir.resolve("c.db")))) {
      Server server = Server.builder().bossGroupFactory(BossGroups::newBossGroup).http(0).service("/api/v1/ingest/events",
          new IngestService(tokens, store, writers, Clock.systemUTC(), new SimpleMeterRegistry()))
          .build();
      server.start().join();
      try {
        // The writer is busy and the one queue slot taken: the queue is full.
        writers.execute(() -> {
          busy.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        busy.await();
        writers.execute(() -> { });
        WebClient client = WebClient.of("http://127.0.0.1:" + server.activeLocalPort());

        AggregatedHttpResponse full = post(client, token);

        assertThat(full.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(full.headers().get(HttpHeaderNames.RETRY_AFTER)).isEqualTo("1");
        release.countDown();
        org.awaitility.Awaitility.await().until(() -> writers.getQueue().isEmpty()
            && writers.getActiveCount() == 0);
        assertThat(post(client, token).status()).isEqualTo(HttpStatus.ACCEPTED);
      } finally {
        release.countDown();
        server.stop().join();
        writers.shutdown();
      }
    }
  }

  private static AggregatedHttpResponse post(WebClient client, String token) {
    byte[] body = TestEvents.body(List.of(TestEvents.line(Instant.parse("2026-12-07T10:00:00Z"),
        "orders", "", "request", "id-a", Map.of("email", 1), List.of("observe"), List.of())));
    return client.execute(RequestHeaders.builder(HttpMethod.POST, "/api/v1/ingest/events")
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token)
        .set(HttpHeaderNames.CONTENT_TYPE, "application/x-ndjson")
        .set("custos-proxy-id", "gw-1")
        .set("custos-batch-id", UUID.randomUUID().toString()).build(), HttpData.wrap(body))
        .aggregate().join();
  }
}
