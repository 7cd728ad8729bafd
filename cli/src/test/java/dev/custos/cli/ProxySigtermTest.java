package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.Server;
import dev.custos.proxy.internal.BossGroups;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code custos proxy} as its own JVM, stopped by SIGTERM ({@link Process#destroy()} on Linux)
 * while an exchange is in flight: {@code /readyz} answers 503 at once, a new connection is still
 * accepted and served during {@code drain_timeout}, the exchange in flight completes after the
 * drain, and the process exits with 143 (the JVM's code for SIGTERM) within {@code drain_timeout}
 * plus {@code shutdown_timeout}.
 */
@DisabledOnOs(OS.WINDOWS)
class ProxySigtermTest {
  /** The JVM's exit status when SIGTERM started its shutdown: 128 + 15. */
  private static final int SIGTERM_EXIT = 143;

  @TempDir
  Path dir;

  @Test
  void sigtermDrainsServesNewConnectionsFinishesTheExchangeInFlightAndExits() throws Exception {
    CompletableFuture<HttpResponse> slow = new CompletableFuture<>();
    AtomicBoolean slowArrived = new AtomicBoolean();
    Server upstream = Server.builder().bossGroupFactory(BossGroups::newBossGroup)
        .http(new InetSocketAddress("127.0.0.1", 0))
        .requestTimeout(Duration.ZERO)
        .service("/slow", (ctx, req) -> {
          slowArrived.set(true);
          return HttpResponse.of(slow);
        })
        .serviceUnder("/", (ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8,
            "fast"))
        .build();
    upstream.start().join();
    Path config = Files.writeString(dir.resolve("custos.yaml"), """
        listen: 127.0.0.1:0
        admin: 127.0.0.1:0
        findings: { file: off }
        drain_timeout: 20s
        shutdown_timeout: 60s
        routes:
          - { match: { prefix: / }, cluster: backend, timeout: 0s }
        clusters:
          backend: { endpoints: ["127.0.0.1:%d"] }
        policy: { version: 1 }
        """.formatted(upstream.activeLocalPort()));
    Process process = start(config);
    try {
      Pattern listening = Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+) ");
      Pattern adminLine = Pattern.compile("admin on (http://127\\.0\\.0\\.1:(\\d+)) ");
      await().atMost(Duration.ofMinutes(3)).until(() -> find(stdout(), adminLine) != null
          || !process.isAlive());
      assertThat(process.isAlive()).as("the proxy started").isTrue();
      String http = find(stdout(), listening).group(1);
      Matcher admin = find(stdout(), adminLine);
      WebClient adminClient = WebClient.of(admin.group(1));
      int adminPort = Integer.parseInt(admin.group(2));
      assertThat(adminClient.get("/readyz").aggregate().join().status()).isEqualTo(HttpStatus.OK);

      CompletableFuture<AggregatedHttpResponse> inFlight = WebClient.builder(http)
          .responseTimeout(Duration.ZERO).build().get("/slow").aggregate();
      await().atMost(Duration.ofSeconds(60)).untilTrue(slowArrived);

      process.destroy(); // SIGTERM

      // The drain is long enough that a loaded machine still reaches the next step inside it.
      await().atMost(Duration.ofSeconds(15)).until(() -> adminClient.get("/readyz").aggregate()
          .join().status() == HttpStatus.SERVICE_UNAVAILABLE);
      // Draining: a new connection is accepted and served.
      try (ClientFactory fresh = ClientFactory.builder().build()) {
        AggregatedHttpResponse during = WebClient.builder(http).factory(fresh).build()
            .get("/during-drain").aggregate().join();
        assertThat(during.status()).isEqualTo(HttpStatus.OK);
        assertThat(during.contentUtf8()).isEqualTo("fast");
      }
      assertThat(process.isAlive()).isTrue();

      // After the drain the admin server stops; the exchange in flight is still going on.
      await().atMost(Duration.ofSeconds(60)).until(() -> refused(adminPort));
      assertThat(inFlight).isNotDone();
      assertThat(process.isAlive()).isTrue();
      slow.complete(HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, "slow done"));
      AggregatedHttpResponse finished = inFlight.get(60, TimeUnit.SECONDS);
      assertThat(finished.status()).isEqualTo(HttpStatus.OK);
      assertThat(finished.contentUtf8()).isEqualTo("slow done");

      assertThat(process.waitFor(65, TimeUnit.SECONDS)).as("exited within shutdown_timeout")
          .isTrue();
      assertThat(process.exitValue()).isEqualTo(SIGTERM_EXIT);
      assertThat(stdout()).as(() -> "stderr: " + stderr()).contains("custos proxy: stopped");

      // The operational log: JSON lines on stderr, each with its time and level.
      List<com.fasterxml.jackson.databind.JsonNode> log = new ArrayList<>();
      for (String line : stderr().split("\n")) {
        if (!line.isBlank()) {
          log.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(line));
        }
      }
      assertThat(log).isNotEmpty().allSatisfy(l -> {
        assertThat(l.path("timestamp").asLong()).isPositive();
        assertThat(l.path("level").asText()).isIn("INFO", "WARN", "ERROR");
      });
      assertThat(log).anySatisfy(l -> {
        assertThat(l.path("level").asText()).isEqualTo("INFO");
        assertThat(l.path("formattedMessage").asText()).startsWith("shutting down: /readyz"
            + " answers 503");
      });
    } finally {
      slow.complete(HttpResponse.of(HttpStatus.OK));
      process.destroyForcibly();
      upstream.stop().join();
    }
  }

  private List<String> stdout() throws IOException {
    Path file = dir.resolve("stdout.txt");
    return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
  }

  private String stderr() {
    try {
      return Files.readString(dir.resolve("stderr.txt"));
    } catch (IOException e) {
      return e.toString();
    }
  }

  /** Starts {@code custos proxy} in a JVM of its own, on the tests' class path. */
  private Process start(Path config) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classPath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(java, "-Xmx512m",
        "-Dcustos.noHyperscanCache=true", "-cp", classPath,
        Main.class.getName(), "proxy", "--config", config.toString()));
    return new ProcessBuilder(command)
        .redirectOutput(dir.resolve("stdout.txt").toFile())
        .redirectError(dir.resolve("stderr.txt").toFile())
        .start();
  }

  private static Matcher find(List<String> lines, Pattern p) {
    for (String line : lines) {
      Matcher m = p.matcher(line);
      if (m.find()) {
        return m;
      }
    }
    return null;
  }

  private static boolean refused(int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      return false;
    } catch (ConnectException e) {
      return true;
    }
  }
}
