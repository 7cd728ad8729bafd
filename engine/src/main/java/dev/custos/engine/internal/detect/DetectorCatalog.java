package dev.custos.engine.internal.detect;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.Confidence;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.DetectorDefinition.Normalization;
import dev.custos.engine.internal.pattern.PatternException;
import dev.custos.engine.internal.pattern.PatternNode;
import dev.custos.engine.internal.pattern.PatternParser;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * A parsed detector catalog: ordered categories (id to description) and detectors. Parsing is
 * strict: unknown keys, wrong types, undeclared categories, duplicate ids, patterns outside the
 * Custos syntax and unbounded patterns without {@code max_length} are refused with a message that
 * names the source and the detector.
 */
record DetectorCatalog(Map<String, String> categories, List<DetectorDefinition> detectors) {

  private static final Set<String> TOP_KEYS = Set.of("categories", "detectors", "secret");
  private static final Set<String> DETECTOR_KEYS =
      Set.of(
          "id",
          "category",
          "description",
          "pattern",
          "keywords",
          "validator",
          "context",
          "exclude",
          "exclude_patterns",
          "min_entropy",
          "confidence",
          "max_length",
          "normalize",
          "examples",
          "counter_examples",
          "secret",
          "key_value");

  DetectorCatalog {
    categories = Collections.unmodifiableMap(new LinkedHashMap<>(categories));
    detectors = List.copyOf(detectors);
  }

  /**
   * Parses catalog YAML.
   *
   * @param source the name used in error messages
   * @throws IllegalArgumentException naming the source, the detector and what was expected
   */
  static DetectorCatalog parse(String yaml, String source) {
    requireNonNull(yaml, "yaml");
    requireNonNull(source, "source");
    return parseAll(Map.of(source, yaml));
  }

  /**
   * Parses several catalog files as one catalog, in the map's order. Each file may declare
   * categories and may use any category declared in any of the files; category and detector ids
   * are unique across all of them.
   *
   * @param yamlBySource each file's YAML text by the name used in error messages
   * @throws IllegalArgumentException naming the source, the detector and what was expected
   */
  static DetectorCatalog parseAll(Map<String, String> yamlBySource) {
    requireNonNull(yamlBySource, "yamlBySource");
    Map<String, Map<String, Object>> documents = new LinkedHashMap<>();
    Map<String, String> categories = new LinkedHashMap<>();
    Map<String, String> declaredIn = new LinkedHashMap<>();
    for (Map.Entry<String, String> file : yamlBySource.entrySet()) {
      String source = file.getKey();
      // The built-in files' trees were parsed at build time; any other text is parsed here.
      Object root = CatalogTrees.builtin().tree(file.getValue());
      if (root == null) {
        try {
          root = new Load(LoadSettings.builder().setLabel(source).build()).loadFromString(file.getValue());
        } catch (YamlEngineException e) {
          throw new IllegalArgumentException(source + ": invalid YAML: " + e.getMessage(), e);
        }
      }
      Map<String, Object> top = map(root, source, "document");
      checkKeys(top, TOP_KEYS, source, "document");
      documents.put(source, top);
      Object declared = top.get("categories");
      if (declared == null) {
        continue;
      }
      for (Map.Entry<String, Object> e : map(declared, source, "categories").entrySet()) {
        String description = string(e.getValue(), source, "categories." + e.getKey());
        if (!e.getKey().matches("[a-z][a-z0-9_]*")) {
          throw new IllegalArgumentException(
              source + ": category id: " + e.getKey() + " (expected: lower case letters, digits, _)");
        }
        String earlier = declaredIn.putIfAbsent(e.getKey(), source);
        if (earlier != null) {
          throw new IllegalArgumentException(
              source + ": category id: " + e.getKey() + " (expected: a unique id; also declared in "
                  + earlier + ")");
        }
        categories.put(e.getKey(), description);
      }
    }
    Map<String, DetectorDefinition> byId = new LinkedHashMap<>();
    for (Map.Entry<String, Map<String, Object>> document : documents.entrySet()) {
      String source = document.getKey();
      Object list = document.getValue().get("detectors");
      if (!(list instanceof List<?> items) || items.isEmpty()) {
        throw new IllegalArgumentException(source + ": detectors (expected: a non-empty list)");
      }
      boolean secretFile = flag(document.getValue().get("secret"), source, "secret", false);
      int index = 0;
      for (Object item : items) {
        String where = source + ": detectors[" + index++ + "]";
        Map<String, Object> m = map(item, where, "detector");
        Object rawId = m.get("id");
        if (rawId instanceof String s && !s.isEmpty()) {
          where = source + ": detector " + s;
        }
        DetectorDefinition d = detector(m, where, categories, secretFile);
        if (byId.putIfAbsent(d.id(), d) != null) {
          throw new IllegalArgumentException(where + ": id: " + d.id() + " (expected: a unique id)");
        }
      }
    }
    return new DetectorCatalog(categories, new ArrayList<>(byId.values()));
  }

