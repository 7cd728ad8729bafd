package dev.custos.engine;

import static java.util.Objects.requireNonNull;

/**
 * Thrown when a policy cannot be read, parsed or validated. The message names the source, the
 * line and column (1-based) when known, what was wrong and what was expected; it never echoes a
 * sensitive value.
 */
public final class PolicyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final int line;
  private final int column;

  /** Creates an exception for a problem at a position; {@code line} and {@code column} are 1-based. */
  public PolicyException(String source, int line, int column, String problem) {
    super(format(source, line, column, problem));
    this.source = requireNonNull(source, "source");
    this.line = line;
    this.column = column;
  }

  /** Creates an exception for a problem with no position, such as an unreadable file. */
  public PolicyException(String source, String problem, Throwable cause) {
    super(format(source, 0, 0, problem), cause);
    this.source = requireNonNull(source, "source");
    this.line = 0;
    this.column = 0;
  }

  private static String format(String source, int line, int column, String problem) {
    if (line <= 0) {
      return source + ": " + problem;
    }
    return source + ":" + line + ":" + column + ": " + problem;
  }

  /** Returns the file name or other source of the policy text. */
  public String source() {
    return source;
  }

  /** Returns the 1-based line of the problem, or 0 when the problem has no position. */
  public int line() {
    return line;
  }

  /** Returns the 1-based column of the problem, or 0 when the problem has no position. */
  public int column() {
    return column;
  }
}
