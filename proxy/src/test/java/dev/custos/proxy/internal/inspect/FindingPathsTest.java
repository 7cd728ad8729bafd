package dev.custos.proxy.internal.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The rule deciding which names of a finding's path a findings event may carry. */
class FindingPathsTest {
  @Test
  void ordinaryPathsAreKept() {
    for (String p : List.of("$.user.card", "$.users[3].ssn", "$[2].card.number", "$.1.3[2].5",
        "$.parts['meta'].user.ssn", "$.choices[0].delta.content", "$.creditCardNumber",
        "$.parts[2].headers", "$", "$.x-api-key", "$.address_line2")) {
      assertThat(FindingPaths.safe(p)).as(p).isEqualTo(p);
    }
  }

  @Test
  void namesThatCouldHoldAValueAreHidden() {
    assertThat(FindingPaths.safe("$.accounts['4111111111111111'].note")).isEqualTo("$.accounts[*].note");
    assertThat(FindingPaths.safe("$.accounts.4111111111111111.note")).isEqualTo("$.accounts[*].note");
    assertThat(FindingPaths.safe("$.byMail['jane.canary@example.com'].ssn")).isEqualTo("$.byMail[*].ssn");
    assertThat(FindingPaths.safe("$['078-05-1120']")).isEqualTo("$[*]");
    assertThat(FindingPaths.safe("$['+44 20 7946 0958']")).isEqualTo("$[*]");
    assertThat(FindingPaths.safe("$.AKIAIOSFODNN7EXAMPLE")).isEqualTo("$[*]");
    assertThat(FindingPaths.safe("$.ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ")).isEqualTo("$[*]");
    assertThat(FindingPaths.safe("$.parts['a b']")).isEqualTo("$.parts[*]");
    assertThat(FindingPaths.safe("$.q" + "x".repeat(40))).isEqualTo("$[*]");
  }

  @Test
  void whatDoesNotParseIsHiddenAndLongPathsAreCut() {
    assertThat(FindingPaths.safe("$['unclosed")).isEqualTo("$[*]");
    assertThat(FindingPaths.safe("$[12x]")).isEqualTo("$[*]");
    assertThat(FindingPaths.safe("not a path")).isEqualTo("$[*]");
    assertThat(FindingPaths.safe(null)).isNull();
    String deep = "$" + ".a".repeat(30);
    assertThat(FindingPaths.safe(deep)).isEqualTo("$" + ".a".repeat(FindingPaths.MAX_SEGMENTS) + "[...]");
  }

  @Test
  void locationsKeepSafeFieldNamesOnly() {
    assertThat(FindingPaths.safeLocation("header:x-card")).isEqualTo("header:x-card");
    assertThat(FindingPaths.safeLocation("query:jane.canary@example.com")).isEqualTo("query:[*]");
    assertThat(FindingPaths.safeLocation("body")).isEqualTo("body");
    assertThat(FindingPaths.safeLocation("websocket:$.messages[3]")).isEqualTo("websocket:$.messages[3]");
  }

  @Provide
  Arbitrary<String> sensitive() {
    return Arbitraries.oneOf(
        Arbitraries.strings().numeric().ofMinLength(5).ofMaxLength(19),
        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(12).map(s -> s + "@example.com"),
        Arbitraries.strings().numeric().ofLength(9).map(s -> s.substring(0, 3) + "-" + s.substring(3, 5) + "-" + s.substring(5)),
        Arbitraries.strings().withCharRange('0', '9').ofMinLength(4).ofMaxLength(4).list().ofSize(4).map(l -> String.join(" ", l)),
        Arbitraries.strings().withChars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567").ofLength(16).map(s -> "AKIA" + s));
  }

  @Property(tries = 500, seed = "20261207")
  void aSensitiveKeyNeverReachesTheSafePath(@ForAll("sensitive") String key,
      @ForAll boolean quoted) {
    // As the engine writes a name: quoted unless it is a plain identifier (a dot would end it).
    boolean asQuoted = quoted || !key.matches("[A-Za-z0-9_]+");
    String name = asQuoted ? "['" + key.replace("'", "\\'") + "']" : "." + key;
    String safe = FindingPaths.safe("$.users" + name + ".ssn");
    if (key.chars().filter(Character::isDigit).count() >= 5 || key.contains("@")) {
      assertThat(safe).isEqualTo("$.users[*].ssn");
    }
    assertThat(safe).doesNotContain(key);
  }

  @Provide
  Arbitrary<String> paths() {
    Arbitrary<String> segment = Arbitraries.oneOf(
        Arbitraries.strings().withChars("abcXYZ_-09.@+ ").ofMinLength(0).ofMaxLength(20)
            .map(n -> "." + n),
        Arbitraries.strings().withChars("abc09'\\ ").ofMinLength(0).ofMaxLength(8)
            .map(n -> "['" + n + "']"),
        Arbitraries.integers().between(0, 2_000_000_000).map(i -> "[" + i + "]"),
        Arbitraries.strings().withChars("0123456789]x[").ofMinLength(0).ofMaxLength(12)
            .map(n -> "[" + n),
        Arbitraries.of("x", "]", "[", ".", "'"));
    return segment.list().ofMinSize(0).ofMaxSize(30).map(l -> "$" + String.join("", l));
  }

  @Property(tries = 2000, seed = "20261207")
  void aPathReturnedAsItIsIsWhatTheFullRewriteBuilds(@ForAll("paths") String path) {
    // safe() skips building a path it would not change: that shortcut must never differ.
    assertThat(FindingPaths.safe(path)).isEqualTo(FindingPaths.rewritten(path));
    if (FindingPaths.keptWhole(path)) {
      assertThat(FindingPaths.safe(path)).isSameAs(path);
    }
  }
}
