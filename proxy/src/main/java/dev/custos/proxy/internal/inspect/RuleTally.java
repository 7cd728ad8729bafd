package dev.custos.proxy.internal.inspect;

import dev.custos.engine.Action;
import dev.custos.engine.Finding;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.Rule;
import dev.custos.proxy.BudgetKey;
import dev.custos.proxy.BudgetStore;
import dev.custos.proxy.BudgetUsage;
import dev.custos.proxy.FindingsEvent;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The rules that apply to one message and what the message has shown them so far: covered
 * findings and distinct value hashes per rule, findings per category, and the parts that held
 * them. Decides whether a rule's condition holds (always, per message, per identity through the
 * {@link BudgetStore}'s projection). Not thread-safe: one per message, used from its event loop.
 *
 * <p>Memory: per rule at most {@value #MAX_HASHES_PER_RULE} distinct hashes per message.
 */
final class RuleTally {
  static final int MAX_HASHES_PER_RULE = 10_000;
  /** The most distinct finding paths an event lists (the first ones in path order are kept). */
  static final int MAX_PATHS = 32;

  private final List<Rule> rules;
  private final BudgetStore budgets;
  private final String identity;
  private final Clock clock;
  private final int[] counts;
  private final List<Set<String>> hashes;
  private final Map<String, Integer> categories = new TreeMap<>();
  private final Set<String> locations = new TreeSet<>();
  private final TreeSet<String> paths = new TreeSet<>();
  /** The first distinct values, by category and hash, for the event. */
  private final Map<String, FindingsEvent.Value> values = new java.util.LinkedHashMap<>();
  private long findings;

  RuleTally(List<Rule> rules, BudgetStore budgets, String identity, Clock clock) {
    this.rules = List.copyOf(rules);
    this.budgets = budgets;
    this.identity = identity;
    this.clock = clock;
    this.counts = new int[rules.size()];
    this.hashes = new ArrayList<>(rules.size());
    for (int i = 0; i < rules.size(); i++) {
      hashes.add(new HashSet<>());
    }
  }

  private RuleTally(RuleTally other) {
    this.rules = other.rules;
    this.budgets = other.budgets;
    this.identity = other.identity;
    this.clock = other.clock;
    this.counts = other.counts.clone();
    this.hashes = new ArrayList<>(rules.size());
    for (Set<String> s : other.hashes) {
      hashes.add(new HashSet<>(s));
    }
    this.categories.putAll(other.categories);
    this.locations.addAll(other.locations);
    this.paths.addAll(other.paths);
    this.values.putAll(other.values);
    this.findings = other.findings;
  }

  /** Returns an independent copy, to start over from this point. */
  RuleTally copy() {
    return new RuleTally(this);
  }

  List<Rule> rules() {
    return rules;
  }

  /**
   * Counts a finding for every rule covering its category and the part of the message it is in
   * ({@code body}, {@code headers}, {@code query}, {@code path}, {@code host}, {@code trailers}:
   * see {@link Rule#parts()}); {@code location} names the place for the findings event. The
   * finding's path within a body, and a field name or path in {@code location}, reach the event
   * only as {@link FindingPaths} makes them safe.
   */
  void record(Finding finding, String location, String part) {
    findings++;
    categories.merge(finding.category(), 1, Integer::sum);
    locations.add(location.startsWith("$") ? FindingPaths.safe(location)
        : FindingPaths.safeLocation(location));
    String path = finding.jsonPath();
    if (path != null && part.equals("body")) {
      String safe = java.util.Objects.requireNonNull(FindingPaths.safe(path));
      if (paths.size() < MAX_PATHS) {
        paths.add(safe);
      } else if (safe.compareTo(paths.last()) < 0 && paths.add(safe)) {
        paths.pollLast();
      }
    }
    if (values.size() < FindingsEvent.MAX_VALUES) {
      String hash = finding.evidence().hash();
      values.putIfAbsent(finding.category() + ' ' + hash,
          new FindingsEvent.Value(finding.category(), hash, plainPreview(finding)));
    }
    for (int i = 0; i < rules.size(); i++) {
      if (rules.get(i).coversFinding(finding) && rules.get(i).coversPart(part)) {
        counts[i]++;
        Set<String> h = hashes.get(i);
        if (h.size() < MAX_HASHES_PER_RULE) {
          h.add(finding.evidence().hash());
        }
      }
    }
  }

  long findings() {
    return findings;
  }

  Map<String, Integer> categories() {
    return categories;
  }

  Set<String> locations() {
    return locations;
  }

  /**
   * Returns the finding's masked preview when its shown characters are plain (printable ASCII),
   * else an empty string: a preview is stars and at most four letters or digits, and a command
   * plane refuses anything that could show more.
   */
  private static String plainPreview(Finding finding) {
    String preview = finding.evidence().preview();
    for (int i = 0; i < preview.length(); i++) {
      char c = preview.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return "";
      }
    }
    return preview;
  }

  /** Returns the first distinct values found, at most {@value FindingsEvent#MAX_VALUES}. */
  List<FindingsEvent.Value> values() {
    return List.copyOf(values.values());
  }

  /** Returns the safe paths of the body findings, in order, at most {@value #MAX_PATHS}. */
  Set<String> paths() {
    return paths;
  }

  boolean has(Action action) {
    for (int i = 0; i < rules.size(); i++) {
      if (rules.get(i).action() == action) {
        return true;
      }
    }
    return false;
  }

  /** Returns whether a decision needs the whole message: a block, or a per-message redaction. */
  boolean needsWholeMessage() {
    for (int i = 0; i < rules.size(); i++) {
      Rule r = rules.get(i);
      if (r.action() == Action.BLOCK || (r.action() == Action.REDACT
          && r.condition().kind() == Rule.Condition.Kind.PER_MESSAGE)) {
        return true;
      }
    }
    return false;
  }

  /** Returns whether every redaction style of the rules keeps the byte length. */
  boolean redactionPreservesLength() {
    for (int i = 0; i < rules.size(); i++) {
      Rule r = rules.get(i);
      if (r.action() == Action.REDACT && r.redactionStyle() != null
          && !r.redactionStyle().preservesLength()) {
        return false;
      }
    }
    return true;
  }

  /** Returns whether rule {@code i} acts on what was counted so far. */
  boolean holds(int i) {
    if (counts[i] == 0) {
      return false;
    }
    Rule.Condition c = rules.get(i).condition();
    switch (c.kind()) {
      case ALWAYS:
        return true;
      case PER_MESSAGE:
        return counts[i] >= c.threshold();
      case PER_IDENTITY:
        return projected(i).findings() >= c.threshold();
      case PER_IDENTITY_DISTINCT:
        return projected(i).distinctValues() >= c.threshold();
      default:
        return false;
    }
  }

  private BudgetUsage projected(int i) {
    return budgets.projected(key(i), counts[i], hashes.get(i), clock.instant());
  }

  private BudgetKey key(int i) {
    return budgetKey(rules.get(i), identity);
  }

  private static BudgetKey budgetKey(Rule r, String identity) {
    Duration window = r.condition().window();
    return new BudgetKey(r.name(), identity, window == null ? Duration.ofSeconds(1) : window);
  }

  /** Returns the budgets the per-identity rules among {@code rules} read for {@code identity}. */
  static Set<BudgetKey> budgetKeys(List<Rule> requestRules, List<Rule> responseRules,
      String identity) {
    Set<BudgetKey> keys = new HashSet<>();
    for (List<Rule> rules : List.of(requestRules, responseRules)) {
      for (Rule r : rules) {
        if (r.condition().isPerIdentity()) {
          keys.add(budgetKey(r, identity));
        }
      }
    }
    return keys;
  }

  /**
   * Returns the style of the first redact rule covering {@code finding} in {@code part} that acts,
   * or null.
   */
  @Nullable RedactionStyle styleFor(Finding finding, String part) {
    for (int i = 0; i < rules.size(); i++) {
      Rule r = rules.get(i);
      if (r.action() == Action.REDACT && r.coversFinding(finding) && r.coversPart(part)
          && holds(i)) {
        return r.redactionStyle();
      }
    }
    return null;
  }

  /** Returns whether some redact rule acts on what was counted. */
  boolean anyRedaction() {
    return firstActing(Action.REDACT) != null;
  }

  /** Returns the first block rule that acts on what was counted, or null. */
  @Nullable Rule blockingRule() {
    return firstActing(Action.BLOCK);
  }

  private @Nullable Rule firstActing(Action action) {
    for (int i = 0; i < rules.size(); i++) {
      if (rules.get(i).action() == action && holds(i)) {
        return rules.get(i);
      }
    }
    return null;
  }

  /** Returns the rules that act on the whole message, in policy order. */
  List<Rule> actingRules() {
    List<Rule> out = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      if (holds(i)) {
        out.add(rules.get(i));
      }
    }
    return out;
  }

  /**
   * Returns the strongest action taken on findings of {@code category}: block, redact, alert or
   * observe.
   */
  Action actionFor(String category, List<Rule> acting) {
    Action best = Action.OBSERVE;
    for (Rule r : acting) {
      if (!r.covers(category)) {
        continue;
      }
      Action a = r.action();
      if (a.outranks(best)) {
        best = a;
      }
    }
    return best;
  }


  /** Adds this message's counts to the budgets of its per-identity rules. */
  void commitBudgets() {
    for (int i = 0; i < rules.size(); i++) {
      if (counts[i] > 0 && rules.get(i).condition().isPerIdentity()) {
        budgets.add(key(i), counts[i], hashes.get(i), clock.instant());
      }
    }
  }
}
