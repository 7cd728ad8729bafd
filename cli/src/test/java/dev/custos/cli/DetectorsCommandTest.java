package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custos.engine.Policy;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class DetectorsCommandTest {
  @Test
  void textListsEveryBuiltinWithCategoryDescriptionAndExample() {
    Cli.Result r = Cli.run("detectors");
    assertThat(r.code()).isEqualTo(0);
    assertThat(r.out().lines().findFirst().orElseThrow()).matches("ID +CATEGORY +DESCRIPTION +EXAMPLE");
    assertThat(r.out().lines().count()).isEqualTo(Policy.ofDefault().detectors().size() + 1);
    assertThat(r.out()).contains("private_key.pem").doesNotContain("\nRVhB");
    assertThat(r.out()).containsPattern("credit_card\\.pan +credit_card +\\S.* +\\d");
  }

  @Test
  void jsonListsEveryBuiltin() throws IOException {
    Cli.Result r = Cli.run("detectors", "--format", "json");
    assertThat(r.code()).isEqualTo(0);
    JsonNode list = new ObjectMapper().readTree(r.out());
    assertThat(list).hasSize(Policy.ofDefault().detectors().size());
    JsonNode first = list.get(0);
    assertThat(first.has("id") && first.has("category") && first.has("description") && first.has("example")).isTrue();
  }

  @Test
  void unknownFormatIsAUsageError() {
    Cli.Result r = Cli.run("detectors", "--format", "xml");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines()).hasSize(1);
  }
}
