package dev.custos.engine.internal.policy;

import java.util.Comparator;

/**
 * One problem found in a policy, at a 1-based line and column (0 when it has no position). The
 * text is worded "what was wrong (expected: what)" and never holds a sensitive value.
 */
record Problem(int line, int column, String text) {
  static final Comparator<Problem> BY_POSITION =
      Comparator.comparingInt(Problem::line).thenComparingInt(Problem::column);
}
