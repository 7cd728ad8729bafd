package dev.custos.engine.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Invariants of path globs over generated paths. */
class PathGlobProperties {
  @Provide
  Arbitrary<List<String>> segments() {
    return Arbitraries.strings().withChars("abc.-_%~é").ofMaxLength(6).list().ofMaxSize(6);
  }

  @Provide
  Arbitrary<List<String>> nonEmptySegments() {
    return Arbitraries.strings().withChars("abc.-_%~é").ofMinLength(1).ofMaxLength(6).list()
        .ofMaxSize(6);
  }

  private static String path(List<String> segments) {
    return "/" + String.join("/", segments);
  }

  @Property(tries = 500)
  void doubleStarMatchesEveryPath(@ForAll("segments") List<String> segments) {
    assertThat(PathGlob.compile("/**").matches(path(segments))).isTrue();
  }

  @Property(tries = 500)
  void aPathWithoutStarsMatchesItselfAsAGlob(@ForAll("segments") List<String> segments) {
    String path = path(segments);
    assertThat(PathGlob.compile(path).matches(path)).isTrue();
  }

  @Property(tries = 500)
  void prefixWithDoubleStarMatchesEveryPathBelowIt(
      @ForAll("nonEmptySegments") List<String> prefix, @ForAll("segments") List<String> rest) {
    String glob = (prefix.isEmpty() ? "" : path(prefix)) + "/**";
    String path = path(prefix) + (rest.isEmpty() ? "" : path(rest));
    assertThat(PathGlob.compile(glob).matches(path)).isTrue();
  }

  @Property(tries = 500)
  void starStandsForExactlyOneSegment(
      @ForAll("nonEmptySegments") List<String> segments) {
    // Replacing each segment by * keeps a match; one segment more or fewer loses it.
    String glob = segments.isEmpty() ? "/*" : path(segments.stream().map(s -> "*").toList());
    List<String> same = segments.isEmpty() ? List.of("x") : segments;
    assertThat(PathGlob.compile(glob).matches(path(same))).isTrue();
    assertThat(PathGlob.compile(glob).matches(path(same) + "/x/y")).isFalse();
  }

  @Property(tries = 300)
  void starGlobAgreesWithAReferenceMatcher(
      @ForAll("globSegment") String globSegment, @ForAll("pathSegment") String segment) {
    boolean expected = segment.matches(
        "\\Q" + globSegment.replace("*", "\\E[^/]*\\Q") + "\\E");
    assertThat(PathGlob.compile("/" + globSegment).matches("/" + segment)).isEqualTo(expected);
  }

  @Provide
  Arbitrary<String> globSegment() {
    return Arbitraries.strings().withChars("ab*").ofMaxLength(7)
        .filter(s -> !s.contains("**") && !s.isEmpty());
  }

  @Provide
  Arbitrary<String> pathSegment() {
    return Arbitraries.strings().withChars("ab").ofMaxLength(8);
  }
}
