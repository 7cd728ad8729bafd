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

class CommandPlaneCommandTest {
  static final String DIGEST = "ab".repeat(32);

  @TempDir
  Path dir;

  @Test
  void aBadConfigurationExitsWith2AndOneLineWithItsPosition() throws Exception {
    Path config = Files.writeString(dir.resolve("command.yaml"), """
        listen: 127.0.0.1:0
        tokens: [{ name: edge, sha256: %s }]
        ingest: { queue: 0 }
        """.formatted(DIGEST));

    Cli.Result r = Cli.run("command", "--config", config.toString());

    assertThat(r.code()).isEqualTo(Main.ERROR);
    assertThat(r.err().strip()).startsWith("custos: " + config + ":3:18: ingest.queue: 0");
    assertThat(r.err().strip().lines()).hasSize(1);
  }

  @Test
  void thePlaneCreatesItsSqliteDatabaseServesAndStopsCleanly() throws Exception {
    Path config = Files.writeString(dir.resolve("command.yaml"), """
        listen: 127.0.0.1:0
        tokens: [{ name: edge, sha256: %s }]
        """.formatted(DIGEST));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    Io io = new Io(new ByteArrayInputStream(new byte[0]), o, System.err);
    CommandLine cmd = Main.commandLine(io);
    CommandPlaneCommand plane =
        (CommandPlaneCommand) cmd.getSubcommands().get("command").getCommand();
    CompletableFuture<Integer> code = CompletableFuture.supplyAsync(
        () -> cmd.execute("command", "--config", config.toString()));

    Pattern listening = Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)");
    await().atMost(Duration.ofSeconds(30))
        .until(() -> listening.matcher(out.toString(StandardCharsets.UTF_8)).find());
    Matcher m = listening.matcher(out.toString(StandardCharsets.UTF_8));
    assertThat(m.find()).isTrue();
    HttpResponse<String> ready = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(m.group(1) + "/readyz")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("custos command: dashboard " + m.group(1) + "/");
    HttpResponse<String> dashboard = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(m.group(1) + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
    // 503 only in a build without the bundle (-Dskip.npm), with a page saying so.
    assertThat(dashboard.statusCode()).isIn(200, 503);
    assertThat(dashboard.headers().firstValue("content-type")).hasValueSatisfying(
        t -> assertThat(t).startsWith("text/html"));
    assertThat(dir.resolve("custos-command.db")).exists();

    plane.stop.countDown();
    assertThat(code).succeedsWithin(Duration.ofSeconds(30)).isEqualTo(Main.OK);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("custos command: stopped");
  }
}
