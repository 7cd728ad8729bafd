package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ExtProcCommandTest {
  private static final String CONFIG = """
      listen: 127.0.0.1:0
      routes:
        - match: { prefix: / }
          cluster: backend
      clusters:
        backend: { endpoints: ["127.0.0.1:9"] }
      policy: { version: 1 }
      """;

  @TempDir
  Path dir;

  @Test
  void aListenAddressThatIsNotIpAndPortIsAUsageError() throws Exception {
    Path config = Files.writeString(dir.resolve("custos.yaml"), CONFIG);

    Cli.Result r = Cli.run("ext-proc", "--config", config.toString(), "--listen", "localhost");

    assertThat(r.code()).isEqualTo(Main.ERROR);
    assertThat(r.err()).contains(
        "--listen: localhost (expected: IP:PORT, such as 127.0.0.1:9002 or [::]:9002)");
  }

  @Test
  void aPortInUseExitsWith2AndOneLine() throws Exception {
    try (java.net.ServerSocket taken =
        new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Path config = Files.writeString(dir.resolve("custos.yaml"), CONFIG);
      String listen = "127.0.0.1:" + taken.getLocalPort();

      Cli.Result r = Cli.run("ext-proc", "--config", config.toString(), "--listen", listen);

      assertThat(r.code()).isEqualTo(Main.ERROR);
      assertThat(r.err().strip()).startsWith("custos: --listen " + listen + ": cannot listen: ")
          .endsWith("(expected: a free address)");
      assertThat(r.err().strip().lines()).hasSize(1);
    }
  }

  @Test
  void theServerPrintsItsAddressAndStopsCleanly() throws Exception {
    Path config = Files.writeString(dir.resolve("custos.yaml"), CONFIG);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    Io io = new Io(new ByteArrayInputStream(new byte[0]), o, System.err);
    CommandLine cmd = Main.commandLine(io);
    ExtProcCommand command =
        (ExtProcCommand) cmd.getSubcommands().get("ext-proc").getCommand();
    CompletableFuture<Integer> code = CompletableFuture.supplyAsync(() -> cmd.execute(
        "ext-proc", "--config", config.toString(), "--listen", "127.0.0.1:0"));

    await().atMost(Duration.ofSeconds(30)).until(() -> out.toString(StandardCharsets.UTF_8)
        .contains("custos ext-proc: listening on grpc://127.0.0.1:"));
    assertThat(out.toString(StandardCharsets.UTF_8)).containsPattern(
        "listening on grpc://127\\.0\\.0\\.1:\\d+ \\(envoy\\.service\\.ext_proc\\.v3"
            + "\\.ExternalProcessor, 1 routes\\)");

    command.stop.countDown();
    assertThat(code).succeedsWithin(Duration.ofSeconds(30)).isEqualTo(Main.OK);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("custos ext-proc: stopped");
  }
}
