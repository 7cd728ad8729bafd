package dev.custos.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.bench.Corpus.Kind;
import dev.custos.bench.Corpus.Sample;
import dev.custos.bench.Corpus.Span;
import dev.custos.engine.Backend;
import dev.custos.engine.ContentType;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Finding;
import dev.custos.engine.Policy;
import dev.custos.engine.ScanResult;
import dev.custos.engine.Scanner;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CorpusTest {
  private static final int SIZE = 1 << 20;
  private static Scanner scanner;

  @BeforeAll
  static void compile() {
    scanner =
        Scanner.builder(Policy.ofDefault())
            .backend(Backend.JAVA)
            .evidenceKey(EvidenceKey.of(new byte[32]))
            .build();
  }

  @AfterAll
  static void release() {
    scanner.close();
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void sameSeedGivesSameBytesOfTheAskedSize(Kind kind) {
    Sample a = Corpus.generate(kind, SIZE, 42);
    Sample b = Corpus.generate(kind, SIZE, 42);
    Sample c = Corpus.generate(kind, SIZE, 43);
    assertThat(a.bytes()).hasSize(SIZE).isEqualTo(b.bytes());
    assertThat(c.bytes()).hasSize(SIZE).isNotEqualTo(a.bytes());
    assertThat(a.spans()).isEqualTo(b.spans());
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aboutOnePercentOfTheBytesAreFoundSensitive(Kind kind) {
    Sample sample = Corpus.generate(kind, SIZE, 7);
    ScanResult result = scanner.scan(sample.bytes(), contentType(kind));
    assertThat(result.notes()).as("JSON parsed without fall-back").isEmpty();

    BitSet found = new BitSet(SIZE);
    Map<String, Integer> byCategory = new TreeMap<>();
    for (Finding f : result.findings()) {
      found.set((int) f.start(), (int) f.end());
      byCategory.merge(f.category(), 1, Integer::sum);
    }
    double share = (double) found.cardinality() / SIZE;
    System.out.printf("%s: %.2f %% of bytes found sensitive, %d findings %s%n", kind, share * 100,
        result.findings().size(), byCategory);
    assertThat(share).isBetween(0.005, 0.02);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void decoysAreNotReportedAsCardsOrSsnsAndPlantedOnesAre(Kind kind) {
    Sample sample = Corpus.generate(kind, SIZE, 11);
    List<Finding> findings = scanner.scan(sample.bytes(), contentType(kind)).findings();
    BitSet decoys = new BitSet(SIZE);
    int decoyCount = 0;
    for (Span s : sample.spans()) {
      if (s.decoy() && (s.category().equals("luhn_failing") || s.category().equals("ssn_shaped"))) {
        decoys.set(s.start(), s.end());
        decoyCount++;
      }
    }
    assertThat(decoyCount).as("decoys planted").isGreaterThan(50);
    for (Finding f : findings) {
      if (f.category().equals("credit_card") || f.category().equals("us_ssn")) {
        assertThat(decoys.get((int) f.start(), (int) f.end()).isEmpty())
            .as("%s finding at %d overlaps a decoy", f.category(), f.start())
            .isTrue();
      }
    }
    for (String category : List.of("credit_card", "us_ssn", "email", "iban")) {
      long planted =
          sample.spans().stream().filter(s -> !s.decoy() && s.category().equals(category)).count();
      long hit =
          sample.spans().stream()
              .filter(s -> !s.decoy() && s.category().equals(category))
              .filter(s -> findings.stream().anyMatch(f -> f.category().equals(category)
                  && f.start() <= s.start() && f.end() >= s.end()))
              .count();
      assertThat(planted).as("%s planted", category).isGreaterThanOrEqualTo(5);
      assertThat((double) hit / planted).as("%s recall", category).isGreaterThan(0.9);
    }
  }

  private static ContentType contentType(Kind kind) {
    return switch (kind) {
      case TEXT -> ContentType.TEXT;
      case FORM -> ContentType.FORM;
      case JSON, JSON_LINES -> ContentType.JSON;
    };
  }
}
