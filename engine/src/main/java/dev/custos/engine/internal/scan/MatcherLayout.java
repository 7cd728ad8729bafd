package dev.custos.engine.internal.scan;

import dev.custos.engine.internal.match.PackedDfa;
import dev.custos.engine.internal.pattern.ByteDfa;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * Which pattern ids the matcher reports: first the patterns of detectors that run everywhere
 * (those without keywords), then one case-insensitive literal per distinct keyword of the gated
 * detectors. A keyword occurrence opens a scan region for the detectors gated by it, which runs
 * the detector's searching automaton packed for short scans ({@link #regionDfa}). Immutable.
 */
final class MatcherLayout {
  private final int[] detectorOf;
  private final String[] keywordOf;
  private final int[][] gatedBy;
  private final int[] keywordLength;
  private final boolean[] alphanumericFirst;
  private final boolean[] alphanumericLast;
  private final int maxKeywordLength;
  /** Per detector: its searching automaton when gated, else null. */
  private final @Nullable ByteDfa[] searchDfa;
  /** Per detector: its searching automaton packed, once a region of it has opened. */
  private final AtomicReferenceArray<PackedDfa> regionDfa;
  private final CompiledDetector[] detectors;
  /** Per detector: its exact reverse automaton packed, once a match of it has ended. */
  private final AtomicReferenceArray<PackedDfa> reverseDfa;

  private MatcherLayout(int[] detectorOf, String[] keywordOf, int[][] gatedBy,
      @Nullable ByteDfa[] searchDfa, CompiledDetector[] detectors) {
    this.detectors = detectors;
    this.reverseDfa = new AtomicReferenceArray<>(detectors.length);
    this.searchDfa = searchDfa;
    this.regionDfa = new AtomicReferenceArray<>(searchDfa.length);
    this.detectorOf = detectorOf;
    this.keywordOf = keywordOf;
    this.gatedBy = gatedBy;
    this.keywordLength = new int[detectorOf.length];
    this.alphanumericFirst = new boolean[detectorOf.length];
    this.alphanumericLast = new boolean[detectorOf.length];
    for (int p = 0; p < detectorOf.length; p++) {
      if (detectorOf[p] < 0) {
        byte[] bytes = keywordOf[p].getBytes(java.nio.charset.StandardCharsets.UTF_8);
        keywordLength[p] = bytes.length;
        alphanumericFirst[p] = bytes.length > 0 && isAlphanumeric(bytes[0] & 0xff);
        alphanumericLast[p] = bytes.length > 0 && isAlphanumeric(bytes[bytes.length - 1] & 0xff);
      }
    }
    this.maxKeywordLength = java.util.Arrays.stream(keywordLength).max().orElse(0);
  }

  static MatcherLayout of(CompiledDetector[] detectors) {
    List<Integer> continuous = new ArrayList<>();
    @Nullable ByteDfa[] searchDfa = new ByteDfa[detectors.length];
    Map<String, List<Integer>> keywords = new LinkedHashMap<>();
    for (CompiledDetector d : detectors) {
      if (d.isGated()) {
        searchDfa[d.index] = d.searchDfa;
        for (String k : d.keywords.texts) {
          List<Integer> detectorsOfKeyword = keywords.computeIfAbsent(k, x -> new ArrayList<>());
          if (!detectorsOfKeyword.contains(d.index)) {
            detectorsOfKeyword.add(d.index);
          }
        }
      } else {
        continuous.add(d.index);
      }
    }
    int count = continuous.size() + keywords.size();
    int[] detectorOf = new int[count];
    String[] keywordOf = new String[count];
    int[][] gatedBy = new int[count][];
    int p = 0;
    for (int d : continuous) {
      detectorOf[p] = d;
      gatedBy[p] = new int[0];
      p++;
    }
    for (Map.Entry<String, List<Integer>> e : keywords.entrySet()) {
      detectorOf[p] = -1;
      keywordOf[p] = e.getKey();
      gatedBy[p] = e.getValue().stream().mapToInt(Integer::intValue).toArray();
      p++;
    }
    return new MatcherLayout(
        detectorOf, keywordOf, gatedBy, searchDfa, detectors.clone());
  }

  int patternCount() {
    return detectorOf.length;
  }

  /** Returns the detector a pattern belongs to, or -1 for a keyword pattern. */
  int detectorOf(int pattern) {
    return detectorOf[pattern];
  }

  /** Returns the keyword text (lower case) of a keyword pattern. */
  String keywordOf(int pattern) {
    return keywordOf[pattern];
  }

  /** Returns the detectors gated by a keyword pattern. */
  int[] gatedBy(int pattern) {
    return gatedBy[pattern];
  }

  /** Returns the byte length of a keyword pattern's keyword. */
  int keywordLength(int pattern) {
    return keywordLength[pattern];
  }

  /**
   * Returns whether a keyword pattern's keyword starts with an ASCII letter or digit, so that it
   * counts as a word only where one may start (see {@code StreamScannerImpl.mayStartWord}).
   */
  boolean alphanumericFirst(int pattern) {
    return alphanumericFirst[pattern];
  }

  /**
   * Returns whether a keyword pattern's keyword ends with an ASCII letter or digit, so that it
   * counts as a word only where one may end.
   */
  boolean alphanumericLast(int pattern) {
    return alphanumericLast[pattern];
  }

  private static boolean isAlphanumeric(int b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
  }

  /** Returns the longest keyword in bytes, 0 if none. */
  int maxKeywordLength() {
    return maxKeywordLength;
  }

  /**
   * Returns the packed searching automaton a gated detector runs over its regions, packing it on
   * first use: most streams open regions of few detectors, and packing all costs tens of
   * milliseconds at start. Thread-safe (two threads may both pack; the first result is kept).
   */
  PackedDfa regionDfa(int detector) {
    PackedDfa packed = regionDfa.get(detector);
    if (packed == null) {
      ByteDfa dfa = Objects.requireNonNull(searchDfa[detector], "searchDfa (expected: a gated detector)");
      regionDfa.compareAndSet(detector, null, PackedDfa.of(dfa));
      packed = regionDfa.get(detector);
    }
    return packed;
  }

  /**
   * Returns a detector's exact reverse automaton packed, which finds where a match ending at a
   * given offset starts; packed on first use (thread-safe as {@link #regionDfa}).
   */
  PackedDfa reverseDfa(int detector) {
    PackedDfa packed = reverseDfa.get(detector);
    if (packed == null) {
      reverseDfa.compareAndSet(detector, null, PackedDfa.of(detectors[detector].reverse()));
      packed = reverseDfa.get(detector);
    }
    return packed;
  }
}
