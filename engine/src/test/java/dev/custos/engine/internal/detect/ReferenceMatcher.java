package dev.custos.engine.internal.detect;

import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.internal.pattern.PatternParser;
import dk.brics.automaton.RunAutomaton;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A slow, obviously correct model of the engine's per-detector matching, used to check the
 * catalog before the engine lands: leftmost-longest spans that respect the implicit word
 * boundaries, then the keyword gate, exclusions and minimum entropy. Validators are not modelled.
 */
final class ReferenceMatcher {
  static final int CONTEXT_WINDOW = 48;

  private final DetectorDefinition detector;
  private final RunAutomaton pattern;
  private final List<RunAutomaton> excludes = new ArrayList<>();
  private final int maxLength;

  ReferenceMatcher(DetectorDefinition detector) {
    this.detector = detector;
    this.pattern = new RunAutomaton(PatternParser.parse(detector.pattern()).toAutomaton());
    for (String p : detector.excludePatterns()) {
      excludes.add(new RunAutomaton(PatternParser.parse(p).toAutomaton()));
    }
    int bound = PatternParser.parse(detector.pattern()).maxLength();
    this.maxLength = detector.maxLength() > 0 ? detector.maxLength() : bound;
  }

  /** Returns the input as a string of bytes (one char per byte), as the automata expect. */
  static String bytes(String text) {
    return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  /** Returns the spans [start, end) the pattern matches, leftmost-longest, without filters. */
  List<int[]> spans(String text) {
    String s = bytes(text);
    List<int[]> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      int end = longestAt(s, i);
      if (end > i) {
        out.add(new int[] {i, end});
        i = end;
      } else {
        i++;
      }
    }
    return out;
  }

  /** Returns the spans that also pass the keyword gate, exclusions and minimum entropy. */
  List<String> findings(String text) {
    String s = bytes(text);
    List<String> out = new ArrayList<>();
    for (int[] span : spans(text)) {
      String value = s.substring(span[0], span[1]);
      if (passesKeywords(s, span[0], span[1]) && !excluded(value) && entropy(value) >= detector.minEntropy()) {
        out.add(value);
      }
    }
    return out;
  }

  private int longestAt(String s, int start) {
    if (isWord(s.charAt(start)) && start > 0 && isWord(s.charAt(start - 1))) {
      return -1;
    }
    int state = pattern.getInitialState();
    int best = -1;
    for (int i = start; i < s.length() && i - start < maxLength; i++) {
      state = pattern.step(state, s.charAt(i));
      if (state < 0) {
        break;
      }
      int end = i + 1;
      if (pattern.isAccept(state)
          && !(isWord(s.charAt(i)) && end < s.length() && isWord(s.charAt(end)))) {
        best = end;
      }
    }
    return best;
  }

  private boolean passesKeywords(String s, int start, int end) {
    if (detector.keywords().isEmpty()) {
      return true;
    }
    String window =
        s.substring(Math.max(0, start - CONTEXT_WINDOW), Math.min(s.length(), end + CONTEXT_WINDOW))
            .toLowerCase(Locale.ROOT);
    for (String k : detector.keywords()) {
      if (window.contains(bytes(k).toLowerCase(Locale.ROOT))) {
        return true;
      }
    }
    return false;
  }

  private boolean excluded(String value) {
    String normalized = normalize(value);
    for (String v : detector.excludeValues()) {
      if (normalize(bytes(v)).equals(normalized)) {
        return true;
      }
    }
    for (RunAutomaton a : excludes) {
      if (a.run(value)) {
        return true;
      }
    }
    return false;
  }

  private String normalize(String value) {
    switch (detector.normalization()) {
      case DIGITS:
        return value.replaceAll("[^0-9]", "");
      case LOWERCASE:
        return value.toLowerCase(Locale.ROOT);
      case ALPHANUMERIC:
        return value.replaceAll("[^A-Za-z0-9]", "").toUpperCase(Locale.ROOT);
      default:
        return value;
    }
  }

  static double entropy(String value) {
    int[] counts = new int[256];
    for (int i = 0; i < value.length(); i++) {
      counts[value.charAt(i) & 0xff]++;
    }
    double h = 0;
    for (int c : counts) {
      if (c > 0) {
        double p = (double) c / value.length();
        h -= p * Math.log(p) / Math.log(2);
      }
    }
    return h;
  }

  private static boolean isWord(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
}
