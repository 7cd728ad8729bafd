package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.config.ConfigException;
import dev.custos.engine.config.ConfigProblem;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;

/**
 * {@link ProxyConfig#validateStructure} checks everything {@link ProxyConfig#parse} checks of a
 * configuration that names no file nor environment variable: the same problems, at the same
 * lines and columns, for valid and invalid configurations alike.
 */
class ConfigStructurePropertyTest {
  @Property(tries = 200)
  void withoutExternalResourcesBothModesReportTheSameProblems(
      @ForAll @Chars({'a', 'b'}) @StringLength(min = 1, max = 2) String cluster,
      @ForAll @IntRange(min = 0, max = 70_000) int port,
      @ForAll @IntRange(min = 0, max = 400) int idleSeconds,
      @ForAll @IntRange(min = 0, max = 40) int cidrBits) {
    String yaml = """
        listen: 127.0.0.1:8080
        idle_timeout: %ds
        findings: { file: off }
        trusted_proxies: [10.0.0.0/%d]
        routes:
          - { name: api, match: { prefix: / }, cluster: %s }
        clusters:
          ab: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(idleSeconds, cidrBits, cluster, port);

    List<ConfigProblem> deferred = problems(() -> ProxyConfig.validateStructure(yaml, "c.yaml"));
    List<ConfigProblem> read = problems(() -> ProxyConfig.parse(yaml, "c.yaml", Path.of("/")));

    assertThat(deferred).isEqualTo(read);
    Statistics.collect(read.isEmpty() ? "valid" : "invalid");
    Statistics.coverage(c -> {
      c.check("valid").count(n -> n > 0);
      c.check("invalid").count(n -> n > 0);
    });
  }

  private static List<ConfigProblem> problems(Runnable check) {
    try {
      check.run();
      return List.of();
    } catch (ConfigException e) {
      return e.problems();
    }
  }
}
