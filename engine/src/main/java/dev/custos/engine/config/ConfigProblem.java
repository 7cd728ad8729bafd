package dev.custos.engine.config;

import static java.util.Objects.requireNonNull;

import java.util.Comparator;

/**
 * One problem found in a configuration document, at a 1-based line and column (0 when it has no
 * position). The text is worded "what was wrong (expected: what)" and never holds a sensitive
 * value.
 */
public record ConfigProblem(int line, int column, String text) {
  /** Orders problems by line, then column. */
  public static final Comparator<ConfigProblem> BY_POSITION =
      Comparator.comparingInt(ConfigProblem::line).thenComparingInt(ConfigProblem::column);

  /** Creates a problem; {@code line} and {@code column} are 1-based, or 0 for no position. */
  public ConfigProblem {
    requireNonNull(text, "text");
  }

  /** Returns the problem as {@code source:line:column: text} ({@code source: text} without a position). */
  public String format(String source) {
    return line > 0 ? source + ":" + line + ":" + column + ": " + text : source + ": " + text;
  }
}
