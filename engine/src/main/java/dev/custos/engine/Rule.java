package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.internal.policy.HostPattern;
import dev.custos.engine.internal.policy.PathGlob;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What to do with findings: which messages a rule applies to (paths, methods, hosts,
 * direction), which parts of them it looks at, which categories it covers, its {@link Action} and the {@link Condition} under
 * which it acts. Immutable and thread-safe; {@link #toString()} shows only structure (name,
 * action, directions, categories, condition).
 *
 * <p>The proxy asks {@link #appliesTo} for each message, then {@link #covers} for each finding.
 */
public final class Rule {
  private static final Set<Direction> BOTH = Set.copyOf(EnumSet.allOf(Direction.class));
  /** The parts of a message a rule may name, as the proxy locates its findings. */
  private static final Set<String> PARTS =
      Set.of("path", "host", "query", "headers", "body", "trailers");
  /** The parts that name the resource and are never rewritten: redaction cannot target them. */
  private static final Set<String> NOT_REWRITABLE = Set.of("path", "host");

  private final String name;
  private final List<PathGlob> paths;
  private final List<String> pathGlobs;
  private final List<String> hostPatterns;
  private final Set<String> methods;
  private final List<HostPattern> hosts;
  private final Set<Direction> directions;
  private final Set<String> categories;
  private final Set<String> parts;
  private final Action action;
  private final @Nullable RedactionStyle redactionStyle;
  private final Condition condition;
  private final Confidence minConfidence;
  private final Allowlist allowlist;

  private Rule(Builder b, Action action) {
    this.name = b.name;
    this.paths = List.copyOf(b.paths);
    this.methods = Set.copyOf(b.methods);
    this.hosts = List.copyOf(b.hosts);
    this.pathGlobs = paths.stream().map(PathGlob::glob).toList();
    this.hostPatterns = hosts.stream().map(HostPattern::pattern).toList();
    this.directions = b.direction == null ? BOTH : Set.of(b.direction);
    this.categories = Set.copyOf(b.categories);
    this.parts = Set.copyOf(b.parts);
    this.action = action;
    this.redactionStyle =
        action == Action.REDACT ? (b.style == null ? RedactionStyle.MASK : b.style) : null;
    this.condition = b.condition;
    this.minConfidence = b.minConfidence != null ? b.minConfidence
        : action == Action.BLOCK ? Confidence.MEDIUM : Confidence.LOW;
    this.allowlist = b.allowlist;
  }

  /**
   * Returns a builder for a rule with this name, unique within its policy.
   *
   * @throws IllegalArgumentException for an empty name
   */
  public static Builder builder(String name) {
    requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("name: '" + name + "' (expected: a non-blank rule name)");
    }
    return new Builder(name);
  }

  /** Returns the rule's name, unique within its policy. */
  public String name() {
    return name;
  }

  /** Returns the path globs as written; empty when the rule applies to every path. */
  public List<String> paths() {
    return pathGlobs;
  }

  /** Returns the HTTP methods, upper case; empty when the rule applies to every method. */
  public Set<String> methods() {
    return methods;
  }

  /** Returns the host patterns, lower case; empty when the rule applies to every host. */
  public List<String> hosts() {
    return hostPatterns;
  }

  /** Returns the directions the rule applies to: one, or both (the default). */
  public Set<Direction> directions() {
    return directions;
  }

  /** Returns the category ids the rule covers; empty when it covers every category. */
  public Set<String> categories() {
    return categories;
  }

  /**
   * Returns the parts of a message the rule looks at ({@code path}, {@code host}, {@code query},
   * {@code headers}, {@code body}, {@code trailers}); empty when it looks at every part.
   */
  public Set<String> parts() {
    return parts;
  }

  /**
   * Returns whether the rule looks at findings in this part of a message: one of {@link
   * #parts()}, or any part when the rule names none.
   */
  public boolean coversPart(String part) {
    requireNonNull(part, "part");
    return parts.isEmpty() || parts.contains(part);
  }

  /**
   * Returns the problem with naming {@code part} in a rule with {@code action}, or null: an unknown
   * part, or {@code path} or {@code host} for {@link Action#REDACT} (a proxy never rewrites the
   * resource a request names; block or alert instead).
   */
  public static @Nullable String partProblem(String part, Action action) {
    requireNonNull(part, "part");
    requireNonNull(action, "action");
    if (!PARTS.contains(part)) {
      return "'" + part + "' (expected: one of path, host, query, headers, body, trailers)";
    }
    if (action == Action.REDACT && NOT_REWRITABLE.contains(part)) {
      return "'" + part + "' with action redact (expected: block, alert or observe for the "
          + part + ", which is never rewritten; or a redact rule without " + part + ")";
    }
    return null;
  }

  /** Returns what the rule does. */
  public Action action() {
    return action;
  }

  /**
   * Returns how the rule redacts: the configured style ({@link RedactionStyle#MASK} by default)
   * when the action is {@link Action#REDACT}, {@code null} for every other action.
   */
  public @Nullable RedactionStyle redactionStyle() {
    return redactionStyle;
  }

  /** Returns when the rule acts: always (by default), per message or per identity. */
  public Condition condition() {
    return condition;
  }

  /**
   * Returns whether the rule names methods, hosts or paths, so that which requests it covers
   * depends on more than the message's direction; every condition {@link #appliesTo} reads beyond
   * the direction must be counted here.
   */
  public boolean dependsOnRequest() {
    return !methods.isEmpty() || !hosts.isEmpty() || !paths.isEmpty();
  }

  /**
   * Returns whether the rule applies to a message: its direction is one of the rule's, and its
   * method, host and path match the rule's lists (an empty list matches everything).
   *
   * @param method the HTTP method, in any case
   * @param host the host name without port, in any case
   * @param path the normalized request path; a query or fragment is ignored
   */
  public boolean appliesTo(Direction direction, String method, String host, String path) {
    requireNonNull(direction, "direction");
    requireNonNull(method, "method");
    requireNonNull(host, "host");
    requireNonNull(path, "path");
    if (!directions.contains(direction)) {
      return false;
    }
    if (!methods.isEmpty() && !methods.contains(method.toUpperCase(Locale.ROOT))) {
      return false;
    }
    if (!hosts.isEmpty() && hosts.stream().noneMatch(h -> h.matches(host))) {
      return false;
    }
    return paths.isEmpty() || paths.stream().anyMatch(p -> p.matches(path));
  }

  /**
   * Returns the lowest confidence of a finding this rule covers: as set, else {@code medium} for a
   * block rule (a weak match alone should not refuse a message) and {@code low} for the others.
   */
  public Confidence minConfidence() {
    return minConfidence;
  }

  /** Returns the findings this rule (only) leaves alone. */
  public Allowlist allowlist() {
    return allowlist;
  }

  /**
   * Returns whether the rule covers this finding: its category, a confidence of at least {@link
   * #minConfidence()}, and not allowed by the rule's {@link #allowlist()} (by hash or path here; by
   * pattern as the scanner recorded in {@link Finding#allowedByRules()}).
   */
  public boolean coversFinding(Finding finding) {
    requireNonNull(finding, "finding");
    return covers(finding.category())
        && finding.confidence().compareTo(minConfidence) >= 0
        && !allowlist.allows(finding)
        && !finding.allowedByRules().contains(name);
  }

  /** Returns whether the rule covers findings of this category id. */
  public boolean covers(String category) {
    requireNonNull(category, "category");
    return categories.isEmpty() || categories.contains(category);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Rule{").append(name).append(", ").append(action.id());
    if (redactionStyle != null) {
      sb.append(' ').append(redactionStyle.id());
    }
    sb.append(", ").append(directions.size() == 2 ? "both" : directions.iterator().next().id());
    sb.append(", categories=").append(categories.isEmpty() ? "all" : categories.stream()
        .sorted().toList());
    if (!parts.isEmpty()) {
      sb.append(", parts=").append(parts.stream().sorted().toList());
    }
    if (condition.kind() != Condition.Kind.ALWAYS) {
      sb.append(", ").append(condition);
    }
    return sb.append('}').toString();
  }

  /**
   * When a rule acts on the findings it covers. Immutable and thread-safe.
   *
   * <ul>
   *   <li>{@link Kind#ALWAYS}: on any finding (threshold 1, no window);
   *   <li>{@link Kind#PER_MESSAGE}: when one message holds at least {@link #threshold()}
   *       findings of the rule's categories;
   *   <li>{@link Kind#PER_IDENTITY}: when one caller's findings within the sliding {@link
   *       #window()} reach the threshold;
   *   <li>{@link Kind#PER_IDENTITY_DISTINCT}: as above, counting distinct values (by evidence
   *       hash) instead of findings.
   * </ul>
   */
  public static final class Condition {
    /** The kind of condition. */
    public enum Kind {
      /** Acts on any covered finding. */
      ALWAYS,
      /** Counts covered findings in one message. */
      PER_MESSAGE,
      /** Counts covered findings per identity over a window. */
      PER_IDENTITY,
      /** Counts distinct covered values per identity over a window. */
      PER_IDENTITY_DISTINCT
    }

    private static final Condition ALWAYS = new Condition(Kind.ALWAYS, 1, null);

    private final Kind kind;
    private final int threshold;
    private final @Nullable Duration window;

    private Condition(Kind kind, int threshold, @Nullable Duration window) {
      this.kind = kind;
      this.threshold = threshold;
      this.window = window;
    }

    /** Returns the condition that always holds. */
    public static Condition always() {
      return ALWAYS;
    }

    /**
     * Returns a condition that holds when a message has at least {@code n} covered findings.
     *
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public static Condition perMessageAtLeast(int n) {
      return new Condition(Kind.PER_MESSAGE, checkThreshold("at_least", n), null);
    }

    /**
     * Returns a condition that holds when an identity has at least {@code n} covered findings
     * within the sliding window.
     *
     * @throws IllegalArgumentException if {@code n < 1} or the window is not positive
     */
    public static Condition perIdentityAtLeast(int n, Duration window) {
      return new Condition(
          Kind.PER_IDENTITY, checkThreshold("at_least", n), checkWindow(window));
    }

    /**
     * Returns a condition that holds when an identity has at least {@code n} distinct covered
     * values within the sliding window.
     *
     * @throws IllegalArgumentException if {@code n < 1} or the window is not positive
     */
    public static Condition perIdentityDistinctAtLeast(int n, Duration window) {
      return new Condition(Kind.PER_IDENTITY_DISTINCT, checkThreshold("distinct_at_least", n),
          checkWindow(window));
    }

    private static int checkThreshold(String name, int n) {
      if (n < 1) {
        throw new IllegalArgumentException(name + ": " + n + " (expected: at least 1)");
      }
      return n;
    }

    private static Duration checkWindow(Duration window) {
      requireNonNull(window, "window");
      if (window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException(
            "window: " + window + " (expected: a positive duration)");
      }
      return window;
    }

    /** Returns the kind of condition. */
    public Kind kind() {
      return kind;
    }

    /** Returns the count at which the condition holds: 1 for {@link Kind#ALWAYS}. */
    public int threshold() {
      return threshold;
    }

    /** Returns the sliding window of a per-identity condition, {@code null} for the others. */
    public @Nullable Duration window() {
      return window;
    }

    /** Returns whether the condition counts per identity, so it needs a budget. */
    public boolean isPerIdentity() {
      return window != null;
    }

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Condition c && c.kind == kind && c.threshold == threshold
          && java.util.Objects.equals(c.window, window);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(kind, threshold, window);
    }

    @Override
    public String toString() {
      switch (kind) {
        case PER_MESSAGE:
          return "per_message at_least " + threshold;
        case PER_IDENTITY:
          return "per_identity at_least " + threshold + " in " + format(requireNonNull(window));
        case PER_IDENTITY_DISTINCT:
          return "per_identity distinct_at_least " + threshold + " in "
              + format(requireNonNull(window));
        default:
          return "always";
      }
    }

    private static String format(Duration d) {
      long s = d.getSeconds();
      if (d.getNano() != 0) {
        return d.toString();
      }
      if (s % 86_400 == 0) {
        return s / 86_400 + "d";
      } else if (s % 3_600 == 0) {
        return s / 3_600 + "h";
      } else if (s % 60 == 0) {
        return s / 60 + "m";
      }
      return s + "s";
    }
  }

  /** Builds a {@link Rule}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final List<PathGlob> paths = new ArrayList<>();
    private final Set<String> methods = new LinkedHashSet<>();
    private final List<HostPattern> hosts = new ArrayList<>();
    private @Nullable Direction direction;
    private final Set<String> categories = new LinkedHashSet<>();
    private final Set<String> parts = new LinkedHashSet<>();
    private @Nullable Action action;
    private @Nullable RedactionStyle style;
    private Condition condition = Condition.always();
    private @Nullable Confidence minConfidence;
    private Allowlist allowlist = Allowlist.empty();

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Adds path globs: {@code *} matches within one segment, a whole {@code **} segment any
     * number of segments, as in {@code /api/**} or {@code /users/*}{@code /cards}.
     *
     * @throws IllegalArgumentException for a glob that does not start with {@code /}, holds one
     *     of {@code ? [ ] { } \} or whitespace, or a {@code **} that is not a whole segment
     */
    public Builder paths(String... globs) {
      return paths(List.of(requireNonNull(globs, "globs")));
    }

    /** Adds path globs, as {@link #paths(String...)}. */
    public Builder paths(Collection<String> globs) {
      for (String g : requireNonNull(globs, "globs")) {
        paths.add(PathGlob.compile(requireNonNull(g, "glob")));
      }
      return this;
    }

    /**
     * Adds HTTP methods, upper-cased.
     *
     * @throws IllegalArgumentException for a method that is not an HTTP token
     */
    public Builder methods(String... methods) {
      return methods(List.of(requireNonNull(methods, "methods")));
    }

    /** Adds HTTP methods, as {@link #methods(String...)}. */
    public Builder methods(Collection<String> methods) {
      for (String m : requireNonNull(methods, "methods")) {
        requireNonNull(m, "method");
        if (m.isEmpty() || !m.chars().allMatch(Builder::isTokenChar)) {
          throw new IllegalArgumentException(
              "method: '" + m + "' (expected: an HTTP method such as GET)");
        }
        this.methods.add(m.toUpperCase(Locale.ROOT));
      }
      return this;
    }

    /**
     * Adds host names: exact, or {@code *.example.com} for any name below {@code example.com}.
     *
     * @throws IllegalArgumentException for something that is not a host name or wildcard
     */
    public Builder hosts(String... hosts) {
      return hosts(List.of(requireNonNull(hosts, "hosts")));
    }

    /** Adds host names, as {@link #hosts(String...)}. */
    public Builder hosts(Collection<String> hosts) {
      for (String h : requireNonNull(hosts, "hosts")) {
        this.hosts.add(HostPattern.compile(requireNonNull(h, "host")));
      }
      return this;
    }

    /** Restricts the rule to one direction; by default it applies to both. */
    public Builder direction(Direction direction) {
      this.direction = requireNonNull(direction, "direction");
      return this;
    }

    /**
     * Adds category ids the rule covers; by default it covers every category. The policy
     * checks that each is a built-in or custom category.
     */
    public Builder categories(String... categories) {
      return categories(List.of(requireNonNull(categories, "categories")));
    }

    /** Adds category ids, as {@link #categories(String...)}. */
    public Builder categories(Collection<String> categories) {
      for (String c : requireNonNull(categories, "categories")) {
        this.categories.add(requireNonNull(c, "category"));
      }
      return this;
    }

    /**
     * Restricts the rule to parts of a message: {@code path}, {@code host}, {@code query}, {@code
     * headers}, {@code body}, {@code trailers}. By default it looks at every part.
     *
     * @throws IllegalArgumentException for another name
     */
    public Builder parts(Collection<String> parts) {
      for (String p : requireNonNull(parts, "parts")) {
        String problem = partProblem(requireNonNull(p, "part"), Action.OBSERVE);
        if (problem != null) {
          throw new IllegalArgumentException("part: " + problem);
        }
        this.parts.add(p);
      }
      return this;
    }

    /** Sets what the rule does; required. */
    public Builder action(Action action) {
      this.action = requireNonNull(action, "action");
      return this;
    }

    /** Sets how a {@link Action#REDACT} rule redacts; default {@link RedactionStyle#MASK}. */
    public Builder redactionStyle(RedactionStyle style) {
      this.style = requireNonNull(style, "style");
      return this;
    }

    /**
     * Makes the rule act only when a message holds at least {@code n} covered findings.
     *
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public Builder perMessageAtLeast(int n) {
      this.condition = Condition.perMessageAtLeast(n);
      return this;
    }

    /**
     * Makes the rule act only when one identity reaches {@code n} covered findings within the
     * sliding window.
     *
     * @throws IllegalArgumentException if {@code n < 1} or the window is not positive
     */
    public Builder perIdentityAtLeast(int n, Duration window) {
      this.condition = Condition.perIdentityAtLeast(n, window);
      return this;
    }

    /**
     * Makes the rule act only when one identity reaches {@code n} distinct covered values
     * within the sliding window.
     *
     * @throws IllegalArgumentException if {@code n < 1} or the window is not positive
     */
    public Builder perIdentityDistinctAtLeast(int n, Duration window) {
      this.condition = Condition.perIdentityDistinctAtLeast(n, window);
      return this;
    }

    /** Sets the lowest confidence of a covered finding; see {@link Rule#minConfidence()}. */
    public Builder minConfidence(Confidence minConfidence) {
      this.minConfidence = requireNonNull(minConfidence, "minConfidence");
      return this;
    }

    /** Sets the findings this rule leaves alone (by hash or JSON path). */
    public Builder allowlist(Allowlist allowlist) {
      this.allowlist = requireNonNull(allowlist, "allowlist");
      return this;
    }

    /**
     * Returns the immutable rule.
     *
     * @throws IllegalStateException if no action was set, a redaction style was set for an
     *     action other than {@link Action#REDACT}, or a redact rule names the path or host
     */
    public Rule build() {
      Action a = action;
      if (a == null) {
        throw new IllegalStateException(
            "rule " + name + ": action: not set (expected: observe, redact, block or alert)");
      }
      if (style != null && a != Action.REDACT) {
        throw new IllegalStateException("rule " + name + ": redactionStyle: " + style.id()
            + " (expected: only with action redact, not " + a.id() + ")");
      }
      for (String p : parts) {
        String problem = partProblem(p, a);
        if (problem != null) {
          throw new IllegalStateException("rule " + name + ": parts: " + problem);
        }
      }
      return new Rule(this, a);
    }

    private static boolean isTokenChar(int c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }
  }
}
