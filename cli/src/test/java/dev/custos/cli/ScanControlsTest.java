package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The precision controls of {@code custos scan}, end to end through the CLI on temp dirs. */
class ScanControlsTest {
  private static final String SSN = "078-05-1120";
  private static final String SSN2 = "536-22-8147";
  private static final String EMAIL = "jane.doe@example.com";

  @TempDir Path dir;
  @TempDir Path policyDir;
  private Path policy;

  @BeforeEach
  void writePolicy() throws IOException {
    policy = TestPolicies.ssnCardEmail(policyDir);
  }

  private Cli.Result scan(String... args) {
    return Cli.scan(policy, args);
  }

  private Path write(String name, String content) throws IOException {
    return Cli.write(dir, name, content);
  }

  @Test
  void minConfidenceHighDropsMediumFindings() throws IOException {
    Path file = write("t.txt", "contact " + EMAIL + "\nssn: " + SSN + "\n");
    Cli.Result all = scan(file.toString());
    assertThat(all.out()).contains(" email ").contains(" us_ssn ");
    Cli.Result high = scan("--min-confidence", "high", file.toString());
    assertThat(high.code()).isEqualTo(1);
    assertThat(high.out()).contains(" us_ssn ").doesNotContain(" email ");
    assertThat(high.err()).contains("1 suppressed");
  }

