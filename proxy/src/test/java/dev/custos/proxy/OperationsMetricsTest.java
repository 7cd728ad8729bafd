package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.WebClient;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 part 7: the admin server's /metrics carries the JVM's and the process's metrics and
 * {@code custos_build_info}, and the inspection histogram has twelve buckets (plus +Inf) per
 * route and direction, not Micrometer's seventy.
 */
class OperationsMetricsTest {
  @RegisterExtension
  static final Upstream upstream = new Upstream("u");

  @TempDir
  Path dir;

  @Test
  void metricsHaveTheJvmTheProcessTheBuildAndFewInspectionBuckets() {
    try (ProxyFixture p = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        admin: 127.0.0.1:0
        findings: { file: off }
        routes:
          - { name: api, match: { prefix: / }, cluster: u }
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(upstream.httpPort()))) {
      WebClient.of(p.http()).post("/echo", "{\"card\":\"" + Upstream.CARD + "\"}")
          .aggregate().join();
      String metrics = WebClient.of(p.admin()).get("/metrics").aggregate().join().contentUtf8();

      assertThat(metrics)
          .containsPattern("(?m)^custos_build_info\\{.*version=\"[0-9][^\"]*\".*} 1")
          .containsPattern("(?m)^jvm_memory_used_bytes\\{.*area=\"heap\"")
          .containsPattern("(?m)^jvm_threads_live_threads ")
          .containsPattern("(?m)^jvm_classes_loaded_classes ")
          .containsPattern("(?m)^process_cpu_usage ")
          .containsPattern("(?m)^process_uptime_seconds ")
          .containsPattern("(?m)^system_cpu_count ");

      Map<String, Integer> buckets = new TreeMap<>();
      Matcher m = Pattern.compile("(?m)^custos_inspection_seconds_bucket\\{(.*?),?le=\"[^\"]+\",?(.*?)}")
          .matcher(metrics);
      while (m.find()) {
        buckets.merge(m.group(1) + m.group(2), 1, Integer::sum);
      }
      assertThat(buckets).isNotEmpty();
      assertThat(buckets.values()).as(buckets.toString()).allMatch(n -> n == 13);
    }
  }
}
