package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A graceful shutdown (what SIGTERM does): {@code /readyz} turns 503 at once, new connections are
 * still served during {@code drain_timeout}, an exchange in flight finishes after the drain, and
 * a request refused meanwhile gets the JSON 503.
 */
class GracefulShutdownTest {
  @TempDir
  Path dir;

  @Test
  void readyzTurns503AtOnceTheDrainServesAndAnExchangeInFlightFinishes() throws Exception {
    CompletableFuture<HttpResponse> slow = new CompletableFuture<>();
    try (HostileProxy p = HostileProxy.start(dir, HostileProxy.DEFAULT_ROUTE,
        "drain_timeout: 2s\nshutdown_timeout: 30s")) {
      p.respondWith(req -> req.path().equals("/slow") ? HttpResponse.of(slow)
          : HttpResponse.of(HttpStatus.OK, MediaType.JSON, "{\"ok\":true}"));
      WebClient admin = WebClient.of(p.proxy.admin());
      assertThat(admin.get("/readyz").aggregate().join().status()).isEqualTo(HttpStatus.OK);
      CompletableFuture<AggregatedHttpResponse> inFlight = WebClient.builder(p.http())
          .responseTimeout(Duration.ofSeconds(60)).build().get("/slow").aggregate();
      await().atMost(Duration.ofSeconds(30)).until(() -> p.received.stream()
          .anyMatch(r -> r.path().equals("/slow")));

      CompletableFuture<Void> shutdown = CompletableFuture.runAsync(p.proxy.proxy::shutdown);

      await().atMost(Duration.ofSeconds(10)).until(() -> !p.proxy.proxy.ready());
      assertThat(admin.get("/readyz").aggregate().join().status())
          .isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
      // Draining: a new connection is still accepted and served.
      try (ClientFactory fresh = ClientFactory.builder().build()) {
        AggregatedHttpResponse during = WebClient.builder(p.http()).factory(fresh).build()
            .get("/during-drain").aggregate().join();
        assertThat(during.status()).isEqualTo(HttpStatus.OK);
      }
      assertThat(shutdown).isNotDone();

      // After the drain the listeners stop taking new work; the exchange in flight goes on.
      await().atMost(Duration.ofSeconds(30)).until(() -> refusedOrJson503(p));
      slow.complete(HttpResponse.of(HttpStatus.OK, MediaType.JSON, "{\"slow\":\"done\"}"));
      AggregatedHttpResponse finished = inFlight.get(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(finished.status()).isEqualTo(HttpStatus.OK);
      assertThat(finished.contentUtf8()).isEqualTo("{\"slow\":\"done\"}");
      shutdown.get(60, java.util.concurrent.TimeUnit.SECONDS);
    } finally {
      slow.complete(HttpResponse.of(HttpStatus.OK));
    }
  }

  /**
   * Returns whether a request on a new connection is refused: the connection, or a JSON 503.
   * Fails the test if it gets any other answer than 200 (still draining) or those.
   */
  private static boolean refusedOrJson503(HostileProxy p) {
    try (ClientFactory fresh = ClientFactory.builder().build()) {
      AggregatedHttpResponse res = WebClient.builder(p.http()).factory(fresh)
          .responseTimeout(Duration.ofSeconds(10)).build().get("/after-drain").aggregate().join();
      if (res.status() == HttpStatus.OK) {
        return false;
      }
      assertThat(res.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
      assertThat(res.contentType()).isEqualTo(MediaType.JSON_UTF_8);
      assertThat(res.contentUtf8()).contains("\"error\":\"shutting down\"");
      return true;
    } catch (java.util.concurrent.CompletionException e) {
      return true;
    }
  }
}
