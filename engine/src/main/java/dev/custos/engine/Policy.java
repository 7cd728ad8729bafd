package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.internal.detect.BuiltinDetectors;
import dev.custos.engine.internal.policy.PolicyParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What to look for and what to do: the enabled detectors (built-in ones minus the disabled, plus
 * custom ones), the {@link Rule}s in order, where identities come from, and whether actions are
 * enforced. Parsed from YAML validated against {@code policy.schema.json}, or built in code.
 * Immutable and thread-safe.
 */
public final class Policy {
  private static final Policy DEFAULT = builder().sourceName("<default>").build();

  private final String sourceName;
  private final List<DetectorDefinition> detectors;
  private final List<PluginDetectorDefinition> pluginDetectors;
  private final Set<String> disabled;
  private final List<Rule> rules;
  /** The rules of each direction when no rule depends on the request, else null. */
  private final @Nullable Map<Direction, List<Rule>> rulesByDirection;
  private final List<IdentitySource> identitySources;
  private final boolean enforce;
  private final @Nullable OnUninspectable onUninspectable;
  private final Allowlist allowlist;
  private final Map<String, DetectorOverride> overrides;

  /** What the proxy does with a message it cannot inspect (too big, malformed, a bomb…). */
  public enum OnUninspectable {
    /** Lets the message pass uninspected. */
    ALLOW,
    /** Refuses the message. */
    BLOCK;

    /** Returns the lower-case id used in policy YAML. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

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
    Set<String> pluginIds = new HashSet<>();
    for (DetectorDefinition d : b.detectors) {
      if (byId.containsKey(d.id()) || BuiltinDetectors.byId(d.id()) != null) {
        throw new IllegalArgumentException("detector id: " + d.id() + " (expected: a unique id)");
      }
      byId.put(d.id(), d);
    }
    for (Map.Entry<String, DetectorOverride> o : b.overrides.entrySet()) {
      DetectorDefinition d = byId.get(o.getKey());
      if (d == null) {
        if (BuiltinDetectors.byId(o.getKey()) != null) {
          continue; // a disabled built-in: nothing to change
        }
        throw new IllegalArgumentException("overrides: " + o.getKey()
            + " (expected: a built-in or custom detector id)");
      }
      if (o.getValue().disabled()) {
        byId.remove(o.getKey());
      } else {
        byId.put(o.getKey(), o.getValue().applyTo(d));
      }
    }
    this.overrides = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.overrides));
    this.allowlist = b.allowlist;
    this.detectors = List.copyOf(byId.values());
    for (PluginDetectorDefinition d : b.pluginDetectors) {
      if (byId.containsKey(d.id()) || BuiltinDetectors.byId(d.id()) != null
          || pluginIds.contains(d.id())) {
        throw new IllegalArgumentException("detector id: " + d.id() + " (expected: a unique id)");
      }
      pluginIds.add(d.id());
    }
    this.pluginDetectors = List.copyOf(b.pluginDetectors);
    Set<String> categories = new HashSet<>(builtinCategories);
    for (DetectorDefinition d : b.detectors) {
      categories.add(d.category());
    }
    for (PluginDetectorDefinition d : b.pluginDetectors) {
      categories.add(d.category());
      categories.addAll(d.categories());
    }
    Set<String> ruleNames = new HashSet<>();
    for (Rule rule : b.rules) {
      if (!ruleNames.add(rule.name())) {
        throw new IllegalArgumentException(
            "rule name: " + rule.name() + " (expected: a unique rule name)");
      }
      for (String c : rule.categories()) {
        if (!categories.contains(c)) {
          throw new IllegalArgumentException("rule " + rule.name() + ": category: " + c
              + " (expected: a built-in or custom category id)");
        }
      }
    }
    this.rules = List.copyOf(b.rules);
    this.rulesByDirection = rules.stream().anyMatch(Rule::dependsOnRequest) ? null : byDirection(rules);
    this.identitySources = b.identitySources.isEmpty()
        ? List.of(IdentitySource.clientIp()) : List.copyOf(b.identitySources);
    this.enforce = b.enforce;
    this.onUninspectable = b.onUninspectable;
  }

  private Policy(Policy p, boolean enforce) {
    this.sourceName = p.sourceName;
    this.detectors = p.detectors;
    this.pluginDetectors = p.pluginDetectors;
    this.disabled = p.disabled;
    this.rules = p.rules;
    this.rulesByDirection = p.rulesByDirection;
    this.identitySources = p.identitySources;
    this.enforce = enforce;
    this.onUninspectable = p.onUninspectable;
    this.allowlist = p.allowlist;
    this.overrides = p.overrides;
  }

  /**
   * Returns this policy with actions enforced or not (shadow mode), everything else the same;
   * this policy itself when it already is so. The command plane's shadow rollouts use it.
   */
  public Policy withEnforce(boolean enforce) {
    return enforce == this.enforce ? this : new Policy(this, enforce);
  }

  /**
   * Returns the built-in default policy: every built-in detector enabled, no rules (so every
   * finding is only observed), identity from the client IP, enforce on.
   */
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

  /**
   * Returns the plugin detectors (such as WebAssembly modules), in policy order. A {@link Scanner}
   * of a policy with any needs a {@link PluginDetectorFactory}.
   */
  public List<PluginDetectorDefinition> pluginDetectors() {
    return pluginDetectors;
  }

  /** Returns the disabled built-in categories and detector ids. */
  public Set<String> disabled() {
    return disabled;
  }

  /** Returns where this policy came from: a file name, or {@code <default>}. */
  public String sourceName() {
    return sourceName;
  }

