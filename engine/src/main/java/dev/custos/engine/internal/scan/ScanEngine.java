package dev.custos.engine.internal.scan;

import com.fasterxml.jackson.core.JsonFactory;
import dev.custos.engine.Backend;
import dev.custos.engine.ContentType;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.RedactedOutput;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.StreamScanner;
import dev.custos.engine.internal.match.HyperscanMatcher;
import dev.custos.engine.internal.match.JavaMatcher;
import dev.custos.engine.internal.match.MultiPatternMatcher;
import dev.custos.engine.internal.pattern.ByteDfa;
import dev.custos.engine.internal.pattern.PatternNode;
import dev.custos.engine.internal.pattern.PatternParser;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A compiled set of detectors, the matcher that finds their candidates, and shared settings.
 * Immutable and thread-safe; each stream gets its own {@link StreamScannerImpl}.
 */
public final class ScanEngine implements AutoCloseable {
  private final CompiledDetector[] detectors;
  private final MatcherLayout layout;
  private final MultiPatternMatcher matcher;
  private final Backend backend;
  private final EvidenceKey key;
  private final ScanSettings settings;
  private final int maxLength;
  private final JsonFactory jsonFactory;

  private ScanEngine(
      CompiledDetector[] detectors,
      MatcherLayout layout,
      MultiPatternMatcher matcher,
      Backend backend,
      EvidenceKey key,
      ScanSettings settings) {
    this.detectors = detectors;
    this.layout = layout;
    this.matcher = matcher;
    this.backend = backend;
    this.key = key;
    this.settings = settings;
    int max = 1;
    for (CompiledDetector d : detectors) {
      max = Math.max(max, d.maxLength);
    }
    this.maxLength = max;
    this.jsonFactory = JsonTracker.factory(settings.maxJsonDepth, settings.maxJsonTokenLength);
  }

  /**
   * Compiles detectors for a backend.
   *
   * @throws IllegalArgumentException for an invalid pattern or unknown validator
   * @throws IllegalStateException when Hyperscan is asked for and cannot load
   */
  public static ScanEngine compile(
      List<DetectorDefinition> definitions, Backend backend, EvidenceKey key, ScanSettings settings) {
    CompiledDetector[] detectors =
        java.util.stream.IntStream.range(0, definitions.size())
            .parallel()
            .mapToObj(i -> new CompiledDetector(i, definitions.get(i)))
            .toArray(CompiledDetector[]::new);
    Backend chosen = Backends.choose(backend);
    MatcherLayout layout = MatcherLayout.of(detectors);
    MultiPatternMatcher matcher = Backends.compile(chosen, layout, detectors);
    return new ScanEngine(detectors, layout, matcher, chosen, key, settings);
  }

  /** Returns the backend running. */
  public Backend backend() {
    return backend;
  }

  /** Returns the longest match of any detector, in bytes. */
  public int maxLength() {
    return maxLength;
  }

  /** Opens a stream; redacting when {@code style} and {@code output} are given. */
  public StreamScanner newStream(
      ContentType type, @Nullable RedactionStyle style, @Nullable RedactedOutput output) {
    JsonTracker json = type == ContentType.JSON ? new JsonTracker(jsonFactory) : null;
    return new StreamScannerImpl(
        detectors,
        layout,
        maxLength,
        settings.contextWindow,
        matcher.newStream(),
        json,
        new EvidenceMaker(key),
        style,
        output);
  }

  @Override
  public void close() {
    matcher.close();
  }

  /** Chooses and builds backends. */
  static final class Backends {
    private Backends() {}

    static Backend choose(Backend requested) {
      switch (requested) {
        case AUTO:
          return HyperscanMatcher.isAvailable() ? Backend.HYPERSCAN : Backend.JAVA;
        case HYPERSCAN:
          if (!HyperscanMatcher.isAvailable()) {
            throw new IllegalStateException(
                "engine: hyperscan (expected: a loadable Hyperscan native library; "
                    + HyperscanMatcher.unavailableReason()
                    + "; use auto or java)");
          }
          return Backend.HYPERSCAN;
        default:
          return requested;
      }
    }

    static MultiPatternMatcher compile(Backend backend, MatcherLayout layout, CompiledDetector[] detectors) {
      List<PatternNode> patterns = new ArrayList<>(layout.patternCount());
      List<ByteDfa> searching = new ArrayList<>(layout.patternCount());
      boolean[] raw = new boolean[layout.patternCount()];
      for (int p = 0; p < layout.patternCount(); p++) {
        int d = layout.detectorOf(p);
        if (d >= 0) {
          patterns.add(detectors[d].exactPattern);
          searching.add(detectors[d].searchDfa);
        } else {
          PatternNode keyword = PatternParser.caseInsensitiveLiteral(layout.keywordOf(p));
          patterns.add(keyword);
          if (backend != Backend.HYPERSCAN) {
            searching.add(ByteDfa.searching(keyword));
          }
          raw[p] = true;
        }
      }
      return backend == Backend.HYPERSCAN
          ? HyperscanMatcher.compile(patterns)
          : JavaMatcher.ofSearching(searching, raw);
    }
  }
}
