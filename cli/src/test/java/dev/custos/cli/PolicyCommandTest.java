package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyCommandTest {
  private static final String SSN = "078-05-1120";
  private static final String EMAIL = "jane.doe@example.com";

  @TempDir Path dir;

  private Path write(String name, String content) throws IOException {
    return Cli.write(dir, name, content);
  }

  /** Returns a policy with few detectors: compiling every built-in takes seconds. */
  private Path defaultPolicy() throws IOException {
    return TestPolicies.ssnCardEmail(dir);
  }

  @Test
  void validateAcceptsAGoodPolicy() throws IOException {
    Path policy = write("policy.yaml", "version: 1\ndisable: [email]\n");
    Cli.Result r = Cli.run("policy", "validate", policy.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(0);
    assertThat(r.out()).matches(java.util.regex.Pattern.quote(policy.toString())
        + ": ok \\(\\d+ detectors, 0 rules, enforcing\\)\\R");
  }

  @Test
  void validateCountsRulesAndShowsShadowMode() throws IOException {
    Path policy = write("policy.yaml", """
        version: 1
        enforce: false
        rules:
          - { name: cards, categories: [credit_card], action: redact }
        """);
    Cli.Result r = Cli.run("policy", "validate", policy.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(0);
    assertThat(r.out()).contains(": ok (").contains(" detectors, 1 rule, shadow mode)");
  }

  @Test
  void validateListsWasmDetectorsWithoutLoadingThem() throws IOException {
    // The module does not exist: validate checks the policy, not the plugin runtime.
    Path policy = write("policy.yaml", """
        version: 1
        categories:
          internal_project_code:
            detectors:
              - wasm: plugins/project-code.wasm
                sha256: 3B1F000000000000000000000000000000000000000000000000000000000000
                timeout_ms: 5
                on_error: block
              - wasm: plugins/other.wasm
        rules:
          - { name: codes, categories: [internal_project_code], action: block }
        """);
    Cli.Result r = Cli.run("policy", "validate", policy.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(0);
    assertThat(r.out().lines()).containsExactly(
        policy + ": ok (" + r.out().replaceAll("(?s)^.*: ok \\((\\d+) detectors.*$", "$1")
            + " detectors, 2 plugin detectors, 1 rule, enforcing)",
        "  plugin detector internal_project_code.1 (internal_project_code): wasm"
            + " plugins/project-code.wasm, sha256 3b1f" + "0".repeat(60)
            + ", timeout 5 ms, on_error block",
        "  plugin detector internal_project_code.2 (internal_project_code): wasm plugins/other.wasm,"
            + " no sha256 (recommended), timeout 10 ms, on_error allow");
  }

  @Test
  void validateReportsTheFirstProblemWithItsPosition() throws IOException {
    Path policy = write("policy.yaml", "version: 1\nbogus: true\n");
    Cli.Result r = Cli.run("policy", "validate", policy.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).startsWith("custos: " + policy + ":2:");
  }

  @Test
  void validateRefusesARedactRuleNamingThePathWithTheRuleAndItsPosition() throws IOException {
    Path policy = write("policy.yaml", """
        version: 1
        rules:
          - name: ids in urls
            match: { parts: [path] }
            action: redact
        """);
    Cli.Result r = Cli.run("policy", "validate", policy.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).startsWith("custos: " + policy + ":4:22: ")
        .contains("(rule 'ids in urls'): 'path' with action redact");
  }

  @Test
  void validateOfMissingFileIsAnError() {
    Cli.Result r = Cli.run("policy", "validate", dir.resolve("nope.yaml").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines()).hasSize(1);
  }

  @Test
  void policyWithoutSubcommandIsAUsageError() {
    Cli.Result r = Cli.run("policy");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("missing command");
  }

  @Test
  void testPassesWhenCountsMatch() throws IOException {
    Path policy = defaultPolicy();
    write("samples/ticket.txt", "ssn " + SSN + " from " + EMAIL + "\n");
    write("samples/ticket.expect.yaml", "categories: {us_ssn: 1, email: 1}\n");
    write("samples/nested/api.json", "{\"ssn\": \"" + SSN + "\"}");
    write("samples/nested/api.expect.yaml", "categories:\n  us_ssn: 1\ncontent_type: json\n");
    write("samples/clean.txt", "nothing here\n");
    write("samples/clean.expect.yaml", "categories: {}\n");
    Cli.Result r = Cli.run("policy", "test", policy.toString(), "--samples", dir.resolve("samples").toString());
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(0);
    assertThat(r.out()).contains("PASS " + dir.resolve("samples/ticket.txt"), "PASS " + dir.resolve("samples/nested/api.json"));
    assertThat(r.out()).contains("3 passed, 0 failed");
  }

  @Test
  void testFailsWithCountDifferencesButNoValues() throws IOException {
    Path policy = defaultPolicy();
    write("samples/ticket.txt", "ssn " + SSN + " from " + EMAIL + "\n");
    write("samples/ticket.expect.yaml", "categories: {us_ssn: 2}\n");
    Cli.Result r = Cli.run("policy", "test", policy.toString(), "--samples", dir.resolve("samples").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out())
        .contains("FAIL " + dir.resolve("samples/ticket.txt") + ": email expected 0, found 1; us_ssn expected 2, found 1")
        .contains("0 passed, 1 failed");
    assertThat(r.all()).doesNotContain(SSN, EMAIL);
  }

  @Test
  void testReportsBadExpectationFilesWithPosition() throws IOException {
    Path policy = defaultPolicy();
    write("samples/ticket.txt", "nothing\n");
    write("samples/ticket.expect.yaml", "categories: {}\nexpected: 3\n");
    Cli.Result r = Cli.run("policy", "test", policy.toString(), "--samples", dir.resolve("samples").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains(dir.resolve("samples/ticket.expect.yaml") + ":2:1: unknown key expected");
  }

  @Test
  void testReportsSamplesWithoutExpectation() throws IOException {
    Path policy = defaultPolicy();
    write("samples/ticket.txt", "nothing\n");
    Cli.Result r = Cli.run("policy", "test", policy.toString(), "--samples", dir.resolve("samples").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("no expectation file ticket.expect.yaml");
  }

  @Test
  void testNeedsSamplesOption() throws IOException {
    Cli.Result r = Cli.run("policy", "test", defaultPolicy().toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--samples");
  }
}
