package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.engine.ContentType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExpectationTest {
  private static final Set<String> CATEGORIES = Set.of("us_ssn", "email", "credit_card");

  @TempDir Path dir;

  private Expectation read(String yaml) throws IOException {
    Path file = dir.resolve("x.expect.yaml");
    Files.writeString(file, yaml);
    return Expectation.read(file, CATEGORIES);
  }

  private String error(String yaml) {
    return assertThatThrownBy(() -> read(yaml)).isInstanceOf(CliException.class).actual().getMessage()
        .replace(dir.resolve("x.expect.yaml").toString(), "F");
  }

  @Test
  void readsFlowAndBlockMappings() throws IOException {
    assertThat(read("categories: {us_ssn: 2, email: 1}\n").counts()).isEqualTo(Map.of("email", 1L, "us_ssn", 2L));
    Expectation e = read("categories:\n  credit_card: 0\ncontent_type: application/json\n");
    assertThat(e.counts()).isEqualTo(Map.of("credit_card", 0L));
    assertThat(e.contentType()).isEqualTo(ContentType.JSON);
    assertThat(read("categories: {}\n").contentType()).isNull();
  }

  @Test
  void rejectsWrongShapesWithPositions() {
    assertThat(error("")).isEqualTo("F: empty file (expected: a mapping with 'categories')");
    assertThat(error("- a\n")).startsWith("F:1:1: found a list (expected: a mapping");
    assertThat(error("content_type: json\n")).startsWith("F:1:1: missing key categories");
    assertThat(error("categories: {}\nfoo: 1\n")).isEqualTo("F:2:1: unknown key foo (expected: categories or content_type)");
    assertThat(error("categories:\n  us_ssn: two\n")).isEqualTo("F:2:11: us_ssn: two (expected: a count, 0 or more)");
    assertThat(error("categories:\n  us_ssn: -1\n")).startsWith("F:2:11: us_ssn: -1");
    assertThat(error("categories:\n  ssn: 1\n")).startsWith("F:2:3: unknown category ssn");
    assertThat(error("categories:\n  us_ssn: 1\n  us_ssn: 2\n")).startsWith("F:3:3: duplicate category us_ssn");
    assertThat(error("categories: [us_ssn]\n")).startsWith("F:1:13: found a list");
    assertThat(error("categories:\n")).startsWith("F:1:12: found nothing");
    assertThat(error("categories: {us_ssn: 1\n")).startsWith("F:2:1: ").endsWith("(expected: YAML)");
  }
}
