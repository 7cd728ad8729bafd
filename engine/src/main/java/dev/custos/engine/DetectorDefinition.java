package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * One way to recognize a category: a linear-time pattern plus optional keyword gate, validator,
 * context words, exclusions and minimum entropy. Immutable; build with {@link #builder(String,
 * String, String)}.
 *
 * <p>Patterns use the Custos pattern syntax (a linear-time subset of RE2: literals, classes,
 * {@code \d \w \s}, groups, alternation, greedy quantifiers, a leading {@code (?i)}; no anchors,
 * back-references or look-around), matched over bytes. A match must start and end on a word
 * boundary wherever its first or last byte is a letter, digit or underscore.
 */
public final class DetectorDefinition {

  /** How a value is normalized before hashing, so equal values formatted differently hash alike. */
  public enum Normalization {
    /** The value as it is. */
    EXACT,
    /** Only the digits of the value (cards, national ids). */
    DIGITS,
    /** The value in lower case (emails, hosts). */
    LOWERCASE,
    /** Only letters and digits, in upper case (IBANs, codes with optional separators). */
    ALPHANUMERIC;

    /** Returns the lower-case id. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final String id;
  private final String category;
  private final String description;
  private final String pattern;
  private final List<String> keywords;
  private final @Nullable String validator;
  private final List<String> context;
  private final List<String> excludeValues;
  private final List<String> excludePatterns;
  private final double minEntropy;
  private final Confidence confidence;
  private final int maxLength;
  private final Normalization normalization;
  private final List<String> examples;
  private final List<String> counterExamples;
  private final boolean secret;
  private final boolean keyValue;

  private DetectorDefinition(Builder b) {
    this.id = b.id;
    this.category = b.category;
    this.description = b.description;
    this.pattern = b.pattern;
    this.keywords = List.copyOf(b.keywords);
    this.validator = b.validator;
    this.context = List.copyOf(b.context);
    this.excludeValues = List.copyOf(b.excludeValues);
    this.excludePatterns = List.copyOf(b.excludePatterns);
    this.minEntropy = b.minEntropy;
    this.confidence = b.confidence;
    this.maxLength = b.maxLength;
    this.normalization = b.normalization;
    this.examples = List.copyOf(b.examples);
    this.counterExamples = List.copyOf(b.counterExamples);
    this.secret = b.secret;
    this.keyValue = b.keyValue;
  }

  /**
   * Returns a builder for a detector.
   *
   * @param id a unique id such as {@code credit_card.pan}
   * @param category the category id such as {@code credit_card}
   * @param pattern the pattern in Custos pattern syntax
   */
  public static Builder builder(String id, String category, String pattern) {
    return new Builder(id, category, pattern);
  }

  /** Returns the unique id of this detector. */
  public String id() {
    return id;
  }

  /** Returns the id of the category this detector finds. */
  public String category() {
    return category;
  }

  /** Returns a one-line description of what this detector checks. */
  public String description() {
    return description;
  }

  /** Returns the pattern, in Custos pattern syntax. */
  public String pattern() {
    return pattern;
  }

  /**
   * Returns the keyword gate: when not empty, a match counts only if one of these words appears
   * (case-insensitively) in the match, in its context window, or in its JSON key name.
   */
  public List<String> keywords() {
    return keywords;
  }

  /** Returns the name of the validator (checksum) a match must pass, or {@code null}. */
  public @Nullable String validator() {
    return validator;
  }

  /** Returns words that, near a match or in its JSON key name, raise its confidence to high. */
  public List<String> context() {
    return context;
  }

  /** Returns values that are never findings (compared after normalization). */
  public List<String> excludeValues() {
    return excludeValues;
  }

  /** Returns patterns (Custos pattern syntax) whose full matches are never findings. */
  public List<String> excludePatterns() {
    return excludePatterns;
  }

  /** Returns the minimum Shannon entropy, in bits per character, of a match; 0 means none. */
  public double minEntropy() {
    return minEntropy;
  }

  /**
   * Returns whether matches are credentials: placeholders ({@code xxxx}, {@code ${VAR}},
   * {@code changeme}, sequential or repeated characters) are dropped, publicly documented sample
   * credentials and values spelled EXAMPLE, sample, dummy or fake are reported at low confidence,
   * and the entropy floor applies to the assigned value rather than to the whole match. A
   * well-formed token (dots, underscores, no digits) is never dropped by these rules; only when the
   * match is an assignment ({@code key = value}, or a {@link #keyValue()} field) is a value that
   * reads as code (identifier, member access, call), a URL or a pagination cursor dropped too.
   */
  public boolean secret() {
    return secret;
  }

  /**
   * Returns whether this detector finds whole values of structured fields only: a match must be
   * the entire value of a JSON string or form field whose key name ends with one of the keywords
   * (as words: {@code slackToken}, {@code client_secret}, {@code db.password}). Such a detector
   * finds nothing in plain text.
   */
  public boolean keyValue() {
    return keyValue;
  }

  /** Returns the confidence of a match that neither a validator nor a context word confirmed. */
  public Confidence confidence() {
    return confidence;
  }

