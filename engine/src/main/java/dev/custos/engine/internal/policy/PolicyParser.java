package dev.custos.engine.internal.policy;

import dev.custos.engine.Policy;
import dev.custos.engine.PolicyException;
import java.nio.file.Path;

/** Parses policy YAML, validated against {@code policy.schema.json}. */
public final class PolicyParser {
  private PolicyParser() {}

  public static Policy parse(Path file) {
    throw new PolicyException(file.toString(), "policy files are not supported yet", new UnsupportedOperationException());
  }

  public static Policy parse(String yaml, String sourceName) {
    throw new PolicyException(sourceName, "policy text is not supported yet", new UnsupportedOperationException());
  }
}
