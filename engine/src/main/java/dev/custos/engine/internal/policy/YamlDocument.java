package dev.custos.engine.internal.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custos.engine.config.ConfigDocument;
import dev.custos.engine.config.ConfigException;
import dev.custos.engine.config.ConfigProblem;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * A policy document: a {@link ConfigDocument} whose root is named {@code policy}, with the
 * policy reader's view of entries and problems. The YAML rules are those of {@link
 * ConfigDocument}.
 */
final class YamlDocument {
  /** Deeper nesting than any policy needs; checked before composing, which recurses. */
  static final int MAX_DEPTH = ConfigDocument.MAX_DEPTH;

  /** The YAML node at a JSON pointer, its mapping key (if any) and a readable path. */
  record Entry(Node node, @Nullable Node key, String path) {}

  private final ConfigDocument doc;

  private YamlDocument(ConfigDocument doc) {
    this.doc = doc;
  }

  /**
   * Parses one YAML document.
   *
   * @return the document, or {@code null} if the text holds no document or only a null
   * @throws ProblemsException for YAML syntax errors and refused YAML features
   */
  static @Nullable YamlDocument parse(String text, String sourceName, int maxCodePoints) {
    try {
      ConfigDocument doc = ConfigDocument.parse(text, sourceName, "policy", maxCodePoints);
      return doc == null ? null : new YamlDocument(doc);
    } catch (ConfigException e) {
      throw new ProblemsException(problems(e.problems()));
    }
  }

  /** Converts shared config problems to the policy reader's problems. */
  static List<Problem> problems(List<ConfigProblem> problems) {
    List<Problem> out = new ArrayList<>(problems.size());
    for (ConfigProblem p : problems) {
      out.add(new Problem(p.line(), p.column(), p.text()));
    }
    return out;
  }

  /** Returns the shared document. */
  ConfigDocument document() {
    return doc;
  }

  /** Returns the document as a Jackson tree. */
  JsonNode root() {
    return doc.root();
  }

  /** Returns the entry at a JSON pointer, or the nearest entry above it. */
  Entry entry(String pointer) {
    ConfigDocument.Entry e = doc.entry(pointer);
    return new Entry(e.node(), e.key(), e.path());
  }

  /** See {@link ConfigDocument#columnOffset}. */
  int columnOffset(Node node, int index) {
    return doc.columnOffset(node, index);
  }

  /** Returns whether a node exists at exactly this pointer. */
  boolean has(String pointer) {
    return doc.has(pointer);
  }

  /** Escapes one JSON pointer segment. */
  static String escape(String segment) {
    return ConfigDocument.escape(segment);
  }

  /** Returns the 1-based line of a node's start. */
  static int line(Node node) {
    return ConfigDocument.line(node);
  }

  /** Returns the 1-based column of a node's start. */
  static int column(Node node) {
    return ConfigDocument.column(node);
  }

  /** Returns a readable path, {@code policy} for the root. */
  static String displayPath(String path) {
    return path.isEmpty() ? "policy" : path;
  }
}