  /**
   * Returns the longest match this detector reports, in bytes; 0 means the pattern's own bound
   * (patterns with unbounded repetition then default to 256).
   */
  public int maxLength() {
    return maxLength;
  }

  /** Returns how the value is normalized before hashing and exclusion checks. */
  public Normalization normalization() {
    return normalization;
  }

  /** Returns example values this detector finds (synthetic test values, used in docs and tests). */
  public List<String> examples() {
    return examples;
  }

  /** Returns near misses this detector must not find (used in docs and tests). */
  public List<String> counterExamples() {
    return counterExamples;
  }

  @Override
  public String toString() {
    return "DetectorDefinition{" + id + " -> " + category + '}';
  }

  /** Builds a {@link DetectorDefinition}. Not thread-safe. */
  public static final class Builder {
    private final String id;
    private final String category;
    private final String pattern;
    private String description = "";
    private final List<String> keywords = new ArrayList<>();
    private @Nullable String validator;
    private final List<String> context = new ArrayList<>();
    private final List<String> excludeValues = new ArrayList<>();
    private final List<String> excludePatterns = new ArrayList<>();
    private double minEntropy;
    private Confidence confidence = Confidence.MEDIUM;
    private int maxLength;
    private Normalization normalization = Normalization.EXACT;
    private final List<String> examples = new ArrayList<>();
    private final List<String> counterExamples = new ArrayList<>();
    private boolean secret;
    private boolean keyValue;

    private Builder(String id, String category, String pattern) {
      this.id = requireNonEmpty(id, "id");
      this.category = requireNonEmpty(category, "category");
      this.pattern = requireNonEmpty(pattern, "pattern");
    }

    /** Sets the one-line description. */
    public Builder description(String description) {
      this.description = requireNonNull(description, "description");
      return this;
    }

    /** Adds keywords to the keyword gate. */
    public Builder keywords(Iterable<String> keywords) {
      addAll(this.keywords, keywords, "keywords");
      return this;
    }

    /** Sets the validator name, or {@code null} for none. */
    public Builder validator(@Nullable String validator) {
      this.validator = validator;
      return this;
    }

    /** Adds context words. */
    public Builder context(Iterable<String> words) {
      addAll(this.context, words, "context");
      return this;
    }

    /** Adds excluded values. */
    public Builder excludeValues(Iterable<String> values) {
      addAll(this.excludeValues, values, "excludeValues");
      return this;
    }

    /** Adds excluded patterns. */
    public Builder excludePatterns(Iterable<String> patterns) {
      addAll(this.excludePatterns, patterns, "excludePatterns");
      return this;
    }

    /** Sets the minimum Shannon entropy in bits per character (0 to 8). */
    public Builder minEntropy(double bitsPerCharacter) {
      if (!(bitsPerCharacter >= 0 && bitsPerCharacter <= 8)) {
        throw new IllegalArgumentException(
            "minEntropy: " + bitsPerCharacter + " (expected: 0 to 8 bits per character)");
      }
      this.minEntropy = bitsPerCharacter;
      return this;
    }

    /** Sets the confidence of an unconfirmed match (default medium). */
    public Builder confidence(Confidence confidence) {
      this.confidence = requireNonNull(confidence, "confidence");
      return this;
    }

    /** Sets the longest match in bytes (1 to 65536), or 0 for the pattern's own bound. */
    public Builder maxLength(int maxLength) {
      if (maxLength < 0 || maxLength > 65536) {
        throw new IllegalArgumentException("maxLength: " + maxLength + " (expected: 0 to 65536)");
      }
      this.maxLength = maxLength;
      return this;
    }

    /** Sets how values are normalized before hashing and exclusion checks. */
    public Builder normalization(Normalization normalization) {
      this.normalization = requireNonNull(normalization, "normalization");
      return this;
    }

    /** Adds examples that must be found. */
    public Builder examples(Iterable<String> examples) {
      addAll(this.examples, examples, "examples");
      return this;
    }

    /** Adds near misses that must not be found. */
    public Builder counterExamples(Iterable<String> counterExamples) {
      addAll(this.counterExamples, counterExamples, "counterExamples");
      return this;
    }

    /** Marks matches as credentials (see {@link DetectorDefinition#secret()}); default false. */
    public Builder secret(boolean secret) {
      this.secret = secret;
      return this;
    }

    /**
     * Makes this detector find whole structured-field values under a key named by a keyword (see
     * {@link DetectorDefinition#keyValue()}); default false.
     */
    public Builder keyValue(boolean keyValue) {
      this.keyValue = keyValue;
      return this;
    }

    /** Returns the immutable definition. */
    public DetectorDefinition build() {
      return new DetectorDefinition(this);
    }

    private static String requireNonEmpty(String value, String name) {
      requireNonNull(value, name);
      if (value.isEmpty()) {
        throw new IllegalArgumentException(name + ": empty (expected: a non-empty string)");
      }
      return value;
    }

    private static void addAll(List<String> target, Iterable<String> values, String name) {
      requireNonNull(values, name);
      for (String v : values) {
        target.add(requireNonEmpty(v, name + " element"));
      }
    }
  }
}
