package dev.custos.engine;

import java.util.Locale;

/** How a redactor rewrites a found value. */
public enum RedactionStyle {
  /**
   * Replaces every letter and digit with {@code *}, keeping separators and the byte length, so
   * {@code "078-05-1120"} becomes {@code "***-**-****"} and JSON stays valid.
   */
  MASK,
  /** Like {@link #MASK} but keeps the last four letters or digits visible. Length-preserving. */
  PARTIAL,
  /** Replaces the value with {@code [category:hash8]}, the first 8 digits of its keyed hash. */
  HASH;

  /** Returns whether output has the same byte length as input, so Content-Length can be kept. */
  public boolean preservesLength() {
    return this != HASH;
  }

  /** Returns the lower-case id ({@code mask}, {@code partial}, {@code hash}). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Returns the style with the given id.
   *
   * @throws IllegalArgumentException for an unknown id
   */
  public static RedactionStyle ofId(String id) {
    for (RedactionStyle s : values()) {
      if (s.id().equals(id)) {
        return s;
      }
    }
    throw new IllegalArgumentException("redaction style: " + id + " (expected: mask, partial or hash)");
  }
}
