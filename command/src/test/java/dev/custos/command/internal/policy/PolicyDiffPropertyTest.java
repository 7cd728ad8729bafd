package dev.custos.command.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** A stored diff is a faithful unified diff: applied to the previous body it gives the new one. */
class PolicyDiffPropertyTest {
  @Provide
  Arbitrary<List<String>> bodies() {
    // Few distinct lines, so that two bodies share lines and the diff has context and hunks.
    return Arbitraries.of("version: 1", "rules:", "  - { name: a, action: block }",
        "  - { name: b, action: observe }", "enforce: false", "# note", "disable: [email]")
        .list().ofMaxSize(40);
  }

  @Property(tries = 200)
  void theDiffTurnsThePreviousBodyIntoTheNewOne(@ForAll("bodies") List<String> before,
      @ForAll("bodies") List<String> after) throws Exception {
    String from = String.join("\n", before) + "\n";
    String to = String.join("\n", after) + "\n";
    PolicyVersion previous = new PolicyVersion("p", 1, "a", 0, "", PolicyStore.sha256(from), from,
        "");

    String diff = PolicyStore.diff("p", previous, 2, to);

    List<String> old = lines(from);
    if (before.equals(after) || (before.isEmpty() && after.isEmpty())) {
      assertThat(diff).isEmpty();
      return;
    }
    assertThat(diff).startsWith("--- p@1\n+++ p@2\n@@ ");
    Patch<String> patch = UnifiedDiffUtils.parseUnifiedDiff(Arrays.asList(diff.split("\n")));
    assertThat(patch.applyTo(old)).isEqualTo(lines(to));
  }

  private static List<String> lines(String text) {
    return new ArrayList<>(Arrays.asList(text.split("\r?\n")));
  }
}