  /** Returns the rules, in file order; empty when every finding is only observed. */
  public List<Rule> rules() {
    return rules;
  }

  /**
   * Returns the rules that apply to a message, in order; see {@link Rule#appliesTo}. When no rule
   * depends on the request ({@link Rule#dependsOnRequest}), each direction's list is worked out
   * once and returned as it is.
   *
   * @param method the HTTP method, in any case
   * @param host the host name without port
   * @param path the normalized request path; a query or fragment is ignored
   */
  public List<Rule> rulesFor(Direction direction, String method, String host, String path) {
    requireNonNull(direction, "direction");
    requireNonNull(method, "method");
    requireNonNull(host, "host");
    requireNonNull(path, "path");
    if (rulesByDirection != null) {
      return rulesByDirection.get(direction);
    }
    List<Rule> out = new ArrayList<>();
    for (Rule rule : rules) {
      if (rule.appliesTo(direction, method, host, path)) {
        out.add(rule);
      }
    }
    return List.copyOf(out);
  }

  private static Map<Direction, List<Rule>> byDirection(List<Rule> rules) {
    Map<Direction, List<Rule>> byDirection = new java.util.EnumMap<>(Direction.class);
    for (Direction d : Direction.values()) {
      byDirection.put(d, rules.stream().filter(r -> r.directions().contains(d)).toList());
    }
    return byDirection;
  }

  /**
   * Returns where identities come from, in order (the first that yields one wins); by default
   * only the client IP.
   */
  public List<IdentitySource> identitySources() {
    return identitySources;
  }

  /**
   * Returns whether actions are enforced (the default). When false (shadow mode) the proxy
   * records what it would have done and changes nothing.
   */
  public boolean enforce() {
    return enforce;
  }

  /**
   * Returns what to do with a message that cannot be inspected, or {@code null} when the policy
   * does not say: then the proxy blocks a message when any rule that applies to it would block or
   * redact ({@link Action#BLOCK}, {@link Action#REDACT}), since passing it uninspected would let
   * through what those rules protect, and allows it otherwise.
   */
  public @Nullable OnUninspectable onUninspectable() {
    return onUninspectable;
  }

  /** Returns the findings every rule, and {@code custos scan}, leaves alone. */
  public Allowlist allowlist() {
    return allowlist;
  }

  /** Returns the per-detector overrides by detector id, as given (already applied to {@link #detectors()}). */
  public Map<String, DetectorOverride> overrides() {
    return overrides;
  }

  @Override
  public String toString() {
    return "Policy{" + sourceName + ", " + detectors.size() + " detectors, "
        + (pluginDetectors.isEmpty() ? "" : pluginDetectors.size() + " plugin detectors, ")
        + rules.size()
        + " rules" + (enforce ? "" : ", shadow") + "}";
  }

  /** Builds a {@link Policy}. Not thread-safe. */
  public static final class Builder {
    private String sourceName = "<code>";
    private final List<DetectorDefinition> detectors = new ArrayList<>();
    private final List<PluginDetectorDefinition> pluginDetectors = new ArrayList<>();
    private final Set<String> disabled = new LinkedHashSet<>();
    private final List<Rule> rules = new ArrayList<>();
    private final List<IdentitySource> identitySources = new ArrayList<>();
    private boolean enforce = true;
    private @Nullable OnUninspectable onUninspectable;
    private Allowlist allowlist = Allowlist.empty();
    private final Map<String, DetectorOverride> overrides = new LinkedHashMap<>();

    private Builder() {}

    /** Sets the allowlist that applies to every finding. */
    public Builder allowlist(Allowlist allowlist) {
      this.allowlist = requireNonNull(allowlist, "allowlist");
      return this;
    }

    /** Overrides a built-in or custom detector's keywords, context, confidence, or switches it off. */
    public Builder override(String detectorId, DetectorOverride override) {
      overrides.put(requireNonNull(detectorId, "detectorId"), requireNonNull(override, "override"));
      return this;
    }

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

    /** Adds a plugin detector, such as a WebAssembly module. */
    public Builder pluginDetector(PluginDetectorDefinition detector) {
      pluginDetectors.add(requireNonNull(detector, "detector"));
      return this;
    }

    /** Switches off a built-in category or detector by id. */
    public Builder disable(String categoryOrDetectorId) {
      disabled.add(requireNonNull(categoryOrDetectorId, "categoryOrDetectorId"));
      return this;
    }

    /** Adds a rule after those added before. */
    public Builder rule(Rule rule) {
      rules.add(requireNonNull(rule, "rule"));
      return this;
    }

    /**
     * Adds an identity source after those added before; with none, the client IP is used.
     */
    public Builder identitySource(IdentitySource source) {
      identitySources.add(requireNonNull(source, "source"));
      return this;
    }

    /** Sets whether actions are enforced (default true); false is shadow mode. */
    public Builder enforce(boolean enforce) {
      this.enforce = enforce;
      return this;
    }

    /** Sets what to do with a message that cannot be inspected; see {@link Policy#onUninspectable()}. */
    public Builder onUninspectable(OnUninspectable onUninspectable) {
      this.onUninspectable = requireNonNull(onUninspectable, "onUninspectable");
      return this;
    }

    /**
     * Returns the immutable policy.
     *
     * @throws IllegalArgumentException for a duplicate detector id (of either kind), an unknown
     *     disabled id, a duplicate rule name, or a rule category that is neither built-in nor
     *     custom (a plugin detector's categories count as custom)
     */
    public Policy build() {
      return new Policy(this);
    }
  }
}
