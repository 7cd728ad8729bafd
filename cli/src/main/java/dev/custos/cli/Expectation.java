package dev.custos.cli;

import dev.custos.engine.ContentType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/**
 * What a policy test sample must yield: the exact number of findings per category (categories not
 * listed must have none) and optionally its content type. Read from {@code x.expect.yaml}:
 *
 * <pre>
 * categories: {us_ssn: 2, email: 1}
 * content_type: json        # optional; guessed from the sample otherwise
 * </pre>
 */
final class Expectation {
  static final String SUFFIX = ".expect.yaml";

  private final Map<String, Long> counts;
  private final @Nullable ContentType contentType;

  private Expectation(Map<String, Long> counts, @Nullable ContentType contentType) {
    this.counts = Collections.unmodifiableMap(counts);
    this.contentType = contentType;
  }

  /** Returns the expected finding count per category, sorted by category. */
  Map<String, Long> counts() {
    return counts;
  }

  @Nullable ContentType contentType() {
    return contentType;
  }

  /**
   * Reads and checks an expectation file.
   *
   * @param categories the categories the policy can find; others are refused as likely typos
   * @throws CliException naming the file, line and column of the first problem
   */
  static Expectation read(Path file, Set<String> categories) {
    String name = file.toString();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CliException(Messages.of(e), e);
    }
    Optional<Node> root;
    try {
      root = new Compose(LoadSettings.builder().setLabel(name).build()).composeString(text);
    } catch (MarkedYamlEngineException e) {
      throw new CliException(at(name, e.getProblemMark().orElse(null)) + e.getProblem() + " (expected: YAML)", e);
    } catch (YamlEngineException e) {
      throw new CliException(name + ": " + Main.oneLine(e.getMessage()) + " (expected: YAML)", e);
    }
    if (root.isEmpty()) {
      throw new CliException(name + ": empty file (expected: a mapping with 'categories')");
    }
    MappingNode top = mapping(name, root.get(), "a mapping with 'categories' and optionally 'content_type'");
    Map<String, Long> counts = null;
    ContentType contentType = null;
    Set<String> seen = new java.util.HashSet<>();
    for (NodeTuple entry : top.getValue()) {
      String key = scalar(name, entry.getKeyNode(), "a key").getValue();
      if (!seen.add(key)) {
        throw new CliException(at(name, entry.getKeyNode()) + "duplicate key " + key);
      }
      switch (key) {
        case "categories":
          counts = counts(name, entry.getValueNode(), categories);
          break;
        case "content_type":
          ScalarNode value = scalar(name, entry.getValueNode(), "json, form, text or a MIME type");
          try {
            contentType = ContentType.of(value.getValue());
          } catch (IllegalArgumentException e) {
            throw new CliException(at(name, value) + e.getMessage());
          }
          break;
        default:
          throw new CliException(
              at(name, entry.getKeyNode()) + "unknown key " + key + " (expected: categories or content_type)");
      }
    }
    if (counts == null) {
      throw new CliException(at(name, top) + "missing key categories (expected: a mapping of category to count, {} for none)");
    }
    return new Expectation(counts, contentType);
  }

  private static Map<String, Long> counts(String name, Node node, Set<String> categories) {
    MappingNode mapping = mapping(name, node, "a mapping of category to count, {} for none");
    Map<String, Long> counts = new TreeMap<>();
    for (NodeTuple entry : mapping.getValue()) {
      ScalarNode key = scalar(name, entry.getKeyNode(), "a category id");
      String category = key.getValue();
      if (!categories.contains(category)) {
        throw new CliException(
            at(name, key) + "unknown category " + category + " (expected: a category the policy detects; see 'custos detectors')");
      }
      ScalarNode value = scalar(name, entry.getValueNode(), "a count (0 or more)");
      long count;
      try {
        count = value.getValue().matches("[0-9]{1,18}") ? Long.parseLong(value.getValue()) : -1;
      } catch (NumberFormatException e) {
        count = -1;
      }
      if (count < 0) {
        throw new CliException(at(name, value) + category + ": " + value.getValue() + " (expected: a count, 0 or more)");
      }
      if (counts.put(category, count) != null) {
        throw new CliException(at(name, key) + "duplicate category " + category);
      }
    }
    return counts;
  }

  private static MappingNode mapping(String name, Node node, String expected) {
    if (node instanceof MappingNode) {
      return (MappingNode) node;
    }
    throw new CliException(at(name, node) + "found " + kind(node) + " (expected: " + expected + ")");
  }

  private static ScalarNode scalar(String name, Node node, String expected) {
    if (node instanceof ScalarNode) {
      return (ScalarNode) node;
    }
    throw new CliException(at(name, node) + "found " + kind(node) + " (expected: " + expected + ")");
  }

  private static String kind(Node node) {
    switch (node.getNodeType()) {
      case MAPPING:
        return "a mapping";
      case SEQUENCE:
        return "a list";
      default:
        String v = ((ScalarNode) node).getValue();
        return v.isEmpty() ? "nothing" : "a scalar";
    }
  }

  private static String at(String name, Node node) {
    return at(name, node.getStartMark().orElse(null));
  }

  private static String at(String name, @Nullable Mark mark) {
    return mark == null ? name + ": " : name + ":" + (mark.getLine() + 1) + ":" + (mark.getColumn() + 1) + ": ";
  }
}
