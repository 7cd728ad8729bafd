package dev.custos.engine.internal.validate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Objects;

/** Shared helpers for validator tests. */
final class ValidatorTesting {
  private ValidatorTesting() {}

  static Validator validator(String name) {
    Validator v = Validators.byName(name);
    assertThat(v).as("validator %s", name).isNotNull();
    return Objects.requireNonNull(v);
  }

  static boolean valid(String name, String value) {
    return validator(name).isValid(value);
  }
}
