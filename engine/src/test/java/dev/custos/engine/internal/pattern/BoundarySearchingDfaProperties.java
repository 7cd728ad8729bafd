package dev.custos.engine.internal.pattern;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Assume;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The boundary-restricted searching DFA accepts after every end of a match that starts on a word
 * boundary, and only where a match of the pattern ends; the minimized searching DFA keeps the
 * language of {@code .*P}.
 */
class BoundarySearchingDfaProperties {
  static final List<String> PATTERNS =
      List.of(
          "\\d{3}-\\d{2}-\\d{4}",
          "[3-6]\\d{12,18}",
          "\\d{4}[ -]?\\d{4}",
          "AKIA[0-9A-Z]{3}",
          "ab|b[0-9]+",
          "(?i)se?c",
          "[-+]?\\d+",
          "\\+?\\d{2}",
          "[\\x80-\\xff]{2}",
          "a.c",
          "\\w+ \\w",
          "[ _a]x",
          "\\(\\d\\)");
  static final byte[] ALPHABET = "0123456789-+ _()aAbBcCsSeEkKIxz\u00c3\u0080\n".getBytes(ISO_8859_1);

  @Provide
  Arbitrary<String> patterns() {
    return Arbitraries.of(PATTERNS);
  }

  @Provide
  Arbitrary<byte[]> inputs() {
    return Arbitraries.bytes()
        .between((byte) 0, (byte) (ALPHABET.length - 1))
        .map(i -> ALPHABET[i])
        .array(byte[].class)
        .ofMaxSize(120);
  }

  @Property(tries = 600)
  void acceptsAfterEveryEndOfAMatchStartingOnAWordBoundary(
      @ForAll("patterns") String pattern, @ForAll("inputs") byte[] input) {
    PatternNode node = PatternParser.parse(pattern);
    ByteDfa exact = ByteDfa.exact(node);
    ByteDfa searching = ByteDfa.searchingFromBoundaryWithin(node, 100_000);
    assertThat(searching).isNotNull();
    List<Integer> expected = new ArrayList<>();
    List<Integer> anyStart = new ArrayList<>();
    for (int end = 1; end <= input.length; end++) {
      boolean fromBoundary = false;
      boolean fromAnywhere = false;
      for (int start = 0; start < end; start++) {
        if (exact.matchesFully(input, start, end - start)) {
          fromAnywhere = true;
          fromBoundary |= start == 0 || !isWord(input[start]) || !isWord(input[start - 1]);
        }
      }
      if (fromBoundary) {
        expected.add(end);
      }
      if (fromAnywhere) {
        anyStart.add(end);
      }
    }
    List<Integer> accepted = acceptedEnds(searching, input);
    assertThat(accepted).containsAll(expected);
    assertThat(anyStart).containsAll(accepted);
  }

  @Property(tries = 300)
  void minimizedSearchingDfaAcceptsAfterExactlyTheEndsOfMatches(
      @ForAll("patterns") String pattern, @ForAll("inputs") byte[] input) {
    PatternNode node = PatternParser.parse(pattern);
    // .*P of a wide counted repetition has too many states to build; those are relaxed instead.
    ByteDfa minimized = ByteDfa.searchingWithin(node, 5_000);
    Assume.that(minimized != null);
    assertThat(minimized.size()).isLessThanOrEqualTo(ByteDfa.searching(node).size());
    assertThat(acceptedEnds(minimized, input)).isEqualTo(acceptedEnds(ByteDfa.searching(node), input));
  }

  private static List<Integer> acceptedEnds(ByteDfa dfa, byte[] input) {
    List<Integer> ends = new ArrayList<>();
    int s = dfa.initial();
    for (int i = 0; i < input.length; i++) {
      s = dfa.step(s, input[i] & 0xff);
      if (dfa.isAccept(s)) {
        ends.add(i + 1);
      }
    }
    return ends;
  }

  private static boolean isWord(byte b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '_';
  }
}
