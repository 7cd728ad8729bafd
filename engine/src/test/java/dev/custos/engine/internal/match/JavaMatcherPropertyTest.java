package dev.custos.engine.internal.match;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.internal.match.NaiveReference.Event;
import dev.custos.engine.internal.pattern.PatternParser;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The pure-Java matcher reports exactly the reference's match ends, less those that fall inside a
 * word (last byte and next byte both word bytes), whatever the chunking.
 */
class JavaMatcherPropertyTest {
  static JavaMatcher matcher;
  /** A matcher whose cache holds 3 states, so that streams change generations all the time. */
  static JavaMatcher tinyCache;
  static NaiveReference reference;
  private final HyperscanMatcherPropertyTest inputs = new HyperscanMatcherPropertyTest();

  @BeforeContainer
  static void compile() {
    matcher =
        JavaMatcher.compile(
            HyperscanMatcherPropertyTest.PATTERNS.stream().map(PatternParser::parse).collect(Collectors.toList()));
    tinyCache =
        JavaMatcher.compile(
            HyperscanMatcherPropertyTest.PATTERNS.stream().map(PatternParser::parse).collect(Collectors.toList()), 3);
    reference = new NaiveReference(HyperscanMatcherPropertyTest.PATTERNS);
  }

  @AfterContainer
  static void close() {
    matcher.close();
    tinyCache.close();
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<byte[]> inputs() {
    return inputs.inputs();
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<List<Integer>> splits() {
    return inputs.splits();
  }

  @Property(tries = 500)
  void eventsAreTheReferenceEndsOnWordBoundariesForAnyChunking(
      @ForAll("inputs") byte[] input, @ForAll("splits") List<Integer> splits) {
    int[] points =
        splits.stream().mapToInt(Integer::intValue).filter(i -> i <= input.length).sorted().toArray();
    Set<Event> expected = new TreeSet<>();
    for (Event e : reference.events(input)) {
      int end = (int) e.end();
      boolean insideWord = JavaMatcher.isWord(input[end - 1] & 0xff) && end < input.length && JavaMatcher.isWord(input[end] & 0xff);
      if (!insideWord) {
        expected.add(e);
      }
    }
    assertThat(new TreeSet<>(HyperscanMatcherTest.scan(matcher, input, points))).isEqualTo(expected);
    assertThat(new TreeSet<>(HyperscanMatcherTest.scan(matcher, input))).isEqualTo(expected);
  }

  @Property(tries = 300)
  void aCacheTooSmallForTheInputReportsTheSameEnds(
      @ForAll("inputs") byte[] input, @ForAll("splits") List<Integer> splits) {
    int[] points =
        splits.stream().mapToInt(Integer::intValue).filter(i -> i <= input.length).sorted().toArray();
    Set<Event> exact = new TreeSet<>(HyperscanMatcherTest.scan(matcher, input, points));
    assertThat(new TreeSet<>(HyperscanMatcherTest.scan(tinyCache, input, points))).isEqualTo(exact);
  }
}
