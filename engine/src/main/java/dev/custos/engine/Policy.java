package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.internal.detect.BuiltinDetectors;
import dev.custos.engine.internal.policy.PolicyParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What to look for: the enabled detectors (built-in ones minus the disabled, plus custom ones).
 * Parsed from YAML validated against {@code policy.schema.json}, or built in code. Immutable and
 * thread-safe. Later versions add rules, actions and identity extractors.
 */
public final class Policy {
  private static final Policy DEFAULT = builder().sourceName("<default>").build();

  private final String sourceName;
  private final List<DetectorDefinition> detectors;
  private final Set<String> disabled;

  private Policy(Builder b) {
    this.sourceName = b.sourceName;
    this.disabled = Set.copyOf(b.disabled);
    Map<String, DetectorDefinition> byId = new LinkedHashMap<>();
    Set<String> builtinCategories = new LinkedHashSet<>();
    for (DetectorDefinition d : BuiltinDetectors.all()) {
      builtinCategories.add(d.category());
      if (!disabled.contains(d.id()) && !disabled.contains(d.category())) {
        byId.put(d.id(), d);
      }
    }
    for (String name : disabled) {
      if (!builtinCategories.contains(name) && BuiltinDetectors.byId(name) == null) {
        throw new IllegalArgumentException(
            "disable: " + name + " (expected: a built-in category or detector id)");
      }
    }
    for (DetectorDefinition d : b.detectors) {
      if (byId.containsKey(d.id()) || BuiltinDetectors.byId(d.id()) != null) {
        throw new IllegalArgumentException("detector id: " + d.id() + " (expected: a unique id)");
      }
      byId.put(d.id(), d);
    }
    this.detectors = List.copyOf(byId.values());
  }

  /** Returns the built-in default policy: every built-in detector enabled, action observe. */
  public static Policy ofDefault() {
    return DEFAULT;
  }

  /**
   * Parses and validates a policy file.
   *
   * @throws PolicyException naming the file, line and column of the first problem
   */
  public static Policy parse(Path file) {
    requireNonNull(file, "file");
    return PolicyParser.parse(file);
  }

  /**
   * Parses and validates policy text.
   *
   * @param sourceName the name used in error messages, such as a file name
   * @throws PolicyException naming the source, line and column of the first problem
   */
  public static Policy parse(String yaml, String sourceName) {
    requireNonNull(yaml, "yaml");
    requireNonNull(sourceName, "sourceName");
    return PolicyParser.parse(yaml, sourceName);
  }

  /** Returns a builder for a policy made in code. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the enabled detectors, built-in ones first, in a stable order. */
  public List<DetectorDefinition> detectors() {
    return detectors;
  }

  /** Returns the disabled built-in categories and detector ids. */
  public Set<String> disabled() {
    return disabled;
  }

  /** Returns where this policy came from: a file name, or {@code <default>}. */
  public String sourceName() {
    return sourceName;
  }

  @Override
  public String toString() {
    return "Policy{" + sourceName + ", " + detectors.size() + " detectors}";
  }

  /** Builds a {@link Policy}. Not thread-safe. */
  public static final class Builder {
    private String sourceName = "<code>";
    private final List<DetectorDefinition> detectors = new ArrayList<>();
    private final Set<String> disabled = new LinkedHashSet<>();

    private Builder() {}

    /** Sets the name used for this policy in messages. */
    public Builder sourceName(String sourceName) {
      this.sourceName = requireNonNull(sourceName, "sourceName");
      return this;
    }

    /** Adds a custom detector. */
    public Builder detector(DetectorDefinition detector) {
      detectors.add(requireNonNull(detector, "detector"));
      return this;
    }

    /** Switches off a built-in category or detector by id. */
    public Builder disable(String categoryOrDetectorId) {
      disabled.add(requireNonNull(categoryOrDetectorId, "categoryOrDetectorId"));
      return this;
    }

    /**
     * Returns the immutable policy.
     *
     * @throws IllegalArgumentException for a duplicate detector id or an unknown disabled id
     */
    public Policy build() {
      return new Policy(this);
    }
  }
}
