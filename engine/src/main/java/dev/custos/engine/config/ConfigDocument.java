package dev.custos.engine.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import static java.util.Objects.requireNonNull;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.common.Anchor;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.NodeEvent;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * One YAML document turned into a Jackson tree, with the YAML node (and its key) behind every
 * JSON pointer so that problems can be reported at a line and column. Immutable and thread-safe
 * once parsed; validate it with a {@link SchemaValidator}.
 *
 * <p>Scalars are typed by the YAML 1.2 core schema; quoted scalars are always strings. Duplicate
 * keys, several documents, anchors and aliases, and explicit custom tags are refused. Anchors
 * and aliases are refused rather than expanded: policies are small, and expanding aliases both
 * invites "billion laughs" inputs and gives one value several positions.
 */
public final class ConfigDocument {
  /** Deeper nesting than any configuration needs; checked before composing, which recurses. */
  public static final int MAX_DEPTH = 64;

  /**
   * The YAML node at a JSON pointer, its mapping key (if any) and a readable path such as {@code
   * routes[0].match}.
   */
  public record Entry(Node node, @Nullable Node key, String path) {
    /** Returns the 1-based line where the node starts. */
    public int line() {
      return ConfigDocument.line(node);
    }

    /** Returns the 1-based column where the node starts. */
    public int column() {
      return ConfigDocument.column(node);
    }
  }

  private final String text;
  private final String sourceName;
  private final String rootName;
  private final JsonNode root;
  private final Map<String, Entry> entries;

  private ConfigDocument(String text, String sourceName, String rootName, JsonNode root,
      Map<String, Entry> entries) {
    this.text = text;
    this.sourceName = sourceName;
    this.rootName = rootName;
    this.root = root;
    this.entries = entries;
  }

  /**
   * Parses one YAML document.
   *
   * @param sourceName the name used in error messages, such as a file name
   * @param rootName how problems name the whole document, such as {@code policy}
   * @param maxCodePoints the longest text accepted
   * @return the document, or {@code null} if the text holds no document or only a null
   * @throws ConfigException for YAML syntax errors and refused YAML features
   */
  public static @Nullable ConfigDocument parse(String text, String sourceName, String rootName,
      int maxCodePoints) {
    requireNonNull(text, "text");
    requireNonNull(sourceName, "sourceName");
    requireNonNull(rootName, "rootName");
    LoadSettings settings =
        LoadSettings.builder()
            .setLabel(sourceName)
            .setSchema(new CoreSchema())
            .setCodePointLimit(maxCodePoints)
            .setAllowDuplicateKeys(false)
            .setAllowNonScalarKeys(true)
            .build();
    try {
      checkEvents(settings, text, rootName);
      Optional<Node> node = new Compose(settings).composeString(text);
      if (node.isEmpty() || node.get().getTag().equals(Tag.NULL)) {
        return null;
      }
      Converter converter = new Converter(rootName);
      JsonNode root = converter.convert(node.get(), "", "", null);
      if (!converter.problems.isEmpty()) {
        throw new ConfigException(sourceName, converter.problems);
      }
      return new ConfigDocument(text, sourceName, rootName, root, Map.copyOf(converter.entries));
    } catch (ProblemList e) {
      throw new ConfigException(sourceName, e.problems);
    } catch (MarkedYamlEngineException e) {
      throw new ConfigException(sourceName, List.of(syntaxProblem(e)));
    } catch (YamlEngineException e) {
      throw new ConfigException(sourceName,
          List.of(new ConfigProblem(0, 0, "not valid YAML (expected: a YAML document)")));
    }
  }

  /** Returns the name used in error messages, such as a file name. */
  public String sourceName() {
    return sourceName;
  }

  /** Returns the text the document was parsed from. */
  public String text() {
    return text;
  }

  /** Returns the document as a Jackson tree; do not modify it. */
  public JsonNode root() {
    return root;
  }

  /** Returns the entry at a JSON pointer, or the nearest entry above it. */
  public Entry entry(String pointer) {
    String p = pointer;
    while (true) {
      Entry e = entries.get(p);
      if (e != null) {
        return e;
      }
      int slash = p.lastIndexOf('/');
      p = slash <= 0 ? "" : p.substring(0, slash);
      if (p.isEmpty()) {
        return entries.get("");
      }
    }
  }

