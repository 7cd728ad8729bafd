package dev.custos.command.internal.alerts;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.Server;
import dev.custos.command.AlertsConfig;
import dev.custos.proxy.internal.BossGroups;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A webhook endpoint for tests: a real Armeria server on an ephemeral loopback port that keeps
 * every body it is sent and answers a status the test chooses.
 */
public final class WebhookReceiver implements AutoCloseable {
  /** The secret part of the URL: it must appear in no log, metric or API answer. */
  public static final String SECRET = "T0KEN-s3cret-path-0123456789";

  private final Server server;
  private final List<String> bodies = new CopyOnWriteArrayList<>();
  private final AtomicInteger status = new AtomicInteger(200);
  private final AtomicInteger attempts = new AtomicInteger();

  public WebhookReceiver() {
    server = Server.builder().bossGroupFactory(BossGroups::newBossGroup).http(0).service("/hooks/" + SECRET, (ctx, req) ->
        HttpResponse.of(req.aggregate().thenApply(agg -> {
          attempts.incrementAndGet();
          int s = status.get();
          if (s == 200) {
            bodies.add(agg.contentUtf8());
          }
          return HttpResponse.of(HttpStatus.valueOf(s));
        }))).build();
    server.start().join();
  }

  /** Returns the URL a webhook's url_file holds. */
  public String url() {
    return "http://127.0.0.1:" + server.activeLocalPort() + "/hooks/" + SECRET;
  }

  /** Writes the URL to {@code file} and returns a webhook for it (10 ms backoff). */
  public AlertsConfig.Webhook webhook(String name, Path file, int maxAttempts)
      throws IOException {
    Files.writeString(file, url() + "\n");
    return new AlertsConfig.Webhook(name, file, Duration.ofSeconds(5), maxAttempts,
        Duration.ofMillis(10), true);
  }

  /** Sets the status every request is answered with (bodies are kept only for 200). */
  public void answer(int code) {
    status.set(code);
  }

  /** Returns the bodies received with 200, in order. */
  public List<String> bodies() {
    return List.copyOf(bodies);
  }

  /** Returns how many requests arrived. */
  public int attempts() {
    return attempts.get();
  }

  /**
   * Stops the receiver without waiting: the server's acceptor thread takes Netty's two-second
   * quiet period to wind down, which no test needs to wait for (each receiver has its own port).
   */
  @Override
  public void close() {
    server.closeAsync();
  }
}
