package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A policy's changes to one detector, built-in or custom, by detector id: its keywords, its
 * context words, the confidence of an unconfirmed match, or switching it off. What is not set is
 * kept. Immutable.
 */
public final class DetectorOverride {
  private final @Nullable List<String> keywords;
  private final @Nullable List<String> context;
  private final @Nullable Confidence confidence;
  private final boolean disabled;

  private DetectorOverride(Builder b) {
    this.keywords = b.keywords == null ? null : List.copyOf(b.keywords);
    this.context = b.context == null ? null : List.copyOf(b.context);
    this.confidence = b.confidence;
    this.disabled = b.disabled;
  }

  /** Returns a builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the keywords replacing the detector's, or null to keep them (empty: ungated). */
  public @Nullable List<String> keywords() {
    return keywords;
  }

  /** Returns the context words replacing the detector's, or null to keep them. */
  public @Nullable List<String> context() {
    return context;
  }

  /** Returns the confidence replacing the detector's, or null to keep it. */
  public @Nullable Confidence confidence() {
    return confidence;
  }

  /** Returns whether the detector is switched off. */
  public boolean disabled() {
    return disabled;
  }

  /** Returns {@code d} with this override applied (the same pattern, so compiled forms are reused). */
  DetectorDefinition applyTo(DetectorDefinition d) {
    DetectorDefinition.Builder b =
        DetectorDefinition.builder(d.id(), d.category(), d.pattern())
            .description(d.description())
            .keywords(keywords != null ? keywords : d.keywords())
            .validator(d.validator())
            .context(context != null ? context : d.context())
            .excludeValues(d.excludeValues())
            .excludePatterns(d.excludePatterns())
            .minEntropy(d.minEntropy())
            .confidence(confidence != null ? confidence : d.confidence())
            .maxLength(d.maxLength())
            .normalization(d.normalization())
            .examples(d.examples())
            .counterExamples(d.counterExamples())
            .secret(d.secret())
            .keyValue(d.keyValue());
    return b.build();
  }

  @Override
  public String toString() {
    return "DetectorOverride{" + (disabled ? "disabled" : "")
        + (keywords == null ? "" : " keywords=" + keywords)
        + (context == null ? "" : " context=" + context)
        + (confidence == null ? "" : " confidence=" + confidence.id()) + "}";
  }

  /** Builds a {@link DetectorOverride}. Not thread-safe. */
  public static final class Builder {
    private @Nullable List<String> keywords;
    private @Nullable List<String> context;
    private @Nullable Confidence confidence;
    private boolean disabled;

    private Builder() {}

    /** Replaces the detector's keywords (an empty list removes its keyword gate). */
    public Builder keywords(Iterable<String> keywords) {
      this.keywords = copy(keywords, "keywords");
      return this;
    }

    /** Replaces the detector's context words. */
    public Builder context(Iterable<String> words) {
      this.context = copy(words, "context");
      return this;
    }

    /** Replaces the confidence of an unconfirmed match. */
    public Builder confidence(Confidence confidence) {
      this.confidence = requireNonNull(confidence, "confidence");
      return this;
    }

    /** Switches the detector off (or on again). */
    public Builder disabled(boolean disabled) {
      this.disabled = disabled;
      return this;
    }

    private static List<String> copy(Iterable<String> words, String name) {
      requireNonNull(words, name);
      List<String> out = new ArrayList<>();
      for (String w : words) {
        if (requireNonNull(w, name).isEmpty()) {
          throw new IllegalArgumentException(name + ": empty word (expected: non-empty words)");
        }
        out.add(w);
      }
      return out;
    }

    /** Returns the immutable override. */
    public DetectorOverride build() {
      return new DetectorOverride(this);
    }
  }
}
