package dev.custos.engine.internal.scan;

import dev.custos.engine.Confidence;
import dev.custos.engine.PluginDetector;
import dev.custos.engine.PluginDetectorDefinition;
import dev.custos.engine.PluginMatch;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A plugin detector with what the scanner needs to run it: its window geometry, its place in the
 * order of detectors and the categories it may report. Immutable and thread-safe (the detector
 * itself must be).
 */
final class PluginRunner {
  /** Where the detector ranks among all detectors when overlapping findings tie. */
  final int index;
  final String id;
  final PluginDetectorDefinition definition;
  final PluginDetector detector;
  /** The largest window. */
  final int window;
  /** The longest match, which is also the overlap of consecutive windows. */
  final int maxLength;
  /** The distance between the starts of consecutive windows. */
  final int stride;
  private final Set<String> categories;

  PluginRunner(int index, PluginDetectorDefinition definition, PluginDetector detector) {
    this.index = index;
    this.id = definition.id();
    this.definition = definition;
    this.detector = detector;
    this.window = definition.maxWindow();
    this.maxLength = definition.maxLength();
    this.stride = window - maxLength;
    Set<String> c = new HashSet<>(definition.categories());
    c.add(definition.category());
    this.categories = Set.copyOf(c);
  }

  /**
   * Returns the category of a match, checking that the definition allows it.
   *
   * @throws IllegalArgumentException naming the category when it is not allowed
   */
  String categoryOf(PluginMatch m) {
    @Nullable String c = m.category();
    if (c == null) {
      return definition.category();
    }
    if (!categories.contains(c)) {
      throw new IllegalArgumentException("category: " + c + " (expected one of: "
          + String.join(", ", new java.util.TreeSet<>(categories)) + ")");
    }
    return c;
  }

  /** Returns the confidence of a match, or null when it is below the definition's floor. */
  @Nullable Confidence confidenceOf(PluginMatch m) {
    Confidence c = definition.confidenceOf(m);
    return c.compareTo(definition.minConfidence()) < 0 ? null : c;
  }

  /** Calls the detector, checking the shape of what it returns. */
  List<PluginMatch> detect(byte[] bytes, int offset, int length) {
    List<PluginMatch> matches = detector.detect(bytes, offset, length);
    if (matches == null) {
      throw new IllegalStateException("matches: null (expected: a list)");
    }
    return matches;
  }

  @Override
  public String toString() {
    return "PluginRunner{" + id + '}';
  }
}
