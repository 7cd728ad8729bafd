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
      int adminPort = p.proxy.proxy.activeAdminPort().orElseThrow();
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

      // After the drain the admin server stops; the exchange in flight goes on.
      await().atMost(Duration.ofSeconds(30)).until(() -> refused(adminPort));
      assertThat(shutdown).isNotDone();
      slow.complete(HttpResponse.of(HttpStatus.OK, MediaType.JSON, "{\"slow\":\"done\"}"));
      AggregatedHttpResponse finished = inFlight.get(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(finished.status()).isEqualTo(HttpStatus.OK);
      assertThat(finished.contentUtf8()).isEqualTo("{\"slow\":\"done\"}");
      shutdown.get(60, java.util.concurrent.TimeUnit.SECONDS);
    } finally {
      slow.complete(HttpResponse.of(HttpStatus.OK));
    }
  }

  @Test
  void anExchangeStillInFlightAtTheDeadlineGetsTheJson503() throws Exception {
    CompletableFuture<HttpResponse> never = new CompletableFuture<>();
    try (HostileProxy p = HostileProxy.start(dir, HostileProxy.DEFAULT_ROUTE,
        "drain_timeout: 0s\nshutdown_timeout: 1s")) {
      p.respondWith(req -> HttpResponse.of(never));
      CompletableFuture<AggregatedHttpResponse> inFlight = WebClient.builder(p.http())
          .responseTimeout(Duration.ofSeconds(60)).build().get("/never").aggregate();
      await().atMost(Duration.ofSeconds(30)).until(() -> !p.received.isEmpty());

      p.proxy.proxy.shutdown();

      AggregatedHttpResponse cut = inFlight.get(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(cut.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
      assertThat(cut.contentType()).isEqualTo(MediaType.JSON_UTF_8);
      assertThat(cut.contentUtf8()).isEqualTo("{\"error\":\"shutting down\",\"status\":503}");
    } finally {
      never.complete(HttpResponse.of(HttpStatus.OK));
    }
  }

  private static boolean refused(int port) throws java.io.IOException {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5_000);
      return false;
    } catch (java.net.ConnectException e) {
      return true;
    }
  }
}
