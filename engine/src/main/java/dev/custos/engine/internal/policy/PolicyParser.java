package dev.custos.engine.internal.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custos.engine.Confidence;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.Policy;
import dev.custos.engine.PolicyException;
import dev.custos.engine.internal.detect.BuiltinDetectors;
import dev.custos.engine.internal.pattern.PatternException;
import dev.custos.engine.internal.pattern.PatternParser;
import dev.custos.engine.internal.validate.Validators;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Parses policy YAML, validated against {@code policy.schema.json}, into a {@link Policy}.
 *
 * <p>Reading goes in three steps, each reporting every problem it finds with its line and column:
 * YAML (syntax, duplicate keys, one document, no anchors or aliases), the JSON Schema (shape,
 * types, unknown keys), then meaning (patterns parse, validators and disabled ids exist, detector
 * ids are unique). The {@link PolicyException} points at the first problem by position and lists
 * all of them, one per line. Messages never echo the values of {@code exclude}. Thread-safe.
 */
public final class PolicyParser {
  /** The largest policy accepted, in bytes (and in characters for text). */
  static final int MAX_BYTES = 4 * 1024 * 1024;

  private static final int MAX_REPORTED = 50;

  private PolicyParser() {}

  /**
   * Reads and parses a UTF-8 policy file of at most 4 MiB; the path as given names it in messages.
   *
   * @throws PolicyException if the file cannot be read or the policy is not valid
   */
  public static Policy parse(Path file) {
    String source = file.toString();
    byte[] bytes;
    try {
      if (Files.isDirectory(file)) {
        throw new PolicyException(source, 0, 0, "a directory (expected: a policy file)");
      }
      try (InputStream in = Files.newInputStream(file)) {
        bytes = in.readNBytes(MAX_BYTES + 1);
      }
    } catch (NoSuchFileException e) {
      throw new PolicyException(source, "no such file (expected: a readable policy file)", e);
    } catch (AccessDeniedException e) {
      throw new PolicyException(source, "permission denied (expected: a readable policy file)", e);
    } catch (IOException e) {
      throw new PolicyException(
          source, "cannot read: " + e.getClass().getSimpleName()
              + " (expected: a readable policy file)", e);
    }
    if (bytes.length > MAX_BYTES) {
      throw new PolicyException(source, 0, 0,
          "larger than " + MAX_BYTES + " bytes (expected: a policy of at most 4 MiB)");
    }
    return parse(decodeUtf8(bytes, source), source);
  }

  /**
   * Parses policy text.
   *
   * @param sourceName the name used in error messages, such as a file name
   * @throws PolicyException if the policy is not valid
   */
  public static Policy parse(String yaml, String sourceName) {
    if (yaml.length() > MAX_BYTES) {
      throw new PolicyException(sourceName, 0, 0,
          "longer than " + MAX_BYTES + " characters (expected: a policy of at most 4 MiB)");
    }
    String text = yaml.startsWith("\uFEFF") ? yaml.substring(1) : yaml;
    try {
      YamlDocument doc = YamlDocument.parse(text, sourceName, MAX_BYTES + 1);
      if (doc == null) {
        throw new PolicyException(
            sourceName, 1, 1, "empty policy (expected: a mapping with version: 1)");
      }
      List<Problem> problems = PolicySchema.get().validate(doc);
      if (!problems.isEmpty()) {
        throw new ProblemsException(problems);
      }
      return new Reader(doc, sourceName).read();
    } catch (ProblemsException e) {
      throw report(sourceName, e.problems());
    }
  }

  /** Returns one exception at the first problem by position, listing all problems. */
  private static PolicyException report(String source, List<Problem> problems) {
    List<Problem> sorted = new ArrayList<>(problems);
    sorted.sort(Problem.BY_POSITION);
    Problem first = sorted.get(0);
    StringBuilder text = new StringBuilder(first.text());
    int shown = Math.min(sorted.size(), MAX_REPORTED);
    for (int i = 1; i < shown; i++) {
      Problem p = sorted.get(i);
      text.append('\n').append(source);
      if (p.line() > 0) {
        text.append(':').append(p.line()).append(':').append(p.column());
      }
      text.append(": ").append(p.text());
    }
    if (sorted.size() > shown) {
      text.append('\n').append(source).append(": ").append(sorted.size() - shown)
          .append(" more problems");
    }
    return new PolicyException(source, first.line(), first.column(), text.toString());
  }

