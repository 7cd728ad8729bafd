package dev.custos.engine.internal.scan;

import dev.custos.engine.Allowlist;
import dev.custos.engine.Rule;
import dev.custos.engine.internal.pattern.ByteDfa;
import dev.custos.engine.internal.pattern.PatternParser;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A policy's global {@link Allowlist} compiled for the scanner: a candidate it allows is no
 * finding (so it is neither reported nor redacted). Also the patterns of each rule's own
 * allowlist: a finding they match is still made, naming the rules that leave it alone. Patterns
 * run as exact DFAs over the match, so each check is linear in the match's length. Immutable and
 * thread-safe.
 */
public final class AllowFilter {
  private final Allowlist allowlist;
  private final ByteDfa[] patterns;
  private final String[] ruleNames;
  private final ByteDfa[][] rulePatterns;

  private AllowFilter(Allowlist allowlist, List<Rule> rules) {
    this.allowlist = allowlist;
    this.patterns = compile(allowlist);
    List<Rule> withPatterns = rules.stream().filter(r -> !r.allowlist().patterns().isEmpty()).toList();
    this.ruleNames = withPatterns.stream().map(Rule::name).toArray(String[]::new);
    this.rulePatterns = withPatterns.stream().map(r -> compile(r.allowlist())).toArray(ByteDfa[][]::new);
  }

  private static ByteDfa[] compile(Allowlist allowlist) {
    return allowlist.patterns().stream()
        .map(p -> ByteDfa.exact(PatternParser.parse(p)))
        .toArray(ByteDfa[]::new);
  }

  /** Returns the filter of {@code allowlist}, or null when it allows nothing the scanner sees. */
  public static @Nullable AllowFilter of(Allowlist allowlist) {
    return of(allowlist, List.of());
  }

  /**
   * Returns the filter of the policy-wide {@code allowlist} and the patterns of the {@code rules}'
   * own allowlists, or null when none allows anything the scanner sees.
   */
  public static @Nullable AllowFilter of(Allowlist allowlist, List<Rule> rules) {
    boolean rulePatterns = rules.stream().anyMatch(r -> !r.allowlist().patterns().isEmpty());
    if (allowlist.hashes().isEmpty() && allowlist.patterns().isEmpty() && allowlist.paths().isEmpty()
        && !rulePatterns) {
      return null;
    }
    return new AllowFilter(allowlist, rules);
  }

  /** Returns whether the match in {@code bytes} (at a JSON path, or null) is allowed. */
  boolean allows(byte[] bytes, int offset, int length, @Nullable String jsonPath,
      CompiledDetector detector, EvidenceMaker evidence) {
    for (ByteDfa p : patterns) {
      if (p.matchesFully(bytes, offset, length)) {
        return true;
      }
    }
    if (allowlist.allowsPath(jsonPath)) {
      return true;
    }
    return !allowlist.hashes().isEmpty()
        && allowlist.hashes().contains(evidence.hash(detector.normalize(bytes, offset, length)));
  }

  /** Returns the names of the rules whose allowlist patterns match the value in {@code bytes} whole. */
  Set<String> rulesAllowing(byte[] bytes, int offset, int length) {
    Set<String> names = null;
    for (int r = 0; r < ruleNames.length; r++) {
      for (ByteDfa p : rulePatterns[r]) {
        if (p.matchesFully(bytes, offset, length)) {
          if (names == null) {
            names = new HashSet<>();
          }
          names.add(ruleNames[r]);
          break;
        }
      }
    }
    return names == null ? Set.of() : Set.copyOf(names);
  }
}
