package dev.custos.engine.internal.scan;

import dev.custos.engine.Confidence;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.DetectorDefinition.Normalization;
import dev.custos.engine.internal.pattern.ByteDfa;
import dev.custos.engine.internal.pattern.DfaCache;
import dev.custos.engine.internal.pattern.PatternException;
import dev.custos.engine.internal.pattern.PatternNode;
import dev.custos.engine.internal.pattern.PatternParser;
import dev.custos.engine.internal.validate.Validator;
import dev.custos.engine.internal.validate.Validators;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** A detector compiled for scanning: exact reverse automaton, filters, normalization. Immutable. */
final class CompiledDetector {
  static final int DEFAULT_UNBOUNDED_MAX_LENGTH = 256;

  final int index;
  final String id;
  final String category;
  /** The exact pattern (Hyperscan counts repetitions natively, so it searches with this one). */
  final PatternNode exactPattern;
  /**
   * The searching DFA the pure-Java backend (and, for gated detectors, the keyword regions of both
   * backends) runs: of the exact pattern when it stays small, else of a relaxed one.
   */
  final ByteDfa searchDfa;
  private volatile @Nullable ByteDfa reverse;
  /** Where {@link #reverse()} looks for the reverse automaton before building it. */
  private final DfaCache cache;
  private final String patternText;
  final int maxLength;
  final @Nullable Validator validator;
  /** Keywords in lower case, or none: gated detectors run only near a keyword. */
  final Words keywords;
  /** Context words in lower case. */
  final Words context;
  final Set<String> excludedValues;
  final ByteDfa[] excludedPatterns;
  final double minEntropy;
  final Confidence confidence;
  final Normalization normalization;
  /** Whether the searching automaton came from a cache rather than being built here. */
  final boolean fromCache;
  /** Whether matches are credentials, judged by {@link SecretValues}. */
  final boolean secret;
  /** Whether matches must be whole JSON string values under a key named by a keyword. */
  final boolean keyValue;

  CompiledDetector(int index, DetectorDefinition d) {
    this(index, d, DfaCache.empty());
  }

  /** Compiles a detector, taking its automata from {@code cache} where it holds them. */
  CompiledDetector(int index, DetectorDefinition d, DfaCache cache) {
    this.index = index;
    this.id = d.id();
    this.category = d.category();
    PatternNode pattern = parse(d, d.pattern(), "pattern");
    this.exactPattern = pattern;
    this.cache = cache;
    this.patternText = d.pattern();
    ByteDfa cached = cache.get(DetectorDfas.SEARCH, d.pattern());
    this.fromCache = cached != null;
    this.searchDfa = cached != null ? cached : searchingDfa(pattern);
    int natural = pattern.maxLength();
    if (d.maxLength() > 0) {
      this.maxLength = natural < 0 ? d.maxLength() : Math.min(natural, d.maxLength());
    } else {
      this.maxLength = natural < 0 ? DEFAULT_UNBOUNDED_MAX_LENGTH : natural;
    }
    String validatorName = d.validator();
    if (validatorName == null) {
      this.validator = null;
    } else {
      this.validator = Validators.byName(validatorName);
      if (validator == null) {
        throw new IllegalArgumentException(
            "detector "
                + id
                + ": validator: "
                + validatorName
                + " (expected one of: "
                + String.join(", ", Validators.names())
                + ")");
      }
    }
    this.keywords = new Words(d.keywords());
    this.context = new Words(d.context());
    this.normalization = d.normalization();
    Set<String> excluded = new HashSet<>();
    for (String v : d.excludeValues()) {
      byte[] b = v.getBytes(StandardCharsets.UTF_8);
      excluded.add(normalize(b, 0, b.length));
    }
    this.excludedValues = Set.copyOf(excluded);
    List<String> patterns = d.excludePatterns();
    this.excludedPatterns = new ByteDfa[patterns.size()];
    for (int i = 0; i < patterns.size(); i++) {
      ByteDfa exact = cache.get(DetectorDfas.EXACT, patterns.get(i));
      excludedPatterns[i] = exact != null
          ? exact : ByteDfa.exact(parse(d, patterns.get(i), "exclude pattern " + (i + 1)));
    }
    this.minEntropy = d.minEntropy();
    this.confidence = d.confidence();
    this.secret = d.secret();
    this.keyValue = d.keyValue();
  }

  /** States a pure-Java searching DFA may have before its pattern is relaxed. */
  static final int SEARCH_STATE_CAP = 2000;

  /** Returns whether this detector runs only in regions around its keywords. */
  boolean isGated() {
    return keywords.size() > 0;
  }

