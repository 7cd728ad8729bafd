package dev.custos.engine;

import java.util.Locale;

/** How sure a detector is that a match really is a value of its category. */
public enum Confidence {
  /** A weak pattern matched with nothing to confirm it. */
  LOW,
  /** The pattern matched; nothing confirmed or contradicted it. */
  MEDIUM,
  /** A validator (checksum) or a context word (including the JSON key name) confirmed the match. */
  HIGH;

  /** Returns the lower-case id used in policies and outputs ({@code "high"}, …). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Returns the confidence with the given id.
   *
   * @throws IllegalArgumentException if {@code id} is not {@code low}, {@code medium} or {@code high}
   */
  public static Confidence ofId(String id) {
    for (Confidence c : values()) {
      if (c.id().equals(id)) {
        return c;
      }
    }
    throw new IllegalArgumentException("confidence: " + id + " (expected: low, medium or high)");
  }
}
