package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpRequestWriter;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.custos.proxy.internal.BossGroups;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/** The proxy streams bodies both ways: it never waits for a whole body, and memory stays flat. */
class StreamingTest {
  @RegisterExtension
  static final Upstream upstream = new Upstream("a");

  /** A separate upstream for the large body, so that a failure there cannot spill over. */
  @RegisterExtension
  static final Upstream bigUpstream = new Upstream("big");

  /** Completes when the upstream has received the first chunk of a request body. */
  static final CompletableFuture<String> firstRequestChunk = new CompletableFuture<>();

  @RegisterExtension
  static final ServerExtension sink = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      sb.requestTimeout(Duration.ZERO).maxRequestLength(0);
      sb.service("/upload", (ctx, req) -> {
        CompletableFuture<HttpResponse> done = new CompletableFuture<>();
        req.subscribe(new Subscriber<>() {
          long bytes;
          Subscription s;

          @Override
          public void onSubscribe(Subscription s) {
            this.s = s;
            s.request(1);
          }

          @Override
          public void onNext(HttpObject o) {
            if (o instanceof HttpData d) {
              if (bytes == 0) {
                firstRequestChunk.complete(d.toStringUtf8());
              }
              bytes += d.length();
            }
            s.request(1);
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onComplete() {
            done.complete(HttpResponse.of("received " + bytes));
          }
        });
        return HttpResponse.of(done);
      });
    }
  };

  @TempDir
  static Path dir;

  static ProxyFixture fixture;

  @BeforeAll
  static void startProxy() {
    fixture = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: /upload }
            cluster: sink
            timeout: 60s
          - match: { prefix: /big }
            cluster: big
            timeout: 0s
          - match: { prefix: / }
            cluster: a
            timeout: 60s
        clusters:
          a: { endpoints: ["127.0.0.1:%d"] }
          sink: { endpoints: ["127.0.0.1:%d"] }
          big: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(upstream.httpPort(), sink.httpPort(), bigUpstream.httpPort()));
  }

  @AfterAll
  static void stopProxy() {
    fixture.close();
  }

  @Test
  void theFirstResponseChunkArrivesBeforeTheUpstreamFinishes() throws Exception {
    upstream.release.set(new CompletableFuture<>());
    HttpClient client = HttpClient.newHttpClient();
    java.net.http.HttpResponse<InputStream> res = client.send(java.net.http.HttpRequest
        .newBuilder(URI.create(fixture.http() + "/stream")).build(), BodyHandlers.ofInputStream());
    assertThat(res.statusCode()).isEqualTo(200);
    try (InputStream in = res.body()) {
      byte[] first = assertTimeoutPreemptively(Duration.ofSeconds(10),
          () -> in.readNBytes("first-chunk;".length()));
      assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("first-chunk;");
      assertThat(upstream.release.get()).isNotDone();

      upstream.release.get().complete(null);
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("last-chunk");
    }
  }

  @Test
  void theFirstRequestChunkReachesTheUpstreamBeforeTheClientFinishes() {
    WebClient client = WebClient.builder(fixture.http()).responseTimeoutMillis(30_000).build();
    HttpRequestWriter req = HttpRequest.streaming(RequestHeaders.of(HttpMethod.POST, "/upload"));
    CompletableFuture<String> response = client.execute(req).aggregate()
        .thenApply(r -> r.contentUtf8());
    req.write(HttpData.ofUtf8("chunk-1;"));

    assertThat(firstRequestChunk).succeedsWithin(Duration.ofSeconds(10)).isEqualTo("chunk-1;");
    assertThat(response).isNotDone();
    req.write(HttpData.ofUtf8("chunk-2"));
    req.close();
    assertThat(response).succeedsWithin(Duration.ofSeconds(10)).isEqualTo("received 15");
  }

  /**
   * Reads with a demand of one chunk at a time over HTTP/2, so that only flow control keeps the
   * proxy's memory flat; a failure shows its cause.
   */
  @Test
  void aBodyLargerThanTheHeapStreamsThrough() {
    long mb = Long.getLong("custos.test.streamMiB", 256);
    assertThat(Runtime.getRuntime().maxMemory()).isLessThan(mb * 1024 * 1024);
    WebClient client = WebClient.builder("h2c://127.0.0.1:" + fixture.proxy.activeHttpPort())
        .responseTimeout(Duration.ZERO)
        .maxResponseLength(0)
        .build();
    CompletableFuture<String> outcome = new CompletableFuture<>();
    client.get("/big?mb=" + mb).subscribe(new Subscriber<HttpObject>() {
      long bytes;
      String status = "none";
      Subscription s;

      @Override
      public void onSubscribe(Subscription s) {
        this.s = s;
        s.request(1);
      }

      @Override
      public void onNext(HttpObject o) {
        if (o instanceof ResponseHeaders h && !h.status().isInformational()) {
          status = h.status().codeAsText();
        } else if (o instanceof HttpData d) {
          bytes += d.length();
          d.close();
        }
        s.request(1);
      }

      @Override
      public void onError(Throwable t) {
        outcome.completeExceptionally(t);
      }

      @Override
      public void onComplete() {
        outcome.complete(status + " " + bytes);
      }
    });
    assertThat(outcome).succeedsWithin(Duration.ofMinutes(3))
        .isEqualTo("200 " + mb * 1024 * 1024);
  }
}