  @Test
  void unknownMinConfidenceIsAUsageError() throws IOException {
    Path file = write("t.txt", "nothing\n");
    Cli.Result r = scan("--min-confidence", "certain", file.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("certain").contains("expected");
  }

  @Test
  void exitCodeIsTheOneGivenWhenFindingsRemain() throws IOException {
    Path found = write("found.txt", "ssn: " + SSN + "\n");
    Path clean = write("clean.txt", "nothing here\n");
    assertThat(scan("--exit-code", "3", found.toString()).code()).isEqualTo(3);
    assertThat(scan("--exit-code", "3", clean.toString()).code()).isEqualTo(0);
    assertThat(scan("--exit-code", "0", found.toString()).code()).isEqualTo(0);
    Cli.Result bad = scan("--exit-code", "300", found.toString());
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("--exit-code: 300 (expected: 0 to 255)");
  }

  @Test
  void outputWritesFindingsToTheFileInsteadOfStdout() throws IOException {
    Path file = write("t.txt", "ssn: " + SSN + "\n");
    Path out = dir.resolve("out/findings.jsonl");
    Files.createDirectories(out.getParent());
    Cli.Result r = scan("--format", "jsonl", "--output", out.toString(), file.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(Files.readString(out)).contains("\"detector\":\"us_ssn.").doesNotContain(SSN);
    Cli.Result unwritable = scan("--output", dir.resolve("missing/dir/x").toString(), file.toString());
    assertThat(unwritable.code()).isEqualTo(2);
    assertThat(unwritable.err()).contains("--output:");
  }

  @Test
  void inlineIgnoreDropsOnlyTheFindingsOfItsLine() throws IOException {
    String longTail = "x".repeat(5000);
    Path file = write("t.txt",
        "ssn: " + SSN + " " + longTail + " # custos:ignore\n"
            + "ssn: " + SSN2 + "\n"
            + "# custos:ignore on a line of its own ignores only that line\n"
            + "ssn: " + SSN + "\n");
    Cli.Result r = scan(file.toString());
    assertThat(r.out().lines()).hasSize(2);
    assertThat(r.out()).contains(file + ":2:6 ").contains(file + ":4:6 ").doesNotContain(file + ":1:");
    assertThat(r.err()).contains("1 suppressed");
  }

  @Test
  void baselineSuppressesKnownFindingsAndHoldsNoValue() throws IOException {
    Path file = write("t.txt", "ssn: " + SSN + "\n");
    Path baseline = dir.resolve("baseline.json");
    Cli.Result first = scan("--write-baseline", baseline.toString(), file.toString());
    assertThat(first.code()).isEqualTo(1);
    assertThat(first.err()).contains("baseline of 1 findings written");
    String saved = Files.readString(baseline);
    assertThat(saved).contains("\"version\" : 1").contains("us_ssn.").doesNotContain(SSN)
        .doesNotContain("1120");

    Cli.Result again = scan("--baseline", baseline.toString(), file.toString());
    assertThat(again.code()).as(again.err()).isEqualTo(0);
    assertThat(again.out()).isEmpty();

    Files.writeString(file, "ssn: " + SSN + "\nssn: " + SSN2 + "\n");
    Cli.Result changed = scan("--baseline", baseline.toString(), file.toString());
    assertThat(changed.code()).isEqualTo(1);
    assertThat(changed.out().lines()).hasSize(1);
    assertThat(changed.out()).contains(file + ":2:");
  }

  @Test
  void malformedBaselineIsAConfigurationError() throws IOException {
    Path file = write("t.txt", "ssn: " + SSN + "\n");
    Path notJson = write("b1.json", "{ not json");
    Cli.Result r = scan("--baseline", notJson.toString(), file.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--baseline: " + notJson).contains("line 1");
    Path wrongShape = write("b2.json", "{\"version\": 1, \"findings\": [{\"file\": 3}]}");
    Cli.Result shape = scan("--baseline", wrongShape.toString(), file.toString());
    assertThat(shape.code()).isEqualTo(2);
    assertThat(shape.err()).contains("findings[0]").contains("expected");
    Cli.Result missing = scan("--baseline", dir.resolve("none.json").toString(), file.toString());
    assertThat(missing.code()).isEqualTo(2);
  }

  @Test
  void excludeGlobsSkipFilesAndDirectories() throws IOException {
    write("root/app.log", "ssn: " + SSN + "\n");
    write("root/build/out.txt", "ssn: " + SSN + "\n");
    write("root/src/build.txt", "ssn: " + SSN + "\n");
    write("root/docs/a/b/notes.md", "ssn: " + SSN + "\n");
    Path root = dir.resolve("root");
    Cli.Result r = scan("--exclude", "*.log", "--exclude", "build/", "--exclude", "docs/**/*.md",
        root.toString());
    assertThat(r.out().lines()).hasSize(1);
    assertThat(r.out()).contains("build.txt");
    Cli.Result bad = scan("--exclude", "[abc", root.toString());
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("--exclude: '[abc'");
  }

  @Test
  void aRulesFileGlobsDropOnlyItsCategoriesInThoseFiles() throws IOException {
    Files.writeString(policy, Files.readString(policy) + "rules:\n"
        + "  - name: fixtures hold test ssns\n    categories: [us_ssn]\n    action: block\n"
        + "    allowlist: {files: ['fixtures/**'], patterns: ['000-00-0000']}\n");
    write("root/fixtures/a.txt", "ssn: " + SSN + "\ncontact " + EMAIL + "\n");
    write("root/src/b.txt", "ssn: " + SSN2 + "\n");
    Cli.Result r = scan(dir.resolve("root").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out().lines()).hasSize(2);
    assertThat(r.out()).contains("a.txt").contains(" email ").contains("b.txt");
    assertThat(r.out().lines().filter(l -> l.contains("a.txt"))).noneMatch(l -> l.contains(" us_ssn "));
    assertThat(r.err()).contains("1 suppressed");
  }

  @Test
  void gitDirectoriesAndGitignoredPathsAreSkipped() throws IOException {
    write("repo/.git/config", "ssn: " + SSN + "\n");
    write("repo/.gitignore", "*.tmp\n!keep.tmp\n/secret.txt\nlogs/\n# a comment\n");
    write("repo/a.tmp", "ssn: " + SSN + "\n");
    write("repo/keep.tmp", "ssn: " + SSN + "\n");
    write("repo/secret.txt", "ssn: " + SSN + "\n");
    write("repo/sub/secret.txt", "ssn: " + SSN + "\n");
    write("repo/logs/today.txt", "ssn: " + SSN + "\n");
    write("repo/sub/logs", "ssn: " + SSN + "\n");
    write("repo/sub/.gitignore", "data/**/x.txt\n!a.tmp\n");
    write("repo/sub/data/1/2/x.txt", "ssn: " + SSN + "\n");
    write("repo/sub/data/y.txt", "ssn: " + SSN + "\n");
    write("repo/sub/a.tmp", "ssn: " + SSN + "\n");
    Cli.Result r = scan(dir.resolve("repo").toString());
    String repo = dir.resolve("repo").toString();
    assertThat(r.out().lines().map(l -> l.substring(repo.length() + 1, l.indexOf(':')))).containsExactly(
        "keep.tmp", "sub/a.tmp", "sub/data/y.txt", "sub/logs", "sub/secret.txt");
  }

  @Test
  void binaryFilesAreSkippedAndNamedWithVerbose() throws IOException {
    Path bin = dir.resolve("blob.bin");
    byte[] content = ("\u0000\u0001ssn: " + SSN + "\n").getBytes(StandardCharsets.UTF_8);
    Files.write(bin, content);
    Cli.Result r = scan(bin.toString());
    assertThat(r.code()).isEqualTo(0);
    assertThat(r.out()).isEmpty();
    Cli.Result verbose = scan("--verbose", bin.toString());
    assertThat(verbose.err()).contains(bin + ": binary (a NUL byte in the first 64");
    Cli.Result forced = scan("--content-type", "text", bin.toString());
    assertThat(forced.code()).isEqualTo(1);
  }

  @Test
  void symbolicLinkToADirectoryIsANoteNotAnError() throws IOException {
    write("tree/real/a.txt", "ssn: " + SSN + "\n");
    Path link = dir.resolve("tree/link");
    try {
      Files.createSymbolicLink(link, dir.resolve("tree/real"));
    } catch (UnsupportedOperationException | IOException e) {
      assumeTrue(false, "symbolic links unsupported here");
    }
    Cli.Result r = scan(dir.resolve("tree").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("custos: note: " + link + ": symbolic link to a directory (not followed)")
        .doesNotContain("warning");
  }
}
