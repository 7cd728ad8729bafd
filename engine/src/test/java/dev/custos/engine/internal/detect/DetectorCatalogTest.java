package dev.custos.engine.internal.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.engine.Confidence;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.DetectorDefinition.Normalization;
import org.junit.jupiter.api.Test;

class DetectorCatalogTest {
  private static final String HEADER = "categories:\n  demo: Demo values\ndetectors:\n";
  private static final String DETECTOR =
      "  - id: demo.code\n"
          + "    category: demo\n"
          + "    description: A demo code\n"
          + "    pattern: 'DEMO-\\d{4}'\n"
          + "    examples: ['DEMO-1234']\n"
          + "    counter_examples: ['DEMO-12']\n";

  private static DetectorCatalog parse(String detectors) {
    return DetectorCatalog.parse(HEADER + detectors, "test.yaml");
  }

  @Test
  void parsesEveryField() {
    DetectorCatalog catalog =
        parse(
            DETECTOR
                + "    keywords: [demo]\n"
                + "    context: [code]\n"
                + "    validator: luhn\n"
                + "    exclude: ['DEMO-0000']\n"
                + "    exclude_patterns: ['DEMO-9\\d{3}']\n"
                + "    min_entropy: 2.5\n"
                + "    confidence: low\n"
                + "    max_length: 64\n"
                + "    normalize: digits\n");
    assertThat(catalog.categories()).containsExactly(org.assertj.core.api.Assertions.entry("demo", "Demo values"));
    DetectorDefinition d = catalog.detectors().get(0);
    assertThat(d.id()).isEqualTo("demo.code");
    assertThat(d.pattern()).isEqualTo("DEMO-\\d{4}");
    assertThat(d.keywords()).containsExactly("demo");
    assertThat(d.context()).containsExactly("code");
    assertThat(d.validator()).isEqualTo("luhn");
    assertThat(d.excludeValues()).containsExactly("DEMO-0000");
    assertThat(d.excludePatterns()).containsExactly("DEMO-9\\d{3}");
    assertThat(d.minEntropy()).isEqualTo(2.5);
    assertThat(d.confidence()).isEqualTo(Confidence.LOW);
    assertThat(d.maxLength()).isEqualTo(64);
    assertThat(d.normalization()).isEqualTo(Normalization.DIGITS);
    assertThat(d.examples()).containsExactly("DEMO-1234");
    assertThat(d.counterExamples()).containsExactly("DEMO-12");
  }

  @Test
  void defaultsAreMediumConfidenceExactNoValidator() {
    DetectorDefinition d = parse(DETECTOR).detectors().get(0);
    assertThat(d.confidence()).isEqualTo(Confidence.MEDIUM);
    assertThat(d.normalization()).isEqualTo(Normalization.EXACT);
    assertThat(d.validator()).isNull();
    assertThat(d.minEntropy()).isZero();
  }

  @Test
  void invalidPatternNamesTheDetector() {
    assertThatThrownBy(() -> parse(DETECTOR.replace("DEMO-\\d{4}", "^DEMO")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("test.yaml: detector demo.code: pattern: anchor");
  }

  @Test
  void unboundedPatternNeedsMaxLength() {
    assertThatThrownBy(() -> parse(DETECTOR.replace("DEMO-\\d{4}", "DEMO-\\d+")))
        .hasMessageContaining("detector demo.code: max_length: missing");
  }

  @Test
  void undeclaredCategoryIsRefused() {
    assertThatThrownBy(() -> parse(DETECTOR.replace("category: demo", "category: other")))
        .hasMessageContaining("detector demo.code: category: other (expected: a category declared");
  }

  @Test
  void unknownKeyIsRefused() {
    assertThatThrownBy(() -> parse(DETECTOR + "    keyword: [typo]\n"))
        .hasMessageContaining("detector demo.code: unknown key keyword");
  }

  @Test
  void duplicateIdIsRefused() {
    assertThatThrownBy(() -> parse(DETECTOR + DETECTOR))
        .hasMessageContaining("detector demo.code: id: demo.code (expected: a unique id)");
  }

  @Test
  void unquotedNumericExampleIsRefused() {
    assertThatThrownBy(() -> parse(DETECTOR.replace("['DEMO-12']", "[12345]")))
        .hasMessageContaining("detector demo.code: counter_examples element: integer");
  }

  @Test
  void missingCounterExamplesAreRefused() {
    assertThatThrownBy(() -> parse(DETECTOR.replace("    counter_examples: ['DEMO-12']\n", "")))
        .hasMessageContaining("detector demo.code: examples and counter_examples");
  }

  @Test
  void badConfidenceAndNormalizationNameTheDetector() {
    assertThatThrownBy(() -> parse(DETECTOR + "    confidence: certain\n"))
        .hasMessageContaining("detector demo.code: confidence: certain (expected: low, medium or high)");
    assertThatThrownBy(() -> parse(DETECTOR + "    normalize: upper\n"))
        .hasMessageContaining("detector demo.code: normalize: upper");
  }

  @Test
  void malformedYamlNamesTheSource() {
    assertThatThrownBy(() -> DetectorCatalog.parse("categories: [\n", "test.yaml"))
        .hasMessageStartingWith("test.yaml: invalid YAML");
  }
}
