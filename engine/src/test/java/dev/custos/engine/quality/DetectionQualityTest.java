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
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Scans the labelled corpus with the default policy, prints precision and recall per category and
 * fails where they fall below the floors of {@code quality/thresholds.properties}. A finding counts
 * at any confidence: documented sample credentials, reported at low confidence, are labelled with
 * their category.
 */
class DetectionQualityTest {

  /** Counts of one category. */
  static final class Counts {
    int truePositives;
    int falsePositives;
    int falseNegatives;
    final List<String> misses = new ArrayList<>();

    double precision() {
      int predicted = truePositives + falsePositives;
      return predicted == 0 ? Double.NaN : (double) truePositives / predicted;
    }

    double recall() {
      int expected = truePositives + falseNegatives;
      return expected == 0 ? Double.NaN : (double) truePositives / expected;
    }
  }

  @Test
  void precisionAndRecallPerCategoryMeetTheirFloors() throws IOException {
    List<QualityCorpus.Sample> samples = QualityCorpus.all();
    Map<String, Counts> byCategory = new TreeMap<>();
    int negatives = 0;
    int flaggedNegatives = 0;
    try (Scanner scanner =
        Scanner.builder(Policy.ofDefault())
            .backend(Backend.JAVA)
            .evidenceKey(EvidenceKey.of(new byte[32]))
            .build()) {
      for (QualityCorpus.Sample s : samples) {
        List<Finding> findings =
            scanner.scan(s.body().getBytes(StandardCharsets.UTF_8), s.type()).findings();
        Set<String> predicted =
            findings.stream().map(Finding::category).collect(Collectors.toCollection(TreeSet::new));
        if (s.expected().equals("none")) {
          negatives++;
          if (!predicted.isEmpty()) {
            flaggedNegatives++;
          }
        } else {
          Counts c = byCategory.computeIfAbsent(s.expected(), k -> new Counts());
          if (predicted.contains(s.expected())) {
            c.truePositives++;
          } else {
            c.falseNegatives++;
            c.misses.add(s.source() + " missed, found " + predicted);
          }
        }
        for (String p : predicted) {
          if (!p.equals(s.expected())) {
            Counts c = byCategory.computeIfAbsent(p, k -> new Counts());
            c.falsePositives++;
            c.misses.add(s.source() + " flagged as " + p);
          }
        }
      }
    }
    Properties thresholds = QualityCorpus.thresholds();
    StringBuilder report = new StringBuilder();
    report.append(String.format("%-24s %5s %5s %5s %9s %9s%n", "category", "tp", "fp", "fn", "precision", "recall"));
    List<String> failures = new ArrayList<>();
    for (Map.Entry<String, Counts> e : byCategory.entrySet()) {
      Counts c = e.getValue();
      report.append(String.format("%-24s %5d %5d %5d %9s %9s%n", e.getKey(), c.truePositives,
          c.falsePositives, c.falseNegatives, format(c.precision()), format(c.recall())));
      double minPrecision = QualityCorpus.threshold(thresholds, e.getKey(), "precision");
      double minRecall = QualityCorpus.threshold(thresholds, e.getKey(), "recall");
      if (!Double.isNaN(c.precision()) && c.precision() < minPrecision) {
        failures.add(e.getKey() + ": precision " + format(c.precision()) + " (expected: at least "
            + minPrecision + "; " + c.misses + ")");
      }
      if (!Double.isNaN(c.recall()) && c.recall() < minRecall) {
        failures.add(e.getKey() + ": recall " + format(c.recall()) + " (expected: at least "
            + minRecall + "; " + c.misses + ")");
      }
    }
    double falsePositiveRate = negatives == 0 ? 0 : (double) flaggedNegatives / negatives;
    report.append(String.format("none: %d of %d negative samples flagged (%.3f)%n",
        flaggedNegatives, negatives, falsePositiveRate));
    double maxRate = Double.parseDouble(thresholds.getProperty("none.false_positive_rate"));
    if (falsePositiveRate > maxRate) {
      failures.add("none: false positive rate " + falsePositiveRate + " (expected: at most " + maxRate + ")");
    }
    System.out.println("Detection quality (" + samples.size() + " samples)\n" + report);
    Path out = Path.of("target", "quality");
    Files.createDirectories(out);
    Files.writeString(out.resolve("detection-quality.txt"), report.toString());
    assertThat(failures).as("categories below their floors").isEmpty();
  }

  private static String format(double v) {
    return Double.isNaN(v) ? "-" : String.format("%.3f", v);
  }
}
