package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class GitIgnoreTest {
  @Test
  void unanchoredNameMatchesAtAnyDepth() {
    GitIgnore g = GitIgnore.parse("*.log\n");
    assertThat(g.decide("a.log", false)).isTrue();
    assertThat(g.decide("x/y/a.log", false)).isTrue();
    assertThat(g.decide("a.log.txt", false)).isNull();
  }

  @Test
  void leadingSlashAnchorsToTheDirectory() {
    GitIgnore g = GitIgnore.parse("/todo.txt\n");
    assertThat(g.decide("todo.txt", false)).isTrue();
    assertThat(g.decide("sub/todo.txt", false)).isNull();
  }

  @Test
  void innerSlashAnchorsToo() {
    GitIgnore g = GitIgnore.parse("doc/frotz\n");
    assertThat(g.decide("doc/frotz", false)).isTrue();
    assertThat(g.decide("a/doc/frotz", false)).isNull();
  }

  @Test
  void trailingSlashMatchesDirectoriesOnly() {
    GitIgnore g = GitIgnore.parse("build/\n");
    assertThat(g.decide("build", true)).isTrue();
    assertThat(g.decide("build", false)).isNull();
    assertThat(g.decide("x/build", true)).isTrue();
  }

  @Test
  void doubleStarCrossesDirectories() {
    GitIgnore g = GitIgnore.parse("**/foo\na/**/b\nlogs/**\n");
    assertThat(g.decide("foo", false)).isTrue();
    assertThat(g.decide("x/y/foo", false)).isTrue();
    assertThat(g.decide("a/b", false)).isTrue();
    assertThat(g.decide("a/x/y/b", false)).isTrue();
    assertThat(g.decide("logs/x/y", false)).isTrue();
    assertThat(g.decide("ab", false)).isNull();
  }

  @Test
  void lastMatchingRuleWinsAndNegationReincludes() {
    GitIgnore g = GitIgnore.parse("*.tmp\n!keep.tmp\n");
    assertThat(g.decide("a.tmp", false)).isTrue();
    assertThat(g.decide("keep.tmp", false)).isFalse();
  }

  @Test
  void starAndQuestionMarkStayWithinOneSegment() {
    GitIgnore g = GitIgnore.parse("/a*z\n/file?.txt\n/[ab]c\n/[!x]y\n");
    assertThat(g.decide("abcz", false)).isTrue();
    assertThat(g.decide("ab/cz", false)).isNull();
    assertThat(g.decide("file1.txt", false)).isTrue();
    assertThat(g.decide("file12.txt", false)).isNull();
    assertThat(g.decide("bc", false)).isTrue();
    assertThat(g.decide("zy", false)).isTrue();
    assertThat(g.decide("xy", false)).isNull();
  }

  @Test
  void commentsBlankLinesAndEscapesAreHonoured() {
    GitIgnore g = GitIgnore.parse("# comment\n\n\\#hash\n\\!bang\nspace\\ \ntrailing   \n");
    assertThat(g.decide("# comment", false)).isNull();
    assertThat(g.decide("#hash", false)).isTrue();
    assertThat(g.decide("!bang", false)).isTrue();
    assertThat(g.decide("space ", false)).isTrue();
    assertThat(g.decide("trailing", false)).isTrue();
  }

  @Test
  void malformedExcludeGlobIsRefused() {
    assertThatThrownBy(() -> GitIgnore.ofGlobs(List.of("[abc")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--exclude: '[abc' (expected:");
    assertThatThrownBy(() -> GitIgnore.ofGlobs(List.of("")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
