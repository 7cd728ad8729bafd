package dev.custos.engine.internal.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.ContentType;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.Finding;
import dev.custos.engine.Scanner;
import dev.custos.engine.TestScanners;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every built-in example is found by its detector, and no counter-example is found by any
 * detector of the same category, through the public {@link Scanner} with the default policy.
 */
class BuiltinDetectorsEndToEndTest {
  private static final Scanner scanner = TestScanners.java();
  private static final @Nullable Scanner hyperscan = TestScanners.hyperscan();

  static Stream<Arguments> detectors() {
    return BuiltinDetectors.all().stream().map(d -> Arguments.of(d.id(), d));
  }

  /** Scans with the pure-Java backend, and checks that Hyperscan (where it loads) agrees. */
  private static List<Finding> scan(String text) {
    return scan(text, ContentType.TEXT);
  }

  private static List<Finding> scan(String text, ContentType type) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    List<Finding> findings = scanner.scan(bytes, type).findings();
    if (hyperscan != null) {
      assertThat(hyperscan.scan(bytes, type).findings()).isEqualTo(findings);
    }
    return findings;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("detectors")
  void everyExampleIsFoundByItsDetector(String id, DetectorDefinition d) {
    // A key_value detector finds whole values of structured fields: its examples are JSON bodies.
    ContentType type = d.keyValue() ? ContentType.JSON : ContentType.TEXT;
    for (String example : d.examples()) {
      assertThat(scan(example, type))
          .as("%s: example %s", id, example)
          .anySatisfy(f -> assertThat(f.detector()).isEqualTo(id));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("detectors")
  void noCounterExampleIsFoundInItsCategory(String id, DetectorDefinition d) {
    for (String counter : d.counterExamples()) {
      assertThat(scan(counter))
          .as("%s: counter-example %s", id, counter)
          .noneSatisfy(f -> assertThat(f.category()).isEqualTo(d.category()));
      if (d.keyValue()) {
        assertThat(scan(counter, ContentType.JSON))
            .as("%s: counter-example %s as JSON", id, counter)
            .noneSatisfy(f -> assertThat(f.category()).isEqualTo(d.category()));
      }
    }
  }
}
