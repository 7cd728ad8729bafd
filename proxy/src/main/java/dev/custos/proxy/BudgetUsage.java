package dev.custos.proxy;

/**
 * What a caller used of a budget over its window: how many findings, and how many distinct values
 * (by keyed hash). Immutable.
 *
 * @param findings findings counted over the window
 * @param distinctValues distinct values over the window; a store may stop counting new values
 *     past its limit, in which case this is at least that limit
 */
public record BudgetUsage(long findings, long distinctValues) {
  /** No use at all. */
  public static final BudgetUsage NONE = new BudgetUsage(0, 0);

  /**
   * Checks the counts.
   *
   * @throws IllegalArgumentException if a count is negative
   */
  public BudgetUsage {
    if (findings < 0 || distinctValues < 0) {
      throw new IllegalArgumentException(
          "usage: " + findings + " findings, " + distinctValues + " distinct (expected: >= 0)");
    }
  }
}
