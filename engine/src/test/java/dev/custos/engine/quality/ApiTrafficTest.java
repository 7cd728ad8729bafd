package dev.custos.engine.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.Backend;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Finding;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Measures findings per MiB on recorded-looking API traffic that holds no sensitive value besides
 * emails and IP addresses ({@link ApiTrafficCorpus}: GitHub REST responses and webhooks, OpenAPI,
 * npm and PyPI metadata, Kubernetes objects, JSON logs, API docs). Fails when findings besides
 * emails and IP addresses exceed {@code api.max_findings_per_mib} in {@code
 * quality/thresholds.properties}, and on any email finding that is the user and host of an SSH
 * URL ({@code git@github.com:owner/repo}, {@code ssh://git@github.com/owner/repo}).
 *
 * <p>With {@code -Dcustos.quality.verbose=true} it prints the surroundings of each counted finding
 * (the corpus is generated, so none is a real value).
 */
class ApiTrafficTest {
  private static final int MIB = 1 << 20;
  private static final long SEED = 20261207L;

  @Test
  void apiTrafficHoldsAtMostOneFindingPerMibBesidesEmailsAndIps() throws IOException {
    List<ApiTrafficCorpus.Document> documents = ApiTrafficCorpus.generate(SEED, 2 * MIB + MIB / 2);
    boolean verbose = Boolean.getBoolean("custos.quality.verbose");
    Map<String, long[]> byFamily = new TreeMap<>();
    Map<String, Integer> byCategory = new TreeMap<>();
    Map<String, Integer> byDetector = new TreeMap<>();
    List<String> sshAsEmail = new ArrayList<>();
    List<String> samples = new ArrayList<>();
    long bytes = 0;
    long counted = 0;
    try (Scanner scanner =
        Scanner.builder(Policy.ofDefault())
            .backend(Backend.JAVA)
            .evidenceKey(EvidenceKey.of(new byte[32]))
            .build()) {
      for (ApiTrafficCorpus.Document d : documents) {
        bytes += d.bytes().length;
        long[] family = byFamily.computeIfAbsent(d.family(), k -> new long[2]);
        family[0] += d.bytes().length;
        for (Finding f : scanner.scan(d.bytes(), d.type()).findings()) {
          byCategory.merge(f.category(), 1, Integer::sum);
          if (f.category().equals("email")) {
            if (isSshUrl(d.bytes(), (int) f.start(), (int) f.end())) {
              sshAsEmail.add(d.family() + ": " + around(d.bytes(), f));
            }
            continue;
          }
          if (f.category().equals("ip_address")) {
            continue;
          }
          counted++;
          family[1]++;
          byDetector.merge(f.detector(), 1, Integer::sum);
          if (verbose) {
            samples.add(f.detector() + " " + f.confidence() + " " + d.family() + ": " + around(d.bytes(), f));
          }
        }
      }
    }
    double mib = bytes / (double) MIB;
    double perMib = counted / mib;
    StringBuilder report = new StringBuilder();
    report.append(String.format("%-26s %8.2f MiB %6d findings %8.2f per MiB besides emails and IPs%n",
        "all", mib, counted, perMib));
    byFamily.forEach((name, v) -> report.append(String.format("  %-24s %8.2f MiB %6d findings%n",
        name, v[0] / (double) MIB, v[1])));
    report.append("by category (all findings): ").append(byCategory).append('\n');
    report.append("by detector (counted): ").append(byDetector).append('\n');
    report.append("SSH URLs reported as emails: ").append(sshAsEmail.size()).append('\n');
    samples.forEach(s -> report.append("  ").append(s).append('\n'));
    System.out.println("Findings on API traffic\n" + report);
    Path out = Path.of("target", "quality");
    Files.createDirectories(out);
    Files.writeString(out.resolve("api-traffic.txt"), report.toString());

    double max = Double.parseDouble(QualityCorpus.thresholds().getProperty("api.max_findings_per_mib"));
    assertThat(mib).isGreaterThan(2.0);
    assertThat(sshAsEmail).as("SSH URLs reported as emails").isEmpty();
    assertThat(perMib).as("findings besides emails and IPs per MiB of API traffic: %s", byDetector)
        .isLessThanOrEqualTo(max);
  }

  /** Returns whether the match is the {@code user@host} of {@code user@host:path} or {@code scheme://user@host}. */
  static boolean isSshUrl(byte[] b, int start, int end) {
    boolean colonPath = end + 1 < b.length && b[end] == ':' && b[end + 1] != ' ' && b[end + 1] != '"';
    boolean scheme = start >= 3 && b[start - 1] == '/' && b[start - 2] == '/' && b[start - 3] == ':';
    return colonPath || scheme;
  }

  private static String around(byte[] b, Finding f) {
    int from = (int) Math.max(0, f.start() - 40);
    int to = (int) Math.min(b.length, f.end() + 20);
    return new String(b, from, to - from, StandardCharsets.UTF_8).replace('\n', ' ');
  }
}
