package dev.custos.engine.internal.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custos.engine.config.SchemaValidator;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** The policy JSON Schema, loaded once from the classpath. Thread-safe. */
final class PolicySchema {
  /** Where the schema lives on the classpath. */
  static final String RESOURCE = "dev/custos/engine/policy.schema.json";

  /** Values under these pointers may be sensitive and are never echoed. */
  private static final Pattern SENSITIVE =
      Pattern.compile("^(/categories/[^/]+/detectors/\\d+/exclude|(/rules/\\d+)?/allowlist)(/.*)?$");

  private static volatile @Nullable PolicySchema instance;

  private final SchemaValidator validator;

  private PolicySchema(SchemaValidator validator) {
    this.validator = validator;
  }

  /** Returns the shared schema, loading it on first use. */
  static PolicySchema get() {
    PolicySchema s = instance;
    if (s == null) {
      synchronized (PolicySchema.class) {
        s = instance;
        if (s == null) {
          s = new PolicySchema(SchemaValidator.of(readSchemaJson(), SENSITIVE));
          instance = s;
        }
      }
    }
    return s;
  }

  /** Reads the schema's JSON from the classpath. */
  static JsonNode readSchemaJson() {
    return SchemaValidator.readSchemaJson(PolicySchema.class.getClassLoader(), RESOURCE);
  }

  /** Validates a document; returns its problems, in no particular order. */
  List<Problem> validate(YamlDocument doc) {
    return YamlDocument.problems(validator.validate(doc.document()));
  }
}
