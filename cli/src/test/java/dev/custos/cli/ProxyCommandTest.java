package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ProxyCommandTest {
  @TempDir
  Path dir;

  @Test
  void aBadConfigurationExitsWith2AndOneLineWithItsPosition() throws Exception {
    Path config = Files.writeString(dir.resolve("custos.yaml"), """
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: nowhere
        clusters:
          backend: { endpoints: ["127.0.0.1:9000"] }
        """);

    Cli.Result r = Cli.run("proxy", "--config", config.toString());

    assertThat(r.code()).isEqualTo(Main.ERROR);
    assertThat(r.err().strip()).isEqualTo("custos: " + config + ":4:14: routes[0].cluster:"
        + " 'nowhere' is not defined (expected one of: backend)");
    assertThat(r.err().strip().lines()).hasSize(1);
  }

  @Test
  void anOversizedConfigurationExitsWith2AndOneLineWithoutReadingIt() throws Exception {
    Path config = dir.resolve("custos.yaml");
    try (var out = Files.newOutputStream(config)) {
      byte[] line = ("# " + "x".repeat(1021) + "\n").getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < 32 * 1024; i++) {
        out.write(line);
      }
    }

    Cli.Result r = Cli.run("proxy", "--config", config.toString());

    assertThat(r.code()).isEqualTo(Main.ERROR);
    assertThat(r.err().strip()).startsWith("custos: " + config + ": larger than ")
        .endsWith(" bytes)");
    assertThat(r.err().strip().lines()).hasSize(1);
  }

  @Test
  void aPortInUseExitsWith2AndOneLine() throws Exception {
    try (java.net.ServerSocket taken =
        new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Path config = Files.writeString(dir.resolve("custos.yaml"), """
          listen: 127.0.0.1:%d
          routes:
            - match: { prefix: / }
              cluster: backend
          clusters:
            backend: { endpoints: ["127.0.0.1:9000"] }
          policy: { version: 1 }
          """.formatted(taken.getLocalPort()));

      Cli.Result r = Cli.run("proxy", "--config", config.toString());

      assertThat(r.code()).isEqualTo(Main.ERROR);
      assertThat(r.err().strip()).startsWith("custos: " + config + ": cannot listen on 127.0.0.1:"
              + taken.getLocalPort() + " (listen): ")
          .endsWith("(expected: free addresses for listen, tls.listen, admin and tcp_listeners)");
      assertThat(r.err().strip().lines()).hasSize(1);
    }
  }

  @Test
  void checkValidatesWithoutStartingAndExits0WithOneLine() throws Exception {
    try (java.net.ServerSocket taken =
        new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      // The address is taken: a proxy that started would fail; --check does not bind.
      Path config = Files.writeString(dir.resolve("custos.yaml"), """
          listen: 127.0.0.1:%d
          routes:
            - match: { prefix: / }
              cluster: backend
          clusters:
            backend: { endpoints: ["127.0.0.1:9000"] }
          policy: { version: 1 }
          """.formatted(taken.getLocalPort()));

      Cli.Result r = Cli.run("proxy", "--config", config.toString(), "--check");

      assertThat(r.code()).isEqualTo(Main.OK);
      assertThat(r.out().strip()).isEqualTo("custos proxy: " + config
          + ": valid (1 routes, 1 clusters, 0 tcp listeners)");
      assertThat(r.err()).isEmpty();
    }
  }

  @Test
  void checkOfABadConfigurationExitsWith2AndItsPosition() throws Exception {
    Path config = Files.writeString(dir.resolve("custos.yaml"), """
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: nowhere
        clusters:
          backend: { endpoints: ["127.0.0.1:9000"] }
        """);

    Cli.Result r = Cli.run("proxy", "--check", "--config", config.toString());

    assertThat(r.code()).isEqualTo(Main.ERROR);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().strip()).startsWith("custos: " + config + ":4:14: ");
  }

  @Test
  void aTcpListenerPortInUseExitsWith2AndOneLine() throws Exception {
    try (java.net.ServerSocket taken =
        new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Path config = Files.writeString(dir.resolve("custos.yaml"), """
          listen: 127.0.0.1:0
          routes:
            - match: { prefix: / }
              cluster: backend
          clusters:
            backend: { endpoints: ["127.0.0.1:9000"] }
          tcp_listeners:
            - { name: logs, listen: "127.0.0.1:%d", cluster: backend, framing: syslog }
          policy: { version: 1 }
          """.formatted(taken.getLocalPort()));

      Cli.Result r = Cli.run("proxy", "--config", config.toString());

      assertThat(r.code()).isEqualTo(Main.ERROR);
      assertThat(r.err().strip()).startsWith("custos: " + config + ": cannot listen on 127.0.0.1:"
              + taken.getLocalPort() + " (tcp_listeners.logs): ")
          .endsWith("(expected: free addresses for listen, tls.listen, admin and tcp_listeners)");
      assertThat(r.err().strip().lines()).hasSize(1);
    }
  }

  @Test
  void theProxyPrintsItsUrlsServesAndStopsCleanly() throws Exception {
    Path config = Files.writeString(dir.resolve("custos.yaml"), """
        listen: 127.0.0.1:0
        admin: 127.0.0.1:0
        drain_timeout: 100ms
        routes:
          - match: { prefix: / }
            cluster: backend
        clusters:
          backend: { endpoints: ["127.0.0.1:9"] }
        """);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    Io io = new Io(new ByteArrayInputStream(new byte[0]), o, System.err);
    CommandLine cmd = Main.commandLine(io);
    ProxyCommand proxy = (ProxyCommand) cmd.getSubcommands().get("proxy").getCommand();
    CompletableFuture<Integer> code = CompletableFuture.supplyAsync(
        () -> cmd.execute("proxy", "--config", config.toString()));

    Pattern admin = Pattern.compile("admin on (http://127\\.0\\.0\\.1:\\d+)");
    await().atMost(Duration.ofSeconds(30))
        .until(() -> admin.matcher(out.toString(StandardCharsets.UTF_8)).find());
    assertThat(out.toString(StandardCharsets.UTF_8))
        .containsPattern("listening on http://127\\.0\\.0\\.1:\\d+ \\(HTTP/1\\.1, h2c\\)");
    Matcher m = admin.matcher(out.toString(StandardCharsets.UTF_8));
    assertThat(m.find()).isTrue();
    HttpResponse<String> health = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(m.group(1) + "/healthz")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);

    proxy.stop.countDown();
    assertThat(code).succeedsWithin(Duration.ofSeconds(30)).isEqualTo(Main.OK);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("custos proxy: stopped");
  }
}