  private static DetectorDefinition detector(
      Map<String, Object> m, String where, Map<String, String> categories, boolean secretFile) {
    checkKeys(m, DETECTOR_KEYS, where, "detector");
    String id = string(m.get("id"), where, "id");
    String category = string(m.get("category"), where, "category");
    if (!categories.containsKey(category)) {
      throw new IllegalArgumentException(
          where + ": category: " + category + " (expected: a category declared under categories)");
    }
    String pattern = string(m.get("pattern"), where, "pattern");
    PatternNode node = parsePattern(pattern, where, "pattern");
    int maxLength = integer(m.get("max_length"), where, "max_length", 0);
    if (node.maxLength() < 0 && maxLength == 0) {
      throw new IllegalArgumentException(
          where + ": max_length: missing (expected: a bound, since the pattern is unbounded)");
    }
    List<String> excludePatterns = strings(m.get("exclude_patterns"), where, "exclude_patterns");
    for (String p : excludePatterns) {
      parsePattern(p, where, "exclude_patterns");
    }
    List<String> examples = strings(m.get("examples"), where, "examples");
    List<String> counterExamples = strings(m.get("counter_examples"), where, "counter_examples");
    if (examples.isEmpty() || counterExamples.isEmpty()) {
      throw new IllegalArgumentException(
          where + ": examples and counter_examples (expected: at least one of each)");
    }
    Object validator = m.get("validator");
    DetectorDefinition.Builder b;
    try {
      b =
          DetectorDefinition.builder(id, category, pattern)
              .description(string(m.get("description"), where, "description"))
              .keywords(strings(m.get("keywords"), where, "keywords"))
              .validator(validator == null ? null : string(validator, where, "validator"))
              .context(strings(m.get("context"), where, "context"))
              .excludeValues(strings(m.get("exclude"), where, "exclude"))
              .excludePatterns(excludePatterns)
              .minEntropy(number(m.get("min_entropy"), where, "min_entropy"))
              .maxLength(maxLength)
              .examples(examples)
              .counterExamples(counterExamples);
      Object confidence = m.get("confidence");
      if (confidence != null) {
        b.confidence(Confidence.ofId(string(confidence, where, "confidence")));
      }
      Object normalize = m.get("normalize");
      if (normalize != null) {
        b.normalization(normalization(string(normalize, where, "normalize"), where));
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    b.secret(flag(m.get("secret"), where, "secret", secretFile));
    b.keyValue(flag(m.get("key_value"), where, "key_value", false));
    if (m.get("key_value") != null && b.build().keyValue() && b.build().keywords().isEmpty()) {
      throw new IllegalArgumentException(
          where + ": keywords: missing (expected: the key names a key_value detector looks for)");
    }
    return b.build();
  }

  private static boolean flag(@Nullable Object value, String where, String key, boolean absent) {
    if (value == null) {
      return absent;
    }
    if (!(value instanceof Boolean b)) {
      throw new IllegalArgumentException(
          where + ": " + key + ": " + describe(value) + " (expected: true or false)");
    }
    return b;
  }

  private static PatternNode parsePattern(String pattern, String where, String key) {
    try {
      return PatternParser.parse(pattern);
    } catch (PatternException e) {
      throw new IllegalArgumentException(where + ": " + key + ": " + e.getMessage(), e);
    }
  }

  private static Normalization normalization(String id, String where) {
    for (Normalization n : Normalization.values()) {
      if (n.id().equals(id)) {
        return n;
      }
    }
    throw new IllegalArgumentException(
        where + ": normalize: " + id + " (expected: exact, digits, lowercase or alphanumeric)");
  }

  private static void checkKeys(
      Map<String, Object> m, Set<String> allowed, String where, String what) {
    for (String key : m.keySet()) {
      if (!allowed.contains(key)) {
        throw new IllegalArgumentException(
            where + ": unknown key " + key + " in " + what
                + " (expected: one of " + sorted(allowed) + ")");
      }
    }
  }

  private static List<String> sorted(Set<String> keys) {
    List<String> list = new ArrayList<>(keys);
    Collections.sort(list);
    return list;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(@Nullable Object value, String where, String what) {
    if (!(value instanceof Map<?, ?> m)) {
      throw new IllegalArgumentException(where + ": " + what + " (expected: a mapping)");
    }
    for (Object key : m.keySet()) {
      if (!(key instanceof String)) {
        throw new IllegalArgumentException(where + ": key " + key + " (expected: a string key)");
      }
    }
    return (Map<String, Object>) m;
  }

  private static String string(@Nullable Object value, String where, String key) {
    if (!(value instanceof String s) || s.isEmpty()) {
      throw new IllegalArgumentException(
          where + ": " + key + ": " + describe(value) + " (expected: a non-empty string)");
    }
    return s;
  }

  private static List<String> strings(@Nullable Object value, String where, String key) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> list)) {
      throw new IllegalArgumentException(where + ": " + key + " (expected: a list of strings)");
    }
    List<String> out = new ArrayList<>(list.size());
    for (Object v : list) {
      // Numbers are refused rather than converted: an unquoted id would not round-trip.
      out.add(string(v, where, key + " element"));
    }
    return out;
  }

  private static int integer(@Nullable Object value, String where, String key, int absent) {
    if (value == null) {
      return absent;
    }
    if (!(value instanceof Integer i) || i < 1) {
      throw new IllegalArgumentException(
          where + ": " + key + ": " + describe(value) + " (expected: a positive integer)");
    }
    return i;
  }

  private static double number(@Nullable Object value, String where, String key) {
    if (value == null) {
      return 0;
    }
    if (!(value instanceof Number n)) {
      throw new IllegalArgumentException(
          where + ": " + key + ": " + describe(value) + " (expected: a number)");
    }
    return n.doubleValue();
  }

  private static String describe(@Nullable Object value) {
    if (value == null) {
      return "missing";
    }
    if (value instanceof String s) {
      return s.isEmpty() ? "empty" : s;
    }
    return value.getClass().getSimpleName().toLowerCase(Locale.ROOT);
  }
}
