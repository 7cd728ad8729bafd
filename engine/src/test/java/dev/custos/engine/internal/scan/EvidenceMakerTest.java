package dev.custos.engine.internal.scan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.EvidenceKey;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EvidenceMakerTest {

  @ParameterizedTest
  @CsvSource({
    "4111 1111 1111 1111, ************1111",
    "078-05-1120, *******20",
    "AKIAIOSFODNN7EXAMPLE, ****************MPLE",
    "ab, **",
    "'--', *",
    "Zürich-12345678, **********5678",
  })
  void previewShowsAtMostTheLastFourLettersOrDigits(String value, String preview) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    assertThat(EvidenceMaker.preview(bytes, 0, bytes.length)).isEqualTo(preview);
  }

  @Property(tries = 1000)
  void asciiPreviewEqualsTheGeneralOne(
      @ForAll @CharRange(from = ' ', to = '~') @StringLength(max = 40) String value) {
    byte[] bytes = ("xx" + value + "yy").getBytes(StandardCharsets.US_ASCII);
    assertThat(EvidenceMaker.preview(bytes, 2, bytes.length - 4))
        .isEqualTo(EvidenceMaker.previewOfText(bytes, 2, bytes.length - 4));
  }

  @Property(tries = 200)
  void aValueFoundAgainIsHashedOnceWithTheSameHash(
      @ForAll @CharRange(from = ' ', to = '~') @StringLength(min = 1, max = 30) String value) {
    EvidenceKey key = EvidenceKey.of(new byte[32]);
    EvidenceMaker maker = new EvidenceMaker(key);
    String first = maker.hash(value);
    String other = maker.hash(value + "x");
    assertThat(maker.hash(value)).isEqualTo(first).isEqualTo(new EvidenceMaker(key).hash(value));
    assertThat(maker.hash(value + "x")).isEqualTo(other).isNotEqualTo(first);
    assertThat(maker.computed()).isEqualTo(2);
  }

  @org.junit.jupiter.api.Test
  void manyDistinctValuesAreEachHashedCorrectly() {
    EvidenceKey key = EvidenceKey.of(new byte[32]);
    EvidenceMaker maker = new EvidenceMaker(key);
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 3 * EvidenceMaker.CACHED; i++) {
        assertThat(maker.hash("v" + i)).isEqualTo(new EvidenceMaker(key).hash("v" + i));
      }
    }
  }

  @Property(tries = 500)
  void hashDigitsAreTheFirstHalfOfTheDigestInLowerCaseHex(@ForAll @net.jqwik.api.constraints.Size(32) byte[] digest) {
    assertThat(EvidenceMaker.hex128(digest)).isEqualTo(java.util.HexFormat.of().formatHex(digest, 0, 16));
  }
}
