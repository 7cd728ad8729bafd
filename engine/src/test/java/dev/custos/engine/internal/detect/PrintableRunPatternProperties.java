package dev.custos.engine.internal.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.Backend;
import dev.custos.engine.ContentType;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Finding;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The family of "run of printable bytes" patterns (a class with escaped brackets and ranges, a
 * counted repetition, then an optional tail that may hold spaces): the scanner finds, in text and
 * in JSON string values, exactly the spans of the reference matcher.
 */
class PrintableRunPatternProperties {
  static final String PATTERN = "[!#-\\[\\]-~]{4}(?:[\\x20!#-\\[\\]-~]*[!#-\\[\\]-~])?";
  static final String ID = "test_run.printable";

  static Scanner scanner;
  static ReferenceMatcher reference;

  @BeforeContainer
  static void compile() {
    DetectorDefinition d = DetectorDefinition.builder(ID, "test_run", PATTERN).maxLength(64).build();
    scanner =
        Scanner.builder(Policy.builder().detector(d).build())
            .backend(Backend.JAVA)
            .evidenceKey(EvidenceKey.of(new byte[32]))
            .build();
    reference = new ReferenceMatcher(d);
  }

  @AfterContainer
  static void close() {
    scanner.close();
  }

  @Provide
  Arbitrary<String> values() {
    return Arbitraries.strings().withChars("ab1 []!~#-_").ofMaxLength(30);
  }

  @Property(tries = 200)
  void textFindingsAreTheReferenceSpans(@ForAll("values") String value) {
    assertThat(engineSpans(value, ContentType.TEXT)).isEqualTo(referenceSpans(value));
  }

  @Property(tries = 200)
  void jsonStringValueFindingsAreTheReferenceSpans(@ForAll("values") String value) {
    String json = "{\"note\": \"" + value + "\"}";
    assertThat(engineSpans(json, ContentType.JSON)).isEqualTo(referenceSpans(json));
  }

  @Example
  void aSpaceWithinTheCountedPrefixIsNoMatchInAJsonValue() {
    // "corr ect..." has a space at its fifth byte: only runs of four or more non-space bytes start
    // a match, and the optional tail then takes the spaces that follow.
    String json = "{\"note\": \"cor rect horse battery\"}";
    assertThat(engineSpans(json, ContentType.JSON)).containsExactly("note", "rect horse battery");
    assertThat(referenceSpans(json)).containsExactly("note", "rect horse battery");
  }

  private static List<String> engineSpans(String text, ContentType type) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return scanner.scan(bytes, type).findings().stream()
        .filter(f -> f.detector().equals(ID))
        .map(f -> new String(bytes, (int) f.start(), (int) (f.end() - f.start()), StandardCharsets.UTF_8))
        .collect(Collectors.toList());
  }

  private static List<String> referenceSpans(String text) {
    String s = ReferenceMatcher.bytes(text);
    return reference.spans(text).stream()
        .map(span -> s.substring(span[0], span[1]))
        .collect(Collectors.toList());
  }
}
