package dev.custos.engine;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One match a {@link PluginDetector} reports in a window: byte offsets relative to the window's
 * first byte, an optional confidence score and an optional category. Holds no bytes of the value.
 * Immutable and thread-safe.
 *
 * <p>The score is 0 to 100, or {@link #UNSPECIFIED}; {@link
 * PluginDetectorDefinition#confidenceOf(PluginMatch)} maps it to a {@link Confidence}.
 */
public final class PluginMatch {
  /** The score of a match whose plugin states no confidence: the definition's default applies. */
  public static final int UNSPECIFIED = -1;

  private final int start;
  private final int end;
  private final int score;
  private final @Nullable String category;

  private PluginMatch(int start, int end, int score, @Nullable String category) {
    if (start < 0 || end <= start) {
      throw new IllegalArgumentException(
          "offsets: [" + start + ", " + end + ") (expected: 0 <= start < end)");
    }
    if (score != UNSPECIFIED && (score < 0 || score > 100)) {
      throw new IllegalArgumentException("score: " + score + " (expected: 0 to 100, or -1)");
    }
    this.start = start;
    this.end = end;
    this.score = score;
    this.category = category;
  }

  /**
   * Returns a match of the definition's category with its default confidence.
   *
   * @throws IllegalArgumentException unless {@code 0 <= start < end}
   */
  public static PluginMatch of(int start, int end) {
    return new PluginMatch(start, end, UNSPECIFIED, null);
  }

  /**
   * Returns a match of the definition's category with a score.
   *
   * @param score 0 to 100, or {@link #UNSPECIFIED}
   * @throws IllegalArgumentException unless {@code 0 <= start < end} and the score is in range
   */
  public static PluginMatch of(int start, int end, int score) {
    return new PluginMatch(start, end, score, null);
  }

  /**
   * Returns a match with a score and a category.
   *
   * @param score 0 to 100, or {@link #UNSPECIFIED}
   * @param category a category id the definition allows (see {@link
   *     PluginDetectorDefinition#categories()}), or {@code null} for the definition's category
   * @throws IllegalArgumentException unless {@code 0 <= start < end} and the score is in range
   */
  public static PluginMatch of(int start, int end, int score, @Nullable String category) {
    return new PluginMatch(start, end, score, category);
  }

  /** Returns the offset of the first byte of the match, relative to the window. */
  public int start() {
    return start;
  }

  /** Returns the offset just past the last byte of the match, relative to the window. */
  public int end() {
    return end;
  }

  /** Returns the confidence score, 0 to 100, or {@link #UNSPECIFIED}. */
  public int score() {
    return score;
  }

  /** Returns the category id, or {@code null} for the definition's own category. */
  public @Nullable String category() {
    return category;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof PluginMatch)) {
      return false;
    }
    PluginMatch m = (PluginMatch) o;
    return start == m.start && end == m.end && score == m.score
        && Objects.equals(category, m.category);
  }

  @Override
  public int hashCode() {
    return Objects.hash(start, end, score, category);
  }

  @Override
  public String toString() {
    return "PluginMatch{[" + start + ", " + end + ")"
        + (score == UNSPECIFIED ? "" : ", score=" + score)
        + (category == null ? "" : ", " + category) + '}';
  }
}
