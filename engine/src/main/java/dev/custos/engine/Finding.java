package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One sensitive value found in scanned bytes: its category, the detector that found it, where it
 * is (byte offsets into the original input, and the JSON path when known), how sure the detector
 * is, and {@link Evidence}. A finding never holds the raw value. Immutable.
 */
public final class Finding {
  private final String category;
  private final String detector;
  private final long start;
  private final long end;
  private final @Nullable String jsonPath;
  private final Confidence confidence;
  private final Evidence evidence;
  private final Set<String> allowedByRules;
  private final @Nullable String qualifier;

  /**
   * Returns a finding.
   *
   * @throws IllegalArgumentException unless {@code 0 <= start < end}
   */
  public static Finding of(
      String category,
      String detector,
      long start,
      long end,
      @Nullable String jsonPath,
      Confidence confidence,
      Evidence evidence) {
    return new Finding(category, detector, start, end, jsonPath, confidence, evidence, Set.of(), null);
  }

  /**
   * Returns a finding that the allowlists of the named rules allow by pattern (the scanner checks
   * patterns, since a finding holds no value), with a qualifier (see {@link #qualifier()}).
   *
   * @throws IllegalArgumentException unless {@code 0 <= start < end}
   */
  public static Finding of(
      String category,
      String detector,
      long start,
      long end,
      @Nullable String jsonPath,
      Confidence confidence,
      Evidence evidence,
      Set<String> allowedByRules,
      @Nullable String qualifier) {
    return new Finding(category, detector, start, end, jsonPath, confidence, evidence,
        Set.copyOf(requireNonNull(allowedByRules, "allowedByRules")), qualifier);
  }

  private Finding(
      String category,
      String detector,
      long start,
      long end,
      @Nullable String jsonPath,
      Confidence confidence,
      Evidence evidence,
      Set<String> allowedByRules,
      @Nullable String qualifier) {
    this.allowedByRules = allowedByRules;
    this.qualifier = qualifier;
    this.category = requireNonNull(category, "category");
    this.detector = requireNonNull(detector, "detector");
    if (start < 0 || end <= start) {
      throw new IllegalArgumentException(
          "offsets: [" + start + ", " + end + ") (expected: 0 <= start < end)");
    }
    this.start = start;
    this.end = end;
    this.jsonPath = jsonPath;
    this.confidence = requireNonNull(confidence, "confidence");
    this.evidence = requireNonNull(evidence, "evidence");
  }

  /** Returns the category id, for example {@code credit_card}. */
  public String category() {
    return category;
  }

  /** Returns the id of the detector that found the value, for example {@code credit_card.pan}. */
  public String detector() {
    return detector;
  }

  /** Returns the byte offset of the first byte of the value in the original input. */
  public long start() {
    return start;
  }

  /** Returns the byte offset just past the last byte of the value in the original input. */
  public long end() {
    return end;
  }

  /**
   * Returns the JSON path of the value, such as {@code $.users[3].ssn} (for a form field, {@code
   * $.name}), or {@code null}.
   */
  public @Nullable String jsonPath() {
    return jsonPath;
  }

  /** Returns how sure the detector is. */
  public Confidence confidence() {
    return confidence;
  }

  /** Returns the masked preview and keyed hash of the value. */
  public Evidence evidence() {
    return evidence;
  }

  /**
   * Returns the names of the rules whose allowlist patterns the value satisfies: those rules leave
   * this finding alone ({@link Rule#coversFinding}). Empty for most findings.
   */
  public Set<String> allowedByRules() {
    return allowedByRules;
  }

  /**
   * Returns what the detector's validator recognised beyond the category, itself no sensitive
   * data: a telephone number's region ({@code GB}, {@code DE}), or null.
   */
  public @Nullable String qualifier() {
    return qualifier;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Finding)) {
      return false;
    }
    Finding f = (Finding) o;
    return start == f.start
        && end == f.end
        && category.equals(f.category)
        && detector.equals(f.detector)
        && Objects.equals(jsonPath, f.jsonPath)
        && confidence == f.confidence
        && evidence.equals(f.evidence)
        && allowedByRules.equals(f.allowedByRules)
        && Objects.equals(qualifier, f.qualifier);
  }

  @Override
  public int hashCode() {
    return Objects.hash(category, detector, start, end, jsonPath, confidence, evidence, allowedByRules,
        qualifier);
  }

  @Override
  public String toString() {
    return "Finding{"
        + category
        + " by "
        + detector
        + " at ["
        + start
        + ", "
        + end
        + ")"
        + (jsonPath == null ? "" : " " + jsonPath)
        + ", "
        + confidence.id()
        + ", "
        + evidence.preview()
        + ", "
        + evidence.hash()
        + (qualifier == null ? "" : ", " + qualifier)
        + '}';
  }
}
