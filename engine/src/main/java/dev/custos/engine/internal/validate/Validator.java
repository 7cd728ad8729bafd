package dev.custos.engine.internal.validate;

import org.jspecify.annotations.Nullable;

/**
 * A check a matched value must pass (a checksum, a range rule). Implementations are stateless and
 * thread-safe, run in time linear in the value's length, never throw on any input, and never
 * include the value in anything they produce.
 */
public interface Validator {
  /** Returns the name policies use for this validator, such as {@code luhn}. */
  String name();

  /** Returns whether {@code value} (the exact matched text, separators included) passes. */
  boolean isValid(CharSequence value);

  /**
   * Returns whether passing this validator confirms a match (a checksum does), raising its
   * confidence to high. Structural checks (a plausible date, an IP octet range) return false.
   */
  default boolean confirms() {
    return true;
  }

  /**
   * Returns a short refinement of a valid value's category that is itself no sensitive data, such
   * as a telephone number's region ({@code GB}), or null (the default).
   */
  default @Nullable String qualifier(CharSequence value) {
    return null;
  }

  /**
   * Returns whether {@link #qualifier} returns a refinement for every valid value and null for
   * every other, so that one call both validates and qualifies (the default: false).
   */
  default boolean qualifiesEveryValidValue() {
    return false;
  }
}
