package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 part 3: a configuration mounted from a ConfigMap reloads when the kubelet updates it.
 * The kubelet's atomic writer keeps each version in a folder of its own ({@code ..<timestamp>}),
 * points the symlink {@code ..data} at it, and the visible files are symlinks through {@code
 * ..data}; an update writes a new folder, makes a new symlink {@code ..data_tmp}, renames it over
 * {@code ..data} (one atomic step), and removes the old folder. This test does exactly that.
 */
class ConfigMapReloadTest {
  @RegisterExtension
  static final Upstream a = new Upstream("a");
  @RegisterExtension
  static final Upstream b = new Upstream("b");

  @TempDir
  Path dir;

  private final AtomicInteger version = new AtomicInteger();

  /** Writes a ConfigMap version the way the kubelet does and returns its folder. */
  private Path publish(Map<String, String> files) throws IOException {
    Path folder = dir.resolve("..2026_12_07_13_00_00." + version.incrementAndGet());
    Files.createDirectory(folder);
    for (Map.Entry<String, String> f : files.entrySet()) {
      Files.writeString(folder.resolve(f.getKey()), f.getValue());
    }
    Path data = dir.resolve("..data");
    Path old = Files.isSymbolicLink(data) ? dir.resolve(Files.readSymbolicLink(data)) : null;
    Path tmp = dir.resolve("..data_tmp");
    Files.createSymbolicLink(tmp, folder.getFileName());
    Files.move(tmp, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    for (String name : files.keySet()) {
      Path visible = dir.resolve(name);
      if (!Files.isSymbolicLink(visible)) {
        Files.createSymbolicLink(visible, Path.of("..data").resolve(name));
      }
    }
    if (old != null) {
      try (var list = Files.list(old)) {
        for (Path p : list.toList()) {
          Files.delete(p);
        }
      }
      Files.delete(old);
    }
    return folder;
  }

  private String config(String cluster) {
    return """
        listen: 127.0.0.1:0
        findings: { file: off }
        routes:
          - match: { prefix: / }
            cluster: %s
        clusters:
          a: { endpoints: ["127.0.0.1:%d"] }
          b: { endpoints: ["127.0.0.1:%d"] }
        policy: policy.yaml
        """.formatted(cluster, a.httpPort(), b.httpPort());
  }

  private static final String OBSERVE = "version: 1\n";
  private static final String REDACT = """
      version: 1
      rules:
        - name: cards are masked
          match: { direction: response }
          categories: [credit_card]
          action: redact
      """;

  private static double reloads(CustosProxy proxy, String result) {
    Counter c = proxy.meterRegistry().find("custos.config.reloads").tag("result", result)
        .counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void aSwapOfTheDataSymlinkReloadsTheConfigurationAndThePolicy() throws IOException {
    publish(Map.of("custos.yaml", config("a"), "policy.yaml", OBSERVE));
    Path file = dir.resolve("custos.yaml");
    assertThat(Files.isSymbolicLink(file)).isTrue();
    try (CustosProxy proxy = CustosProxy.builder(ProxyConfig.load(file))
        .reloadInterval(Duration.ofMillis(50)).build().start()) {
      WebClient client = WebClient.of("http://127.0.0.1:" + proxy.activeHttpPort());
      assertThat(client.get("/name").aggregate().join().contentUtf8()).isEqualTo("a");
      assertThat(client.get("/cards?units=1").aggregate().join().contentUtf8())
          .contains(Upstream.CARD);

      // The configuration changes: the route goes to b.
      publish(Map.of("custos.yaml", config("b"), "policy.yaml", OBSERVE));
      await().atMost(Duration.ofSeconds(10)).until(() -> reloads(proxy, "success") >= 1);
      assertThat(client.get("/name").aggregate().join().contentUtf8()).isEqualTo("b");

      // Only the policy changes (the configuration's text is the same): cards are redacted.
      double before = reloads(proxy, "success");
      publish(Map.of("custos.yaml", config("b"), "policy.yaml", REDACT));
      await().atMost(Duration.ofSeconds(10)).until(() -> reloads(proxy, "success") > before);
      assertThat(client.get("/cards?units=1").aggregate().join().contentUtf8())
          .doesNotContain(Upstream.CARD);

      // A bad version is rejected; the last good one keeps serving.
      publish(Map.of("custos.yaml", "listen: [", "policy.yaml", REDACT));
      await().atMost(Duration.ofSeconds(10)).until(() -> reloads(proxy, "failure") >= 1);
      assertThat(client.get("/name").aggregate().join().contentUtf8()).isEqualTo("b");
      assertThat(client.get("/cards?units=1").aggregate().join().contentUtf8())
          .doesNotContain(Upstream.CARD);
    }
  }
}
