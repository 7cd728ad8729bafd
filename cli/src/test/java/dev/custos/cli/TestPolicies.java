package dev.custos.cli;

import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.Policy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * Policy files for tests. Compiling every built-in detector takes seconds, so most CLI tests use a
 * policy that keeps only the categories they plant.
 */
final class TestPolicies {
  private TestPolicies() {}

  /** Writes a policy keeping only the built-in us_ssn, credit_card and email categories. */
  static Path ssnCardEmail(Path dir) throws IOException {
    Set<String> disabled = new TreeSet<>();
    for (DetectorDefinition d : Policy.ofDefault().detectors()) {
      disabled.add(d.category());
    }
    disabled.removeAll(Set.of("us_ssn", "credit_card", "email"));
    Path file = dir.resolve("ssn-card-email.policy.yaml");
    Files.writeString(file, "version: 1\ndisable: [" + String.join(", ", disabled) + "]\n");
    return file;
  }
}