  /**
   * Returns how many columns after a one-line scalar's start its value's character at {@code
   * index} is written, undoing quoting and escapes; 0 when that cannot be told (block scalars,
   * scalars over several lines).
   */
  public int columnOffset(Node node, int index) {
    if (!(node instanceof ScalarNode) || node.getStartMark().isEmpty()
        || node.getEndMark().isEmpty()) {
      return 0;
    }
    Mark start = node.getStartMark().get();
    if (start.getLine() != node.getEndMark().get().getLine()) {
      return 0;
    }
    ScalarStyle style = ((ScalarNode) node).getScalarStyle();
    String line = text.lines().skip(start.getLine()).findFirst().orElse("");
    int begin = line.offsetByCodePoints(0, Math.min(start.getColumn(), line.codePointCount(0,
        line.length())));
    int p = begin;
    int decoded = 0;
    switch (style) {
      case PLAIN:
        break;
      case SINGLE_QUOTED:
      case DOUBLE_QUOTED:
        p++;
        break;
      default:
        return 0;
    }
    while (decoded < index && p < line.length()) {
      char c = line.charAt(p);
      if (style == ScalarStyle.SINGLE_QUOTED && c == '\'' && p + 1 < line.length()
          && line.charAt(p + 1) == '\'') {
        p += 2;
      } else if (style == ScalarStyle.DOUBLE_QUOTED && c == '\\' && p + 1 < line.length()) {
        char e = line.charAt(p + 1);
        p += e == 'x' ? 4 : e == 'u' ? 6 : e == 'U' ? 10 : 2;
        decoded += e == 'U' ? 1 : 0;
      } else {
        p++;
      }
      decoded++;
    }
    p = Math.min(p, line.length());
    return line.codePointCount(begin, p);
  }

  /** Returns whether a node exists at exactly this pointer. */
  public boolean has(String pointer) {
    return entries.containsKey(pointer);
  }

  /** Escapes one JSON pointer segment. */
  public static String escape(String segment) {
    return segment.replace("~", "~0").replace("/", "~1");
  }

  /** Returns the 1-based line of a node's start. */
  public static int line(Node node) {
    return node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
  }

  /** Returns the 1-based column of a node's start. */
  public static int column(Node node) {
    return node.getStartMark().map(m -> m.getColumn() + 1).orElse(0);
  }

  /**
   * Walks the parse events before composing: refuses a second document, anchors and aliases, and
   * nesting deeper than {@link #MAX_DEPTH} (the composer recurses once per level).
   */
  private static void checkEvents(LoadSettings settings, String text, String rootName) {
    int depth = 0;
    int documents = 0;
    List<ConfigProblem> problems = new ArrayList<>();
    for (Event event : new Parse(settings).parseString(text)) {
      switch (event.getEventId()) {
        case DocumentStart:
          documents++;
          if (documents > 1) {
            problems.add(at(event.getStartMark(),
                "a second YAML document (expected: one document per " + rootName + ")"));
            throw new ProblemList(problems);
          }
          break;
        case Alias:
          problems.add(at(event.getStartMark(),
              "an alias (expected: no anchors or aliases; repeat the value instead)"));
          break;
        case MappingStart:
        case SequenceStart:
          depth++;
          if (depth > MAX_DEPTH) {
            problems.add(at(event.getStartMark(),
                "nesting deeper than " + MAX_DEPTH + " levels (expected: a " + rootName + " document)"));
            throw new ProblemList(problems);
          }
          checkAnchor((NodeEvent) event, problems);
          break;
        case Scalar:
          checkAnchor((NodeEvent) event, problems);
          break;
        case MappingEnd:
        case SequenceEnd:
          depth--;
          break;
        default:
          break;
      }
    }
    if (!problems.isEmpty()) {
      throw new ProblemList(problems);
    }
  }

  /** Carries problems out of the event walk to {@link #parse}, which reports them. */
  private static final class ProblemList extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient List<ConfigProblem> problems;

