package dev.custos.engine.internal.pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PatternParserTest {

  private static boolean matches(String pattern, String input) {
    byte[] bytes = input.getBytes(StandardCharsets.UTF_8);
    return ByteDfa.exact(PatternParser.parse(pattern)).matchesFully(bytes, 0, bytes.length);
  }

  @ParameterizedTest
  @CsvSource({
    "'\\d{3}-\\d{2}-\\d{4}', 078-05-1120, true",
    "'\\d{3}-\\d{2}-\\d{4}', 078-05-112, false",
    "'(?i)secret', SeCrEt, true",
    "'AKIA[0-9A-Z]{16}', AKIAIOSFODNN7EXAMPLE, true",
    "'a(?:b|cd)+e', abcdbe, true",
    "'a(?:b|cd)+e', ae, false",
    "'[^a-z]x', 9x, true",
    "'[^a-z]x', ax, false",
    "'x\\.y', x.y, true",
    "'x\\.y', xzy, false",
    "'\\x41\\x42', AB, true",
    "'é+', ééé, true",
    "'[\\w-]{2,3}', a-, true",
    "'[\\w-]{2,3}', a-b-, false",
  })
  void acceptsTheSupportedSyntax(String pattern, String input, boolean expected) {
    assertThat(matches(pattern, input)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"^abc", "abc$", "a\\bc", "(?=a)b", "(?<n>a)", "a*?", "a++", "(abc", "abc)", "[abc",
        "a{2,1}", "a{1001}", "x*", "(?:a|)", "\\p{L}", "\\1", "[[:alpha:]]", "a{1,2}{3}", "[é]"})
  void refusesWhatIsNotLinearTimeOrNotSupported(String pattern) {
    assertThatThrownBy(() -> PatternParser.parse(pattern)).isInstanceOf(PatternException.class);
  }

  @ParameterizedTest
  @CsvSource({"'\\d{3}-\\d{2}-\\d{4}', 11, 11", "'ab?c{2,5}', 3, 7", "'a+', 1, -1"})
  void reportsLengthBounds(String pattern, int min, int max) {
    PatternNode node = PatternParser.parse(pattern);
    assertThat(node.minLength()).isEqualTo(min);
    assertThat(node.maxLength()).isEqualTo(max);
  }

  @ParameterizedTest
  @CsvSource({
    "'\\+?1?[2-9]x', '+12-9', 'x'",
    "'(?:ab|cd)+e?', 'ac', 'bde'",
    "'(?i)k', 'Kk', 'Kk'",
    "'[0-9]{3}-', '0-9', '-'",
  })
  void reportsTheBytesAMatchMayBeginAndEndWith(String pattern, String first, String last) {
    PatternNode node = PatternParser.parse(pattern);
    assertThat(node.firstBytes()).isEqualTo(bytes(first));
    assertThat(node.lastBytes()).isEqualTo(bytes(last));
  }

  private static java.util.BitSet bytes(String spec) {
    java.util.BitSet set = new java.util.BitSet();
    for (int i = 0; i < spec.length(); i++) {
      if (i + 2 < spec.length() && spec.charAt(i + 1) == '-') {
        set.set(spec.charAt(i), spec.charAt(i + 2) + 1);
        i += 2;
      } else {
        set.set(spec.charAt(i));
      }
    }
    return set;
  }

  @Property(tries = 500)
  void reverseAcceptsExactlyTheReversedStrings(@ForAll @StringLength(max = 12) String raw) {
    String input = raw.chars().mapToObj(c -> String.valueOf("ab1-"
        .charAt(Math.floorMod(c, 4)))).reduce("", String::concat);
    PatternNode node = PatternParser.parse("a(?:b|1-)+[ab]?|1{2,3}");
    byte[] bytes = input.getBytes(StandardCharsets.US_ASCII);
    byte[] reversed = new StringBuilder(input).reverse().toString().getBytes(StandardCharsets.US_ASCII);
    assertThat(ByteDfa.reversed(node).matchesFully(reversed, 0, reversed.length))
        .isEqualTo(ByteDfa.exact(node).matchesFully(bytes, 0, bytes.length));
  }

  @Property(tries = 500)
  void relaxedPatternAcceptsEverythingTheExactOneDoes(@ForAll @StringLength(max = 14) String raw) {
    String input = raw.chars().mapToObj(c -> String.valueOf("41 -"
        .charAt(Math.floorMod(c, 4)))).reduce("", String::concat);
    PatternNode node = PatternParser.parse("[3-6]\\d{3}(?:[ -]?\\d{4}){2}[ -]?\\d{1,7}|4{2,3}");
    byte[] bytes = input.getBytes(StandardCharsets.US_ASCII);
    if (ByteDfa.exact(node).matchesFully(bytes, 0, bytes.length)) {
      assertThat(ByteDfa.exact(node.relaxed()).matchesFully(bytes, 0, bytes.length)).isTrue();
    }
  }

  @org.junit.jupiter.api.Test
  void escapedBracketsInAClassAreMembersAndRangeEnds() {
    // [!#-\[\]-~] is printable ASCII except the space, the double quote and the backslash.
    ByteDfa dfa = ByteDfa.exact(PatternParser.parse("[!#-\\[\\]-~]"));
    for (int b = 0; b < 256; b++) {
      boolean expected = b >= '!' && b <= '~' && b != '"' && b != '\\';
      assertThat(dfa.matchesFully(new byte[] {(byte) b}, 0, 1)).as("byte 0x%02x", b).isEqualTo(expected);
    }
  }

  @ParameterizedTest
  @CsvSource({
    // A counted repetition counts bytes of its own class: the first eight may not hold a space,
    // so "correct horse battery" (a space at byte 8) is no match, however long the optional tail.
    "'[!#-\\[\\]-~]{8}(?:[\\x20!#-\\[\\]-~]*[!#-\\[\\]-~])?', 'correct horse battery', false",
    "'[!#-\\[\\]-~]{8}(?:[\\x20!#-\\[\\]-~]*[!#-\\[\\]-~])?', 'correcthorse battery', true",
    "'[!#-\\[\\]-~]{8}(?:[\\x20!#-\\[\\]-~]*[!#-\\[\\]-~])?', 'correcth', true",
    "'[!#-\\[\\]-~]{8}(?:[\\x20!#-\\[\\]-~]*[!#-\\[\\]-~])?', 'correcthorse battery ', false",
    "'[!#-\\[\\]-~]{8}(?:[\\x20!#-\\[\\]-~]*[!#-\\[\\]-~])?', 'pass\"word!', false",
    "'[!#-\\[\\]-~]{3}[\\x20!#-\\[\\]-~]*[!#-\\[\\]-~]', 'correct horse battery', true",
    "'[a-z]{3}(?:[ a-z]*[a-z])?', 'correct horse battery', true",
  })
  void aCountedRepetitionBeforeAnOptionalTailCountsItsOwnClass(String pattern, String input, boolean expected) {
    assertThat(matches(pattern, input)).isEqualTo(expected);
  }

  @org.junit.jupiter.api.Test
  void hyperscanFormOfAnEscapedByteIsTwoLowerCaseHexDigits() {
    int escaped = 0;
    for (int b = 0; b < 256; b++) {
      String hex = String.format("\\x%02x", b);
      String written = PatternParser.parse(hex).toHyperscan();
      if (written.startsWith("\\x")) {
        assertThat(written).isEqualTo(hex);
        escaped++;
      }
    }
    assertThat(escaped).isGreaterThan(128);
  }
}
