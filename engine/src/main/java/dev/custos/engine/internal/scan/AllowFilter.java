package dev.custos.engine.internal.scan;

import dev.custos.engine.Allowlist;
import dev.custos.engine.internal.pattern.ByteDfa;
import dev.custos.engine.internal.pattern.PatternParser;
import org.jspecify.annotations.Nullable;

/**
 * A policy's global {@link Allowlist} compiled for the scanner: a candidate it allows is no
 * finding (so it is neither reported nor redacted). Patterns run as exact DFAs over the match, so
 * the check is linear in the match's length. Immutable and thread-safe.
 */
public final class AllowFilter {
  private final Allowlist allowlist;
  private final ByteDfa[] patterns;

  private AllowFilter(Allowlist allowlist) {
    this.allowlist = allowlist;
    this.patterns = allowlist.patterns().stream()
        .map(p -> ByteDfa.exact(PatternParser.parse(p)))
        .toArray(ByteDfa[]::new);
  }

  /** Returns the filter of {@code allowlist}, or null when it allows nothing the scanner sees. */
  public static @Nullable AllowFilter of(Allowlist allowlist) {
    if (allowlist.hashes().isEmpty() && allowlist.patterns().isEmpty() && allowlist.paths().isEmpty()) {
      return null;
    }
    return new AllowFilter(allowlist);
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
}
