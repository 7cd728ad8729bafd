package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.DetectorDefinition.Normalization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A detector implemented outside the engine, such as a WebAssembly module: where its module is,
 * its expected SHA-256, the limits it runs under and what a failure means. The engine runs it
 * through the {@link PluginDetector} a {@link PluginDetectorFactory} makes from this definition.
 * Immutable and thread-safe; build with {@link #builder(String, String, Path)}.
 *
 * <p>The scanner gives the plugin windows of at most {@link #maxWindow()} bytes that overlap by
 * {@link #maxLength()} bytes. A match is taken from the window in which it starts before the next
 * window begins, so a match of at most {@code maxLength} bytes is found exactly once however the
 * stream is chunked; matches longer than {@code maxLength} are dropped.
 */
public final class PluginDetectorDefinition {
  /** The default {@link #timeoutMillis()}. */
  public static final int DEFAULT_TIMEOUT_MILLIS = 10;
  /** The default {@link #maxLength()}, which is also the overlap of windows: 1 KiB. */
  public static final int DEFAULT_MAX_LENGTH = 1024;
  /** The default {@link #maxWindow()}: 64 KiB. */
  public static final int DEFAULT_MAX_WINDOW = 64 * 1024;

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  /** What a scan does when the plugin fails on a window. */
  public enum OnError {
    /**
     * Goes on without the plugin's findings for that window, noting {@link ScanNote#PLUGIN_ERROR}.
     */
    ALLOW,
    /**
     * Notes {@link ScanNote#PLUGIN_ERROR} and {@link ScanNote#PLUGIN_ERROR_BLOCK}, on which the
     * caller refuses the message; the scan itself goes on.
     */
    BLOCK;

    /** Returns the lower-case id used in policy YAML. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final String id;
  private final String category;
  private final String description;
  private final Path module;
  private final String location;
  private final @Nullable String sha256;
  private final int timeoutMillis;
  private final OnError onError;
  private final Confidence confidence;
  private final Confidence minConfidence;
  private final int maxLength;
  private final int maxWindow;
  private final List<String> categories;
  private final Normalization normalization;

  private PluginDetectorDefinition(Builder b) {
    this.id = b.id;
    this.category = b.category;
    this.description = b.description;
    this.module = b.module;
    this.location = b.location != null ? b.location : b.module.toString();
    this.sha256 = b.sha256;
    this.timeoutMillis = b.timeoutMillis;
    this.onError = b.onError;
    this.confidence = b.confidence;
    this.minConfidence = b.minConfidence;
    this.maxLength = b.maxLength;
    this.maxWindow = b.maxWindow;
    this.categories = List.copyOf(b.categories);
    this.normalization = b.normalization;
  }

  /**
   * Returns a builder.
   *
   * @param id a unique detector id such as {@code internal_project_code.1}
   * @param category the category id of its matches, unless a match names another
   * @param module the module file, resolved as the runtime should open it
   */
  public static Builder builder(String id, String category, Path module) {
    return new Builder(id, category, module);
  }

  /** Returns the unique id of this detector. */
  public String id() {
    return id;
  }

  /** Returns the id of the category of matches that name none. */
  public String category() {
    return category;
  }

  /** Returns a one-line description, possibly empty. */
  public String description() {
    return description;
  }

  /**
   * Returns the module file, resolved: a relative {@code wasm} path of a policy file is resolved
   * against the policy file's folder; one of policy text parsed without a file stays relative.
   */
  public Path module() {
    return module;
  }

  /** Returns the module as the policy wrote it, for messages. */
  public String location() {
    return location;
  }

  /** Returns the expected SHA-256 of the module file in lower-case hex, or {@code null}. */
  public @Nullable String sha256() {
    return sha256;
  }

  /** Returns how long one call may run, in milliseconds; the runtime enforces it. */
  public int timeoutMillis() {
    return timeoutMillis;
  }

  /** Returns what a scan does when the plugin fails. */
  public OnError onError() {
    return onError;
  }

  /** Returns the confidence of a match whose score is {@link PluginMatch#UNSPECIFIED}. */
  public Confidence confidence() {
    return confidence;
  }

  /** Returns the lowest confidence reported; matches below it are dropped. */
  public Confidence minConfidence() {
    return minConfidence;
  }

  /**
   * Returns the longest match reported, in bytes, which is also how much consecutive windows
   * overlap.
   */
  public int maxLength() {
    return maxLength;
  }

  /** Returns the largest window given to one {@link PluginDetector#detect} call, in bytes. */
  public int maxWindow() {
    return maxWindow;
  }

  /**
   * Returns further category ids a match may name (see {@link PluginMatch#category()}); a policy
   * counts them as custom categories, so rules can cover them.
   */
  public List<String> categories() {
    return categories;
  }

  /** Returns how a value is normalized before hashing. */
  public Normalization normalization() {
    return normalization;
  }

  /**
   * Returns the confidence of a match: its score mapped 0–39 to low, 40–79 to medium and 80–100 to
   * high, or {@link #confidence()} when it has none.
   */
  public Confidence confidenceOf(PluginMatch match) {
    int score = requireNonNull(match, "match").score();
    if (score == PluginMatch.UNSPECIFIED) {
      return confidence;
    }
    return score >= 80 ? Confidence.HIGH : score >= 40 ? Confidence.MEDIUM : Confidence.LOW;
  }

  @Override
  public String toString() {
    return "PluginDetectorDefinition{" + id + " -> " + category + ", wasm: " + location + '}';
  }

  /** Builds a {@link PluginDetectorDefinition}. Not thread-safe. */
  public static final class Builder {
    private final String id;
    private final String category;
    private final Path module;
    private @Nullable String location;
    private String description = "";
    private @Nullable String sha256;
    private int timeoutMillis = DEFAULT_TIMEOUT_MILLIS;
    private OnError onError = OnError.ALLOW;
    private Confidence confidence = Confidence.MEDIUM;
    private Confidence minConfidence = Confidence.LOW;
    private int maxLength = DEFAULT_MAX_LENGTH;
    private int maxWindow = DEFAULT_MAX_WINDOW;
    private final Set<String> categories = new LinkedHashSet<>();
    private Normalization normalization = Normalization.EXACT;

    private Builder(String id, String category, Path module) {
      this.id = requireNonEmpty(id, "id");
      this.category = requireNonEmpty(category, "category");
      this.module = requireNonNull(module, "module");
    }

    /** Sets how the policy wrote the module path (default: the path itself). */
    public Builder location(String location) {
      this.location = requireNonEmpty(location, "location");
      return this;
    }

    /** Sets the one-line description. */
    public Builder description(String description) {
      this.description = requireNonNull(description, "description");
      return this;
    }

    /** Sets the expected SHA-256 of the module, 64 hex digits in any case, or {@code null}. */
    public Builder sha256(@Nullable String sha256) {
      if (sha256 == null) {
        this.sha256 = null;
        return this;
      }
      String hex = sha256.toLowerCase(Locale.ROOT);
      if (!SHA256.matcher(hex).matches()) {
        throw new IllegalArgumentException(
            "sha256: " + sha256.length() + " characters (expected: 64 hex digits)");
      }
      this.sha256 = hex;
      return this;
    }

    /** Sets how long one call may run, 1 to 10000 ms (default 10). */
    public Builder timeoutMillis(int millis) {
      if (millis < 1 || millis > 10_000) {
        throw new IllegalArgumentException("timeout_ms: " + millis + " (expected: 1 to 10000)");
      }
      this.timeoutMillis = millis;
      return this;
    }

    /** Sets what a failure means (default {@link OnError#ALLOW}). */
    public Builder onError(OnError onError) {
      this.onError = requireNonNull(onError, "onError");
      return this;
    }

    /** Sets the confidence of matches without a score (default medium). */
    public Builder confidence(Confidence confidence) {
      this.confidence = requireNonNull(confidence, "confidence");
      return this;
    }

    /** Sets the lowest confidence reported (default low: all). */
    public Builder minConfidence(Confidence minConfidence) {
      this.minConfidence = requireNonNull(minConfidence, "minConfidence");
      return this;
    }

    /** Sets the longest match and the window overlap, 1 to 65536 bytes (default 1024). */
    public Builder maxLength(int bytes) {
      if (bytes < 1 || bytes > 65536) {
        throw new IllegalArgumentException("max_length: " + bytes + " (expected: 1 to 65536)");
      }
      this.maxLength = bytes;
      return this;
    }

    /**
     * Sets the largest window, 1024 to 1048576 bytes and at least twice {@code maxLength} (default
     * 65536).
     */
    public Builder maxWindow(int bytes) {
      if (bytes < 1024 || bytes > 1 << 20) {
        throw new IllegalArgumentException("max_window: " + bytes + " (expected: 1024 to 1048576)");
      }
      this.maxWindow = bytes;
      return this;
    }

    /** Adds category ids a match may name besides the definition's own. */
    public Builder categories(Iterable<String> categories) {
      requireNonNull(categories, "categories");
      for (String c : categories) {
        this.categories.add(requireNonEmpty(c, "categories element"));
      }
      return this;
    }

    /** Sets how values are normalized before hashing (default exact). */
    public Builder normalization(Normalization normalization) {
      this.normalization = requireNonNull(normalization, "normalization");
      return this;
    }

    /**
     * Returns the immutable definition.
     *
     * @throws IllegalArgumentException if {@code max_window} is less than twice {@code max_length}
     */
    public PluginDetectorDefinition build() {
      if (maxWindow < 2 * maxLength) {
        throw new IllegalArgumentException("max_window: " + maxWindow
            + " (expected: at least twice max_length, " + 2 * maxLength + ")");
      }
      categories.remove(category);
      return new PluginDetectorDefinition(this);
    }

    private static String requireNonEmpty(String value, String name) {
      requireNonNull(value, name);
      if (value.isEmpty()) {
        throw new IllegalArgumentException(name + ": empty (expected: a non-empty string)");
      }
      return value;
    }
  }
}