    ProblemList(List<ConfigProblem> problems) {
      super(null, null, false, false);
      this.problems = problems;
    }
  }

  private static void checkAnchor(NodeEvent event, List<ConfigProblem> problems) {
    Optional<Anchor> anchor = event.getAnchor();
    if (anchor.isPresent()) {
      problems.add(at(event.getStartMark(),
          "an anchor '&" + anchor.get().getValue()
              + "' (expected: no anchors or aliases; repeat the value instead)"));
    }
  }

  private static ConfigProblem at(Optional<Mark> mark, String text) {
    return new ConfigProblem(
        mark.map(m -> m.getLine() + 1).orElse(0), mark.map(m -> m.getColumn() + 1).orElse(0), text);
  }

  /**
   * Turns a snakeyaml error into a problem at its mark. Uses the problem and context words only,
   * never the snippet of the source line, which may hold a sensitive value.
   */
  private static ConfigProblem syntaxProblem(MarkedYamlEngineException e) {
    Optional<Mark> mark = e.getProblemMark().isPresent() ? e.getProblemMark() : e.getContextMark();
    String problem = e.getProblem() == null ? "" : e.getProblem().trim();
    String text;
    if (problem.contains("\\t") || problem.contains("\t")) {
      text = "a tab character (expected: spaces for indentation)";
    } else {
      String context = e.getContext() == null ? "" : e.getContext().trim();
      text = "YAML syntax: " + (context.isEmpty() ? "" : context + ", ") + problem
          + " (expected: valid YAML)";
    }
    return at(mark, text);
  }

  /** Converts YAML nodes to Jackson nodes, recording entries and collecting problems. */
  private static final class Converter {
    private final JsonNodeFactory factory = JsonNodeFactory.instance;
    private final Map<String, Entry> entries = new HashMap<>();
    private final List<ConfigProblem> problems = new ArrayList<>();
    private final String rootName;

    Converter(String rootName) {
      this.rootName = rootName;
    }

    private String displayPath(String path) {
      return ConfigDocument.displayPath(path, rootName);
    }

    JsonNode convert(Node node, String pointer, String path, @Nullable Node key) {
      entries.put(pointer, new Entry(node, key, path));
      switch (node.getNodeType()) {
        case MAPPING:
          return mapping((MappingNode) node, pointer, path);
        case SEQUENCE:
          return sequence((SequenceNode) node, pointer, path);
        case SCALAR:
          return scalar((ScalarNode) node, path);
        default:
          problems.add(new ConfigProblem(line(node), column(node), displayPath(path)
              + ": an unsupported YAML node (expected: a mapping, list or value)"));
          return factory.nullNode();
      }
    }

    private JsonNode mapping(MappingNode node, String pointer, String path) {
      checkTag(node, Tag.MAP, path);
      ObjectNode object = factory.objectNode();
      Map<String, Node> seen = new LinkedHashMap<>();
      for (NodeTuple tuple : node.getValue()) {
        Node keyNode = tuple.getKeyNode();
        if (!(keyNode instanceof ScalarNode)) {
          problems.add(new ConfigProblem(line(keyNode), column(keyNode), displayPath(path)
              + ": a key that is a mapping or list (expected: a plain key)"));
          continue;
        }
        String key = ((ScalarNode) keyNode).getValue();
        Node first = seen.putIfAbsent(key, keyNode);
        if (first != null) {
          problems.add(new ConfigProblem(line(keyNode), column(keyNode), "duplicate key '" + key
              + "' (expected: each key once; first at line " + line(first) + ", column "
              + column(first) + ")"));
          continue;
        }
        String childPath = path.isEmpty() ? key : path + "." + key;
        object.set(key, convert(tuple.getValueNode(), pointer + "/" + escape(key), childPath,
            keyNode));
      }
      return object;
    }

    private JsonNode sequence(SequenceNode node, String pointer, String path) {
      checkTag(node, Tag.SEQ, path);
      ArrayNode array = factory.arrayNode();
      List<Node> items = node.getValue();
      for (int i = 0; i < items.size(); i++) {
        array.add(convert(items.get(i), pointer + "/" + i, path + "[" + i + "]", null));
      }
      return array;
    }

    private void checkTag(Node node, Tag expected, String path) {
      if (!node.getTag().equals(expected)) {
        problems.add(new ConfigProblem(line(node), column(node), displayPath(path) + ": tag "
            + node.getTag().getValue() + " (expected: no explicit tag)"));
      }
    }

    /** Types a scalar; its value is never put in a problem, since it may be sensitive. */
    private JsonNode scalar(ScalarNode node, String path) {
      Tag tag = node.getTag();
      String value = node.getValue();
      try {
        if (tag.equals(Tag.STR)) {
          return factory.textNode(value);
        } else if (tag.equals(Tag.NULL)) {
          return factory.nullNode();
        } else if (tag.equals(Tag.BOOL)) {
          String v = value.toLowerCase(java.util.Locale.ROOT);
          if (!v.equals("true") && !v.equals("false")) {
            throw new NumberFormatException();
          }
          return factory.booleanNode(v.equals("true"));
        } else if (tag.equals(Tag.INT)) {
          return integer(value);
        } else if (tag.equals(Tag.FLOAT)) {
          return floating(value, node, path);
        }
      } catch (NumberFormatException e) {
        problems.add(new ConfigProblem(line(node), column(node), displayPath(path)
            + ": a value that does not fit its tag " + tag.getValue()
            + " (expected: a value of that type)"));
        return factory.nullNode();
      }
      problems.add(new ConfigProblem(line(node), column(node), displayPath(path) + ": tag "
          + tag.getValue() + " (expected: no explicit tag, or a core schema tag)"));
      return factory.nullNode();
    }

    private JsonNode integer(String value) {
      String v = value;
      boolean negative = false;
      if (v.startsWith("-") || v.startsWith("+")) {
        negative = v.startsWith("-");
        v = v.substring(1);
      }
      BigInteger n;
      if (v.startsWith("0o")) {
        n = new BigInteger(v.substring(2), 8);
      } else if (v.startsWith("0x")) {
        n = new BigInteger(v.substring(2), 16);
      } else {
        n = new BigInteger(v, 10);
      }
      if (negative) {
        n = n.negate();
      }
      if (n.bitLength() < 32) {
        return factory.numberNode(n.intValue());
      } else if (n.bitLength() < 64) {
        return factory.numberNode(n.longValue());
      }
      return factory.numberNode(n);
    }

    private JsonNode floating(String value, ScalarNode node, String path) {
      String v = value.toLowerCase(java.util.Locale.ROOT);
      if (v.endsWith(".inf") || v.equals(".nan")) {
        problems.add(new ConfigProblem(line(node), column(node), displayPath(path)
            + ": an infinite or not-a-number value (expected: a finite number)"));
        return factory.nullNode();
      }
      return factory.numberNode(Double.parseDouble(value));
    }
  }

  /** Returns a readable path, the root name for the root. */
  public String displayPath(String path) {
    return displayPath(path, rootName);
  }

  private static String displayPath(String path, String rootName) {
    return path.isEmpty() ? rootName : path;
  }
}
