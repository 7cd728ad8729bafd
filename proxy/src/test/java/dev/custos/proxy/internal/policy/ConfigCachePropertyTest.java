package dev.custos.proxy.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.NumericChars;
import net.jqwik.api.constraints.StringLength;

/**
 * Properties of the last-good configuration cache: a written configuration reads back the same
 * (label, ETag, body and parsed settings); a file cut short anywhere (a torn disk) or with bytes
 * flipped reads as the same configuration or as nothing, never as an exception; arbitrary bytes
 * never throw.
 */
class ConfigCachePropertyTest {
  private static String config(String route, int port, int idleSeconds) {
    return """
        listen: 127.0.0.1:0
        idle_timeout: %ds
        findings: { file: off }
        routes:
          - { name: %s, match: { prefix: / }, cluster: u }
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(idleSeconds, route, port);
  }

  private static void inTempDir(IoConsumer body) throws IOException {
    Path dir = Files.createTempDirectory("config-cache-prop");
    try {
      body.accept(dir);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  private interface IoConsumer {
    void accept(Path dir) throws IOException;
  }

  @Property(tries = 30)
  void aWrittenConfigurationReadsBackTheSame(
      @ForAll @AlphaChars @StringLength(min = 1, max = 20) String name,
      @ForAll @IntRange(min = 1, max = 999_999) int version,
      @ForAll @IntRange(min = 1, max = 65535) int port,
      @ForAll @IntRange(min = 1, max = 3600) int idle,
      @ForAll @NumericChars @StringLength(min = 1, max = 64) String etag) throws IOException {
    inTempDir(dir -> {
      String label = name + "@" + version;
      PulledConfig c = ConfigCache.parse(label, "\"" + etag + "\"", config("r-" + name, port,
          idle), "test", dir);
      Path file = dir.resolve("sub").resolve("config-cache.yaml");
      ConfigCache.write(file, c);
      PulledConfig back = ConfigCache.read(file, dir);
      assertThat(back).isNotNull();
      assertThat(back.label()).isEqualTo(label);
      assertThat(back.etag()).isEqualTo(c.etag());
      assertThat(back.body()).isEqualTo(c.body());
      assertThat(back.config().routes().get(0).name()).isEqualTo("r-" + name);
      assertThat(back.config().idleTimeout().getSeconds()).isEqualTo(idle);
      try (Stream<Path> left = Files.list(file.getParent())) {
        assertThat(left.map(p -> p.getFileName().toString()))
            .containsExactly("config-cache.yaml");
      }
    });
  }

  @Property(tries = 60)
  void aFileCutShortOrWithAFlippedByteIsTheSameOrNothing(
      @ForAll @IntRange(min = 0, max = 10_000) int cut,
      @ForAll @IntRange(min = 0, max = 10_000) int flipAt,
      @ForAll boolean flip) throws IOException {
    inTempDir(dir -> {
      PulledConfig c = ConfigCache.parse("edge@3", "\"abc123\"", config("api", 8080, 60),
          "test", dir);
      Path file = dir.resolve("config-cache.yaml");
      ConfigCache.write(file, c);
      byte[] bytes = Files.readAllBytes(file);
      byte[] damaged = Arrays.copyOf(bytes, Math.min(cut, bytes.length));
      if (flip && damaged.length > 0) {
        damaged[flipAt % damaged.length] ^= 0x20;
      }
      Files.write(file, damaged);
      PulledConfig back = ConfigCache.read(file, dir);
      if (back != null) {
        // What is read was validated again: a complete label, ETag and configuration.
        assertThat(back.label()).matches("[A-Za-z0-9._-]{1,64}@[0-9]{1,9}");
        assertThat(back.config().routes()).isNotEmpty();
        assertThat(new String(damaged, StandardCharsets.UTF_8)).endsWith(back.body());
      }
    });
  }

  @Property(tries = 100)
  void arbitraryBytesNeverThrow(@ForAll byte[] input) throws IOException {
    inTempDir(dir -> {
      Path file = dir.resolve("config-cache.yaml");
      byte[] head = "# custos-config: edge@1\n# custos-etag: \"e\"\n".getBytes(
          StandardCharsets.UTF_8);
      byte[] all = Arrays.copyOf(head, head.length + input.length);
      System.arraycopy(input, 0, all, head.length, input.length);
      Files.write(file, all);
      ConfigCache.read(file, dir);
      Files.write(file, input);
      assertThat(ConfigCache.read(file, dir)).isNull();
    });
  }
}
