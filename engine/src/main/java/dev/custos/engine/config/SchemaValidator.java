package dev.custos.engine.config;

import static java.util.Objects.requireNonNull;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * A JSON Schema (draft 2020-12) compiled once, and the rewriting of its validation messages into
 * "path: what was wrong (expected: what)" at a line and column of a {@link ConfigDocument}.
 * Immutable and thread-safe.
 *
 * <p>Messages use a schema object's {@code title} to name a mapping and its {@code properties}
 * to list the keys expected. Values under pointers matching the sensitive pattern are never
 * echoed, only their kind.
 */
public final class SchemaValidator {
  private static final int MAX_ECHO = 40;
  /** How a bound reads in a message, by its keyword. */
  private static final Map<String, String> BOUNDS = Map.of("minimum", "at least", "maximum",
      "at most", "exclusiveMinimum", "more than", "exclusiveMaximum", "less than");

  private final JsonNode schemaNode;
  private final JsonSchema schema;
  private final Pattern sensitive;

  private SchemaValidator(JsonNode schemaNode, JsonSchema schema, Pattern sensitive) {
    this.schemaNode = schemaNode;
    this.schema = schema;
    this.sensitive = sensitive;
  }

  /**
   * Returns a validator for a schema.
   *
   * @param schemaJson the schema, a draft 2020-12 JSON Schema
   * @param sensitivePointers JSON pointers whose values are never echoed in a message
   */
  public static SchemaValidator of(JsonNode schemaJson, Pattern sensitivePointers) {
    requireNonNull(schemaJson, "schemaJson");
    requireNonNull(sensitivePointers, "sensitivePointers");
    SchemaValidatorsConfig config =
        SchemaValidatorsConfig.builder().pathType(PathType.JSON_POINTER).locale(Locale.ROOT).build();
    JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
        .getSchema(schemaJson, config);
    schema.initializeValidators();
    return new SchemaValidator(schemaJson, schema, sensitivePointers);
  }

