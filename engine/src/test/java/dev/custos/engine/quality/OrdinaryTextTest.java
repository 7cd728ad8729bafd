package dev.custos.engine.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.Backend;
import dev.custos.engine.Confidence;
import dev.custos.engine.ContentType;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Finding;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * Measures findings per MiB on ordinary text that should hold no sensitive data: this
 * repository's main sources, the JDK's {@code src.zip}, man pages and {@code /var/log}, each read up
 * to a cap so the test stays quick. Sources absent on a machine are skipped (the repository's are
 * always there). Fails when the overall rate exceeds {@code ordinary.max_findings_per_mib} in
 * {@code quality/thresholds.properties}.
 */
class OrdinaryTextTest {
  private static final int MIB = 1 << 20;

  @Test
  void ordinaryTextHoldsFewFindingsPerMib() throws IOException {
    Map<String, List<byte[]>> corpora = new LinkedHashMap<>();
    corpora.put("repository sources", repositorySources(2 * MIB));
    corpora.put("jdk src.zip", jdkSources(2 * MIB));
    corpora.put("man pages", manPages(2 * MIB));
    corpora.put("/var/log", logs(1 * MIB));
    StringBuilder report = new StringBuilder();
    long totalBytes = 0;
    long totalFindings = 0;
    long totalOthers = 0;
    long totalOthersAboveLow = 0;
    Map<String, Integer> byDetector = new TreeMap<>();
    try (Scanner scanner =
        Scanner.builder(Policy.ofDefault())
            .backend(Backend.JAVA)
            .evidenceKey(EvidenceKey.of(new byte[32]))
            .build()) {
      for (Map.Entry<String, List<byte[]>> corpus : corpora.entrySet()) {
        long bytes = 0;
        long findings = 0;
        long others = 0;
        for (byte[] document : corpus.getValue()) {
          bytes += document.length;
          for (Finding f : scanner.scan(document, ContentType.TEXT).findings()) {
            findings++;
            byDetector.merge(f.detector(), 1, Integer::sum);
            if (!f.category().equals("email")) {
              others++;
              if (f.confidence() != Confidence.LOW) {
                totalOthersAboveLow++;
              }
            }
          }
        }
        if (bytes > 0) {
          report.append(String.format("%-20s %8.2f MiB %6d findings %8.2f per MiB, %8.2f per MiB besides emails%n",
              corpus.getKey(), bytes / (double) MIB, findings, findings / (bytes / (double) MIB),
              others / (bytes / (double) MIB)));
        }
        totalBytes += bytes;
        totalFindings += findings;
        totalOthers += others;
      }
    }
    double mib = totalBytes / (double) MIB;
    double perMib = totalOthers / mib;
    report.append(String.format("%-20s %8.2f MiB %6d findings %8.2f per MiB, %8.2f per MiB besides emails"
        + " (%.2f above low confidence)%n", "all", mib, totalFindings, totalFindings / mib, perMib,
        totalOthersAboveLow / mib));
    byDetector.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder()))
        .limit(15)
        .forEach(e -> report.append(String.format("  %-40s %6d%n", e.getKey(), e.getValue())));
    System.out.println("Findings on ordinary text\n" + report);
    Path out = Path.of("target", "quality");
    Files.createDirectories(out);
    Files.writeString(out.resolve("ordinary-text.txt"), report.toString());
    double max = Double.parseDouble(QualityCorpus.thresholds().getProperty("ordinary.max_findings_per_mib"));
    assertThat(totalBytes).isGreaterThan(0);
    // Emails in man pages and logs are real addresses (authors, maintainers), not false findings.
    assertThat(perMib).as("findings besides emails per MiB of ordinary text").isLessThanOrEqualTo(max);
  }

  /** The main Java sources of every module (tests hold synthetic sensitive values on purpose). */
  private static List<byte[]> repositorySources(int cap) throws IOException {
    Path root = Path.of("").toAbsolutePath();
    if (!Files.exists(root.resolve("pom.xml")) || Files.exists(root.resolve("src/main/java/dev/custos/engine"))) {
      root = root.getParent();
    }
    List<Path> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root, 12)) {
      walk.filter(p -> p.toString().endsWith(".java"))
          .filter(p -> p.toString().contains("/src/main/java/"))
          .filter(p -> !p.toString().contains("/target/"))
          // The demo plants synthetic people, cards and ids on purpose.
          .filter(p -> !p.toString().contains("/demo/") && !p.getFileName().toString().startsWith("Demo"))
          .sorted()
          .forEach(files::add);
    }
    List<byte[]> out = new ArrayList<>();
    long total = 0;
    for (Path p : files) {
      byte[] b = Files.readAllBytes(p);
      if (total + b.length > cap) {
        break;
      }
      out.add(b);
      total += b.length;
    }
    return out;
  }

  private static List<byte[]> jdkSources(int cap) throws IOException {
    Path zip = Path.of(System.getProperty("java.home"), "lib", "src.zip");
    List<byte[]> out = new ArrayList<>();
    if (!Files.isReadable(zip)) {
      return out;
    }
    long total = 0;
    try (ZipFile z = new ZipFile(zip.toFile())) {
      List<? extends ZipEntry> entries = z.stream()
          .filter(e -> e.getName().startsWith("java.base/java/") && e.getName().endsWith(".java"))
          .sorted(Comparator.comparing(ZipEntry::getName))
          .toList();
      for (ZipEntry e : entries) {
        try (InputStream in = z.getInputStream(e)) {
          byte[] b = in.readAllBytes();
          if (total + b.length > cap) {
            break;
          }
          out.add(b);
          total += b.length;
        }
      }
    }
    return out;
  }

  private static List<byte[]> manPages(int cap) throws IOException {
    List<byte[]> out = new ArrayList<>();
    Path man = Path.of("/usr/share/man");
    if (!Files.isDirectory(man)) {
      return out;
    }
    List<Path> pages = new ArrayList<>();
    for (String section : new String[] {"man1", "man5", "man8"}) {
      Path dir = man.resolve(section);
      if (Files.isDirectory(dir)) {
        try (Stream<Path> s = Files.list(dir)) {
          s.filter(p -> p.toString().endsWith(".gz")).sorted().forEach(pages::add);
        }
      }
    }
    long total = 0;
    for (Path p : pages) {
      if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
        continue;
      }
      try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
        byte[] b = in.readNBytes(MIB);
        if (total + b.length > cap) {
          break;
        }
        out.add(b);
        total += b.length;
      } catch (IOException e) {
        // Not a gzip file after all: skip it.
      }
    }
    return out;
  }

  private static List<byte[]> logs(int cap) throws IOException {
    List<byte[]> out = new ArrayList<>();
    Path dir = Path.of("/var/log");
    if (!Files.isDirectory(dir)) {
      return out;
    }
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(dir, 2)) {
      s.filter(Files::isRegularFile).filter(Files::isReadable)
          .filter(p -> !p.toString().endsWith(".gz") && !p.toString().endsWith(".journal"))
          .sorted().forEach(files::add);
    } catch (IOException | java.io.UncheckedIOException e) {
      return out;
    }
    long total = 0;
    for (Path p : files) {
      try (InputStream in = Files.newInputStream(p)) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(in.readNBytes((int) Math.min(MIB, cap - total)));
        if (b.size() == 0) {
          continue;
        }
        out.add(b.toByteArray());
        total += b.size();
        if (total >= cap) {
          break;
        }
      } catch (IOException e) {
        // Unreadable after all: skip it.
      }
    }
    return out;
  }
}
