package dev.custos.engine.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * Thrown when a configuration document is not valid YAML, uses a refused YAML feature, or does
 * not match its schema. Holds every problem found, sorted by position; the message starts with
 * the first as {@code source:line:column: text} and lists the others on the following lines.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** How many problems the message lists at most. */
  private static final int MAX_REPORTED = 20;

  private final String source;
  private final transient List<ConfigProblem> problems;

  /**
   * Creates an exception for problems found in a source.
   *
   * @throws IllegalArgumentException if {@code problems} is empty
   */
  public ConfigException(String source, List<ConfigProblem> problems) {
    super(message(requireNonNull(source, "source"), sorted(problems)), null, false, false);
    this.source = source;
    this.problems = sorted(problems);
  }

  private static List<ConfigProblem> sorted(List<ConfigProblem> problems) {
    requireNonNull(problems, "problems");
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("problems: [] (expected: at least one problem)");
    }
    List<ConfigProblem> sorted = new ArrayList<>(problems);
    sorted.sort(ConfigProblem.BY_POSITION);
    return List.copyOf(sorted);
  }

  private static String message(String source, List<ConfigProblem> problems) {
    StringBuilder text = new StringBuilder(problems.get(0).format(source));
    int shown = Math.min(problems.size(), MAX_REPORTED);
    for (int i = 1; i < shown; i++) {
      text.append('\n').append(problems.get(i).format(source));
    }
    if (problems.size() > shown) {
      text.append('\n').append(source).append(": ").append(problems.size() - shown)
          .append(" more problems");
    }
    return text.toString();
  }

  /** Returns the file name or other source of the document. */
  public String source() {
    return source;
  }

  /** Returns the problems, sorted by position; never empty. */
  public List<ConfigProblem> problems() {
    return problems;
  }
}
