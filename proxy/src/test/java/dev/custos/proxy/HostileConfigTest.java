package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import dev.custos.engine.config.ConfigException;
import dev.custos.proxy.internal.ConfigReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hostile-input suite's config-abuse family: a configuration file replaced by something
 * hostile (too large, nested too deep, an alias bomb, not UTF-8, a directory, an endless device)
 * is rejected in one log line and counted, the old configuration keeps serving, and the watcher
 * survives to apply the next valid change. Values planted in the hostile file appear nowhere.
 */
class HostileConfigTest {
  @TempDir
  Path dir;

  /** A comment line holding the planted value, so a leak of the file's text would show it. */
  private static final String PLANTED = "# ssn " + HostileProxy.SSN + "\n";

  /** A way to spoil the configuration file, and what its one-line rejection says. */
  interface Abuse {
    void apply(Path file) throws IOException;
  }

  static Stream<Arguments> abuses() {
    return Stream.of(
        Arguments.of("a file larger than the limit", (Abuse) file -> {
          StringBuilder sb = new StringBuilder(PLANTED);
          String line = "# " + "x".repeat(1021) + "\n";
          while (sb.length() <= ConfigReader.MAX_FILE_BYTES) {
            sb.append(line);
          }
          replace(file, sb.toString().getBytes(StandardCharsets.UTF_8));
        }, "larger than " + ConfigReader.MAX_FILE_BYTES + " bytes"),
        Arguments.of("nesting ten thousand levels deep", (Abuse) file -> replace(file,
            (PLANTED + "listen: " + "[".repeat(10_000) + "]".repeat(10_000) + "\n")
                .getBytes(StandardCharsets.UTF_8)), "nesting deeper than"),
        Arguments.of("a billion-laughs alias bomb", (Abuse) file -> {
          StringBuilder sb = new StringBuilder(PLANTED + "a0: &a0 [\"lol\"]\n");
          for (int i = 1; i < 30; i++) {
            sb.append("a").append(i).append(": &a").append(i).append(" [");
            for (int j = 0; j < 10; j++) {
              sb.append(j == 0 ? "" : ", ").append("*a").append(i - 1);
            }
            sb.append("]\n");
          }
          replace(file, sb.toString().getBytes(StandardCharsets.UTF_8));
        }, "an anchor"),
        Arguments.of("bytes that are not UTF-8", (Abuse) file -> {
          byte[] text = (PLANTED + "listen: 127.0.0.1:0\n").getBytes(StandardCharsets.UTF_8);
          byte[] bad = java.util.Arrays.copyOf(text, text.length + 2);
          bad[text.length] = (byte) 0xC3;
          bad[text.length + 1] = (byte) 0x28;
          replace(file, bad);
        }, "not UTF-8 text"),
        Arguments.of("the file replaced by a directory", (Abuse) file -> {
          Files.delete(file);
          Files.createDirectory(file);
          Files.writeString(file.resolve("inside.yaml"), PLANTED);
        }, "a directory"),
        Arguments.of("an empty file", (Abuse) file -> replace(file, new byte[0]),
            "empty configuration"),
        Arguments.of("a link to a device that never ends", (Abuse) file -> {
          Files.delete(file);
          Files.createSymbolicLink(file, Path.of("/dev/zero"));
        }, "larger than " + ConfigReader.MAX_FILE_BYTES + " bytes"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("abuses")
  void aHostileConfigFileIsRejectedInOneLineAndTheWatcherSurvives(String name, Abuse abuse,
      String expected) throws Exception {
    try (HostileProxy p = HostileProxy.start(dir)) {
      Path file = p.proxy.configFile;
      String good = Files.readString(file);

      abuse.apply(file);

      await().atMost(Duration.ofSeconds(30)).until(() -> reloads(p, "failure") >= 1);
      String log = p.logOutput();
      assertThat(log.lines().filter(l -> l.contains("config reload rejected"))).singleElement()
          .asString().contains(expected);
      assertThat(log).doesNotContain("\tat ").doesNotContain("Exception in thread");
      p.assertStillServes();

      // The watcher is still alive: a valid change is applied.
      boolean directory = Files.isDirectory(file);
      if (directory) {
        // A file cannot be renamed over a directory: the watcher may see it missing meanwhile.
        Files.delete(file.resolve("inside.yaml"));
        Files.delete(file);
      }
      ProxyFixture.write(file, good + "# changed\n");
      await().atMost(Duration.ofSeconds(30)).until(() -> reloads(p, "success") >= 1);
      if (!directory) {
        assertThat(reloads(p, "failure")).isEqualTo(1);
      }
      p.assertStillServes();
      p.assertNeverLeaked(HostileProxy.SSN);
    }
  }

  @Test
  void anOversizedFileIsRefusedAtStartInOneLineWithoutReadingIt() throws IOException {
    Path big = dir.resolve("big.yaml");
    try (var out = Files.newOutputStream(big)) {
      byte[] line = ("# " + "x".repeat(1021) + "\n").getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < 32 * 1024; i++) {
        out.write(line);
      }
    }

    assertThatThrownBy(() -> ProxyConfig.load(big))
        .isInstanceOf(ConfigException.class)
        .hasMessage(big + ": larger than " + ConfigReader.MAX_FILE_BYTES + " bytes (expected: a"
            + " configuration file of at most " + ConfigReader.MAX_FILE_BYTES + " bytes)");
  }

  private static double reloads(HostileProxy p, String result) {
    String metrics = WebClient.of(p.proxy.admin()).get("/metrics").aggregate().join()
        .contentUtf8();
    String prefix = "custos_config_reloads_total{result=\"" + result + "\"} ";
    return metrics.lines().filter(l -> l.startsWith(prefix))
        .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length()))).sum();
  }

  private static void replace(Path file, byte[] bytes) {
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.write(tmp, bytes);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
