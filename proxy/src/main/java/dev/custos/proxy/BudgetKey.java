package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Whose budget, for which rule, over which window: a rule's name, the caller's identity (already
 * hashed or otherwise safe to keep, never a raw credential) and the sliding window. Immutable.
 *
 * @param rule the name of the rule that sets the budget
 * @param identity the caller's identity as the proxy resolved it (an API key is hashed before it
 *     gets here)
 * @param window how far back the budget counts; positive
 */
public record BudgetKey(String rule, String identity, Duration window) {
  /**
   * Checks the parts.
   *
   * @throws IllegalArgumentException if the window is not positive
   */
  public BudgetKey {
    requireNonNull(rule, "rule");
    requireNonNull(identity, "identity");
    requireNonNull(window, "window");
    if (window.isZero() || window.isNegative()) {
      throw new IllegalArgumentException("window: " + window + " (expected: > 0)");
    }
  }
}
