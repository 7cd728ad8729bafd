package dev.custos.engine.internal.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.ContentType;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Finding;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every built-in example is found by its detector, and no counter-example is found by any
 * detector of the same category, through the public {@link Scanner} with the default policy.
 */
@Disabled("enable when the engine lands")
class BuiltinDetectorsEndToEndTest {
  private static Scanner scanner;

  @BeforeAll
  static void compile() {
    scanner = Scanner.builder(Policy.ofDefault()).evidenceKey(EvidenceKey.of(new byte[32])).build();
  }

  @AfterAll
  static void close() {
    scanner.close();
  }

  static Stream<Arguments> detectors() {
    return BuiltinDetectors.all().stream().map(d -> Arguments.of(d.id(), d));
  }

  private static List<Finding> scan(String text) {
    return scanner.scan(text.getBytes(StandardCharsets.UTF_8), ContentType.TEXT).findings();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("detectors")
  void everyExampleIsFoundByItsDetector(String id, DetectorDefinition d) {
    for (String example : d.examples()) {
      assertThat(scan(example))
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
    }
  }
}