  /**
   * Returns the exact reverse DFA, which finds where a match ending at a given offset starts.
   * Taken from the cache, or built, on the detector's first candidate: most detectors never see
   * one in a given process (building one can take seconds, so built-ins' are in the cache).
   */
  ByteDfa reverse() {
    ByteDfa r = reverse;
    if (r == null) {
      r = cache.get(DetectorDfas.REVERSE, patternText);
      if (r == null) {
        r = ByteDfa.reversed(exactPattern);
      }
      reverse = r;
    }
    return r;
  }

  /**
   * Returns the searching DFA of the most precise pattern whose DFA stays under {@link
   * #SEARCH_STATE_CAP} states: the exact pattern; then repetitions relaxed to at least their
   * minimum (those above 8, then all); then the pattern without a narrow first element; then
   * repetitions above 8 relaxed to one; then every counted repetition relaxed. A more precise
   * pattern reports fewer end positions to confirm. Each searches only from word boundaries: the
   * scanner keeps a candidate only when it starts on one, so ends of matches starting inside a word
   * need not be reported.
   */
  static ByteDfa searchingDfa(PatternNode exact) {
    List<PatternNode> tiers = new java.util.ArrayList<>();
    tiers.add(exact);
    tiers.add(exact.relaxedKeepingMinimum(8));
    tiers.add(exact.relaxedKeepingMinimum());
    PatternNode rest = exact.withoutFirstElement();
    if (rest != null && rest.minLength() >= 4) {
      tiers.add(rest);
      tiers.add(rest.relaxedKeepingMinimum());
    }
    tiers.add(exact.relaxed(8));
    for (PatternNode tier : tiers) {
      ByteDfa dfa = ByteDfa.searchingFromBoundaryWithin(tier, SEARCH_STATE_CAP);
      if (dfa != null) {
        return dfa;
      }
    }
    return ByteDfa.searching(exact.relaxed());
  }

  /**
   * Words in lower case, as bytes for scanning text and, for JSON key names, as their letters and
   * digits only ({@code date of birth} and {@code api_key} become {@code dateofbirth} and {@code
   * apikey}), which {@link KeyName} matches word by word.
   */
  static final class Words {
    final String[] texts;
    final byte[][] bytes;
    final String[] joined;

    Words(List<String> words) {
      this.texts = new String[words.size()];
      this.bytes = new byte[words.size()][];
      this.joined = new String[words.size()];
      for (int i = 0; i < texts.length; i++) {
        texts[i] = words.get(i).toLowerCase(Locale.ROOT);
        bytes[i] = texts[i].getBytes(StandardCharsets.UTF_8);
        joined[i] = texts[i].replaceAll("[^a-z0-9]", "");
      }
    }

    int size() {
      return texts.length;
    }
  }

  private static PatternNode parse(DetectorDefinition d, String pattern, String what) {
    try {
      return PatternParser.parse(pattern);
    } catch (PatternException e) {
      throw new IllegalArgumentException("detector " + d.id() + ": " + what + ": " + e.getMessage(), e);
    }
  }

  /** Returns the value normalized for hashing and exclusion checks. */
  String normalize(byte[] bytes, int offset, int length) {
    return normalize(normalization, bytes, offset, length);
  }

  /** Returns a value normalized as {@code normalization} says. */
  static String normalize(Normalization normalization, byte[] bytes, int offset, int length) {
    switch (normalization) {
      case DIGITS:
        {
          StringBuilder sb = new StringBuilder(length);
          for (int i = offset; i < offset + length; i++) {
            byte b = bytes[i];
            if (b >= '0' && b <= '9') {
              sb.append((char) b);
            }
          }
          return sb.toString();
        }
      case ALPHANUMERIC:
        {
          StringBuilder sb = new StringBuilder(length);
          for (int i = offset; i < offset + length; i++) {
            int b = bytes[i] & 0xff;
            if ((b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z')) {
              sb.append((char) b);
            } else if (b >= 'a' && b <= 'z') {
              sb.append((char) (b - 32));
            }
          }
          return sb.toString();
        }
      case LOWERCASE:
        return new String(bytes, offset, length, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
      case EXACT:
      default:
        return new String(bytes, offset, length, StandardCharsets.UTF_8);
    }
  }

  /** Returns the Shannon entropy of the bytes, in bits per byte. */
  static double entropy(byte[] bytes, int offset, int length) {
    if (length == 0) {
      return 0;
    }
    int[] counts = new int[256];
    for (int i = offset; i < offset + length; i++) {
      counts[bytes[i] & 0xff]++;
    }
    double h = 0;
    for (int c : counts) {
      if (c > 0) {
        double p = (double) c / length;
        h -= p * (Math.log(p) / Math.log(2));
      }
    }
    return h;
  }

  @Override
  public String toString() {
    return "CompiledDetector{" + id + '}';
  }
}
