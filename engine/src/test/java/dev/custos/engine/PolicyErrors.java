package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Assertions shared by the tests of policy errors. */
public final class PolicyErrors {
  private PolicyErrors() {}

  /** Returns the error of parsing {@code yaml} as {@code p.yaml}, failing if it parses. */
  public static PolicyException error(String yaml) {
    PolicyException e =
        catchThrowableOfType(PolicyException.class, () -> Policy.parse(yaml, "p.yaml"));
    assertThat(e).as("expected a PolicyException").isNotNull();
    return e;
  }

  /** Asserts the line and column an error points at. */
  public static void assertPosition(PolicyException e, int line, int column) {
    assertThat(e.line()).as("line of: " + e.getMessage()).isEqualTo(line);
    assertThat(e.column()).as("column of: " + e.getMessage()).isEqualTo(column);
  }
}