  /**
   * Reads a schema's JSON from a class loader's resources.
   *
   * @throws IllegalStateException if the resource is missing
   * @throws UncheckedIOException if it cannot be read or is not JSON
   */
  public static JsonNode readSchemaJson(ClassLoader loader, String resource) {
    requireNonNull(loader, "loader");
    requireNonNull(resource, "resource");
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  /** Returns the schema's JSON; do not modify it. */
  public JsonNode schemaJson() {
    return schemaNode;
  }

  /** Validates a document; returns its problems, in no particular order. */
  public List<ConfigProblem> validate(ConfigDocument doc) {
    requireNonNull(doc, "doc");
    List<ConfigProblem> problems = new ArrayList<>();
    for (ValidationMessage m : schema.validate(doc.root())) {
      problems.add(problem(doc, m));
    }
    return problems;
  }

  private ConfigProblem problem(ConfigDocument doc, ValidationMessage m) {
    String pointer = pointer(m.getInstanceLocation());
    ConfigDocument.Entry entry = doc.entry(pointer);
    String path = doc.displayPath(entry.path());
    JsonNode value = m.getInstanceNode();
    JsonNode keyword = m.getSchemaNode();
    String type = m.getType() == null ? "" : m.getType();
    Node at = entry.node();
    String text;
    switch (type) {
      case "additionalProperties": {
        String key = property(m);
        String keyPointer = pointer + "/" + ConfigDocument.escape(key);
        ConfigDocument.Entry keyEntry = doc.has(keyPointer) ? doc.entry(keyPointer) : null;
        if (keyEntry != null && keyEntry.key() != null) {
          at = keyEntry.key();
        }
        JsonNode parent = parentSchema(m);
        text = "unknown key '" + key + "' in " + title(parent)
            + " (expected one of: " + String.join(", ", propertyNames(parent)) + ")";
        break;
      }
      case "propertyNames": {
        String key = property(m);
        String keyPointer = pointer + "/" + ConfigDocument.escape(key);
        ConfigDocument.Entry keyEntry = doc.has(keyPointer) ? doc.entry(keyPointer) : null;
        if (keyEntry != null && keyEntry.key() != null) {
          at = keyEntry.key();
        }
        text = path + ": key '" + key + "' (expected: " + describeSchema(keyword) + ")";
        break;
      }
      case "required": {
        JsonNode parent = parentSchema(m);
        text = path + ": missing key '" + property(m) + "' in " + title(parent)
            + " (expected: required keys: " + join(keyword) + ")";
        break;
      }
      case "type":
        text = path + ": " + describe(pointer, value) + " (expected: " + typeName(keyword.asText())
            + (keyword.asText().equals("string") && value.isValueNode() && !value.isNull()
                ? "; quote values so YAML keeps them as text" : "")
            + ")";
        break;
      case "enum":
        text = path + ": " + render(pointer, value) + " (expected one of: " + join(keyword) + ")";
        break;
      case "const":
        text = path + ": " + render(pointer, value) + " (expected: " + keyword + ")";
        break;
      case "minimum":
      case "maximum":
      case "exclusiveMinimum":
      case "exclusiveMaximum":
        text = path + ": " + render(pointer, value) + " (expected: " + BOUNDS.get(type)
            + " " + keyword + ")";
        break;
      case "pattern":
        text = path + ": " + render(pointer, value) + " (expected: matching " + keyword.asText()
            + ")";
        break;
      case "minItems":
        text = path + ": " + value.size() + (value.size() == 1 ? " item" : " items")
            + " (expected: at least " + keyword + (keyword.asInt() == 1 ? " item)" : " items)");
        break;
      case "minLength":
        text = path + ": " + (value.asText().isEmpty() ? "an empty string" : "too short")
            + (keyword.asInt() == 1 ? " (expected: a non-empty string)"
                : " (expected: at least " + keyword + " characters)");
        break;
      case "maxLength":
        text = path + ": " + value.asText().length() + " characters (expected: at most "
            + keyword + ")";
        break;
      default:
        // Keywords without a rewrite above; networknt's wording, without the value for sensitive
        // paths (its messages can quote the instance).
        text = sensitive.matcher(pointer).matches()
            ? path + ": not allowed by the schema (expected: a value allowed by '" + type + "')"
            : path + ": " + stripPath(m.getMessage()) + " (expected: a value allowed by '" + type
                + "')";
        break;
    }
    return new ConfigProblem(ConfigDocument.line(at), ConfigDocument.column(at), text);
  }

  /** Returns the schema object holding the keyword that failed. */
  private JsonNode parentSchema(ValidationMessage m) {
    JsonNodePath fragment = m.getSchemaLocation().getFragment();
    String p = pointer(fragment);
    int slash = p.lastIndexOf('/');
    return slash < 0 ? schemaNode : schemaNode.at(p.substring(0, slash));
  }

  /** Returns the description of a schema object, following a local {@code $ref}. */
  private String describeSchema(JsonNode schemaObject) {
    JsonNode s = schemaObject;
    String ref = s.path("$ref").asText("");
    if (ref.startsWith("#")) {
      s = schemaNode.at(ref.substring(1));
    }
    String pattern = s.path("pattern").asText("");
    String description = s.path("description").asText("a valid key");
    if (description.endsWith(".")) {
      description = description.substring(0, description.length() - 1);
    }
    if (!description.isEmpty()) {
      description = Character.toLowerCase(description.charAt(0)) + description.substring(1);
    }
    return description + (pattern.isEmpty() ? "" : " (" + pattern + ")");
  }

  private static String title(JsonNode schemaObject) {
    return schemaObject.path("title").asText("mapping");
  }

  private static List<String> propertyNames(JsonNode schemaObject) {
    List<String> names = new ArrayList<>();
    Iterator<String> it = schemaObject.path("properties").fieldNames();
    it.forEachRemaining(names::add);
    return names;
  }

  private static String property(ValidationMessage m) {
    if (m.getProperty() != null) {
      return m.getProperty();
    }
    Object[] args = m.getArguments();
    return args != null && args.length > 0 ? String.valueOf(args[0]) : "?";
  }

  private static String join(JsonNode array) {
    List<String> items = new ArrayList<>();
    for (JsonNode n : array) {
      items.add(n.isTextual() ? n.asText() : n.toString());
    }
    return String.join(", ", items);
  }

  /** Returns "a string 'abc'", "an integer 3", "a list"; only the kind for sensitive values. */
  private String describe(String pointer, JsonNode value) {
    String kind = kind(value);
    if (!value.isValueNode() || value.isNull() || sensitive.matcher(pointer).matches()) {
      return kind;
    }
    return kind + " " + render(pointer, value);
  }

  /** Returns the value as written ('text' quoted), or only its kind for sensitive values. */
  private String render(String pointer, JsonNode value) {
    if (sensitive.matcher(pointer).matches() || !value.isValueNode()) {
      return kind(value);
    }
    if (value.isTextual()) {
      String s = value.asText();
      if (s.length() > MAX_ECHO) {
        s = s.substring(0, MAX_ECHO) + "...";
      }
      return "'" + s.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "'";
    }
    return value.toString();
  }

  private static String kind(JsonNode value) {
    switch (value.getNodeType()) {
      case OBJECT:
        return "a mapping";
      case ARRAY:
        return "a list";
      case STRING:
        return "a string";
      case BOOLEAN:
        return "a boolean";
      case NULL:
        return "an empty value";
      case NUMBER:
        return value.isIntegralNumber() ? "an integer" : "a number";
      default:
        return "a value";
    }
  }

  private static String typeName(String schemaType) {
    switch (schemaType) {
      case "object":
        return "a mapping";
      case "array":
        return "a list";
      case "string":
        return "a string";
      case "integer":
        return "an integer";
      case "number":
        return "a number";
      case "boolean":
        return "true or false";
      default:
        return schemaType;
    }
  }

  private static String stripPath(String message) {
    int colon = message.indexOf(": ");
    return colon >= 0 && message.startsWith("/") ? message.substring(colon + 2) : message;
  }

  /** Returns the JSON pointer of a networknt path, whatever its path type. */
  private static String pointer(JsonNodePath path) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < path.getNameCount(); i++) {
      Object element = path.getElement(i);
      sb.append('/');
      sb.append(element instanceof Integer ? element.toString()
          : ConfigDocument.escape(String.valueOf(element)));
    }
    return sb.toString();
  }
}
