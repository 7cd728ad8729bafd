package dev.custos.engine.internal.match;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.internal.match.NaiveReference.Event;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

class HyperscanMatcherPropertyTest {
  static final List<String> PATTERNS =
      List.of(
          "\\d{3}-\\d{2}-\\d{4}",
          "AKIA[0-9A-Z]{3}",
          "ab|b[0-9]+",
          "(?i)se?c",
          "\\d+",
          "[\\x80-\\xff]{2}",
          "\u00e9",
          "a.c",
          "\\w+ \\w",
          // Escaped brackets as a range end and a member, a counted repetition, an optional tail.
          "[!#-\\[\\]-~]{3}(?:[\\x20!#-\\[\\]-~]*[!#-\\[\\]-~])?");
  static final byte[] ALPHABET =
      "0123456789-- aAbBcCsSeEkKIz\u00c3\u00a9\u0080\u00ff\n[]\\\"!~".getBytes(ISO_8859_1);

  static HyperscanMatcher matcher;
  static NaiveReference reference;

  @BeforeContainer
  static void compile() {
    HyperscanMatcherTest.assumeHyperscan();
    matcher = HyperscanMatcherTest.compile(PATTERNS);
    reference = new NaiveReference(PATTERNS);
  }

  @AfterContainer
  static void close() {
    if (matcher != null) {
      matcher.close();
    }
  }

  @Provide
  Arbitrary<byte[]> inputs() {
    return Arbitraries.of(box(ALPHABET))
        .list()
        .ofMaxSize(200)
        .map(
            l -> {
              byte[] b = new byte[l.size()];
              for (int i = 0; i < b.length; i++) {
                b[i] = l.get(i);
              }
              return b;
            });
  }

  @Provide
  Arbitrary<List<Integer>> splits() {
    return Arbitraries.integers().between(0, 200).list().ofMaxSize(40);
  }

  @Property(tries = 500)
  void eventSetEqualsReferenceForAnyChunking(
      @ForAll("inputs") byte[] input, @ForAll("splits") List<Integer> splits) {
    int[] points =
        splits.stream().mapToInt(Integer::intValue).filter(i -> i <= input.length).sorted()
            .toArray();
    Set<Event> expected = reference.events(input);
    Set<Event> chunked = new TreeSet<>(HyperscanMatcherTest.scan(matcher, input, points));
    Set<Event> whole = new TreeSet<>(HyperscanMatcherTest.scan(matcher, input));
    assertThat(chunked).isEqualTo(expected);
    assertThat(whole).isEqualTo(expected);
  }

  private static Byte[] box(byte[] bytes) {
    Byte[] boxed = new Byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      boxed[i] = bytes[i];
    }
    return boxed;
  }
}
