package dev.custos.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ConfigDocumentTest {
  private static final SchemaValidator SCHEMA;

  static {
    try {
      SCHEMA = SchemaValidator.of(new ObjectMapper().readTree("""
          {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "settings",
            "type": "object",
            "additionalProperties": false,
            "required": ["name"],
            "properties": {
              "name": {"description": "A name.", "type": "string"},
              "token": {"description": "A secret.", "type": "string", "pattern": "^t-"}
            }
          }
          """), Pattern.compile("^/token$"));
    } catch (Exception e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @Test
  void valuesKeepTheirPositions() {
    ConfigDocument doc = ConfigDocument.parse("name: x\nlist:\n  - a\n  - b\n", "app.yaml",
        "settings", 1000);

    assertThat(doc).isNotNull();
    assertThat(doc.root().get("list").get(1).asText()).isEqualTo("b");
    ConfigDocument.Entry e = doc.entry("/list/1");
    assertThat(e.line()).isEqualTo(4);
    assertThat(e.column()).isEqualTo(5);
    assertThat(e.path()).isEqualTo("list[1]");
    assertThat(doc.entry("/list/7").path()).isEqualTo("list");
  }

  @Test
  void schemaProblemsNameTheRootAndThePosition() {
    ConfigDocument doc = ConfigDocument.parse("extra: 1\n", "app.yaml", "settings", 1000);

    List<ConfigProblem> problems = SCHEMA.validate(doc);

    assertThat(problems).extracting(p -> p.format("app.yaml")).containsExactlyInAnyOrder(
        "app.yaml:1:1: unknown key 'extra' in settings (expected one of: name, token)",
        "app.yaml:1:1: settings: missing key 'name' in settings (expected: required keys: name)");
  }

  @Test
  void sensitiveValuesAreNeverEchoed() {
    ConfigDocument doc = ConfigDocument.parse("name: x\ntoken: hunter2\n", "app.yaml",
        "settings", 1000);

    assertThat(SCHEMA.validate(doc)).singleElement()
        .satisfies(p -> assertThat(p.text()).isEqualTo("token: a string (expected: matching ^t-)"));
  }

  @Test
  void syntaxErrorsAndRefusedFeaturesThrowWithEveryProblemSorted() {
    assertThatThrownBy(() -> ConfigDocument.parse("a: &x 1\nb: *x\n", "app.yaml", "settings",
        1000))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.source()).isEqualTo("app.yaml");
          assertThat(e.problems()).extracting(ConfigProblem::line).containsExactly(1, 2);
        })
        .hasMessageStartingWith("app.yaml:1:4: an anchor '&x'");
  }

  @Test
  void anEmptyDocumentIsNull() {
    assertThat(ConfigDocument.parse("# nothing\n", "app.yaml", "settings", 1000)).isNull();
  }
}
