package dev.custos.engine.internal.pattern;

/** Thrown for a pattern outside the Custos pattern syntax; {@link #index()} is where. */
public final class PatternException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final int index;

  PatternException(String problem, int index) {
    super(problem + " at pattern index " + index);
    this.index = index;
  }

  /** Returns the 0-based character index in the pattern where the problem was found. */
  public int index() {
    return index;
  }
}