  /** Decodes strict UTF-8, reporting the line and column of the first bad byte. */
  private static String decodeUtf8(byte[] bytes, String source) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    out.flip();
    if (result.isError()) {
      int line = 1;
      int column = 1;
      for (int i = 0; i < out.length(); i++) {
        if (out.charAt(i) == '\n') {
          line++;
          column = 1;
        } else if (!Character.isLowSurrogate(out.charAt(i))) {
          column++;
        }
      }
      throw new PolicyException(source, line, column,
          "a byte sequence that is not UTF-8 (expected: a UTF-8 text file)");
    }
    return out.toString();
  }

  /** Builds the policy from a schema-valid document, checking what the schema cannot. */
  private static final class Reader {
    private final YamlDocument doc;
    private final String source;
    private final List<Problem> problems = new ArrayList<>();
    private final Map<String, Node> detectorIds = new HashMap<>();

    Reader(YamlDocument doc, String source) {
      this.doc = doc;
      this.source = source;
    }

    Policy read() {
      Policy.Builder builder = Policy.builder().sourceName(source);
      JsonNode root = doc.root();
      Iterator<Map.Entry<String, JsonNode>> categories = root.path("categories").properties().iterator();
      while (categories.hasNext()) {
        Map.Entry<String, JsonNode> c = categories.next();
        String pointer = "/categories/" + YamlDocument.escape(c.getKey()) + "/detectors";
        JsonNode detectors = c.getValue().path("detectors");
        for (int i = 0; i < detectors.size(); i++) {
          DetectorDefinition d = detector(c.getKey(), i, detectors.get(i), pointer + "/" + i);
          if (d != null) {
            builder.detector(d);
          }
        }
      }
      JsonNode disable = root.path("disable");
      Set<String> builtinCategories = new TreeSet<>();
      for (DetectorDefinition d : BuiltinDetectors.all()) {
        builtinCategories.add(d.category());
      }
      for (int i = 0; i < disable.size(); i++) {
        String name = disable.get(i).asText();
        if (!builtinCategories.contains(name) && BuiltinDetectors.byId(name) == null) {
          add("/disable/" + i, "disable[" + i + "]: '" + name
              + "' (expected: a built-in category (" + String.join(", ", builtinCategories)
              + ") or built-in detector id)");
        }
        builder.disable(name);
      }
      if (!problems.isEmpty()) {
        throw new ProblemsException(problems);
      }
      try {
        return builder.build();
      } catch (IllegalArgumentException e) {
        String pointer = doc.has("/disable") ? "/disable" : "";
        add(pointer, e.getMessage());
        throw new ProblemsException(problems);
      }
    }

    private @Nullable DetectorDefinition detector(String category, int index, JsonNode d, String pointer) {
      String id = d.has("id") ? d.get("id").asText() : category + "." + (index + 1);
      String idPointer = d.has("id") ? pointer + "/id" : pointer;
      Node idNode = doc.entry(idPointer).node();
      Node first = detectorIds.putIfAbsent(id, idNode);
      if (first != null) {
        add(idPointer, "detector id '" + id + "' used twice (expected: unique ids; first at line "
            + YamlDocument.line(first) + ", column " + YamlDocument.column(first) + ")");
      } else if (BuiltinDetectors.byId(id) != null) {
        add(idPointer, "detector id '" + id
            + "' is a built-in detector id (expected: a unique id)");
      }
      String regex = d.get("regex").asText();
      checkPattern(pointer + "/regex", regex);
      JsonNode excludePatterns = d.path("exclude_patterns");
      for (int i = 0; i < excludePatterns.size(); i++) {
        checkPattern(pointer + "/exclude_patterns/" + i, excludePatterns.get(i).asText());
      }
      @Nullable String validator = d.has("validator") ? d.get("validator").asText() : null;
      if (validator != null && Validators.byName(validator) == null) {
        add(pointer + "/validator", doc.entry(pointer + "/validator").path() + ": '" + validator
            + "' (expected one of: " + String.join(", ", Validators.names()) + ")");
      }
      try {
        DetectorDefinition.Builder b = DetectorDefinition.builder(id, category, regex)
            .description(doc.root().path("categories").path(category).path("description")
                .asText(""))
            .keywords(strings(d.path("keywords")))
            .validator(validator)
            .context(strings(d.path("context")))
            .excludeValues(strings(d.path("exclude")))
            .excludePatterns(strings(excludePatterns));
        if (d.has("min_entropy")) {
          b.minEntropy(d.get("min_entropy").asDouble());
        }
        if (d.has("confidence")) {
          b.confidence(Confidence.ofId(d.get("confidence").asText()));
        }
        if (d.has("max_length")) {
          b.maxLength(d.get("max_length").asInt());
        }
        if (d.has("normalize")) {
          b.normalization(DetectorDefinition.Normalization.valueOf(
              d.get("normalize").asText().toUpperCase(Locale.ROOT)));
        }
        return b.build();
      } catch (IllegalArgumentException e) {
        // The schema rules these out; kept so a drift between schema and model is still located.
        add(pointer, doc.entry(pointer).path() + ": " + e.getMessage());
        return null;
      }
    }

    /** Checks a pattern, pointing the column at the offending character where it can. */
    private void checkPattern(String pointer, String pattern) {
      try {
        PatternParser.parse(pattern);
      } catch (PatternException e) {
        YamlDocument.Entry entry = doc.entry(pointer);
        Node node = entry.node();
        problems.add(new Problem(YamlDocument.line(node),
            YamlDocument.column(node) + doc.columnOffset(node, e.index()),
            entry.path() + ": " + e.getMessage()
                + " (expected: Custos pattern syntax, a linear-time subset of RE2)"));
      }
    }

    private static List<String> strings(JsonNode array) {
      List<String> out = new ArrayList<>();
      for (JsonNode n : array) {
        out.add(n.asText());
      }
      return out;
    }

    private void add(String pointer, String text) {
      Node node = doc.entry(pointer).node();
      problems.add(new Problem(YamlDocument.line(node), YamlDocument.column(node), text));
    }
  }
}
