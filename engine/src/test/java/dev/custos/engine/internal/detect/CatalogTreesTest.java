package dev.custos.engine.internal.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The built-in catalog's YAML trees generated at build time equal what the YAML loader gives, are
 * used only for the exact text they were parsed from, and a corrupted or foreign file is not used.
 */
class CatalogTreesTest {
  private static final String SAMPLE = String.join("\n",
      "categories:",
      "  t: A test category.",
      "detectors:",
      "  - id: t.one",
      "    category: t",
      "    pattern: 'EXAMPLE-[0-9]{4}'",
      "    min_entropy: 2.5",
      "    max_length: 12",
      "    big: 123456789012345678901234567890",
      "    long: 12345678901",
      "    secret: true",
      "    keywords: [example, ~]",
      "");

  @Test
  void builtinTreesEqualWhatTheYamlLoaderGivesForEveryCatalogFile() throws IOException {
    CatalogTrees trees = CatalogTrees.builtin();
    assertThat(trees.status()).contains(BuiltinDetectors.RESOURCES.size() + " files");
    for (String resource : BuiltinDetectors.RESOURCES) {
      String text = read(resource);
      Object cached = trees.tree(text);
      assertThat(cached).as(resource).isNotNull();
      assertSameTree(cached, parse(text), resource);
    }
  }

  @Test
  void treeOfEveryKindOfValueReadsBackEqualWithTheSameTypes() throws IOException {
    CatalogTrees trees = CatalogTrees.read(new ByteArrayInputStream(write(SAMPLE)));
    assertThat(trees.size()).isEqualTo(1);
    assertSameTree(trees.tree(SAMPLE), parse(SAMPLE), "sample");
  }

  @Test
  void editedTextIsNotFoundSoItIsParsed() throws IOException {
    CatalogTrees trees = CatalogTrees.read(new ByteArrayInputStream(write(SAMPLE)));
    assertThat(trees.tree(SAMPLE.replace("{4}", "{5}"))).isNull();
    assertThat(trees.tree(SAMPLE + " ")).isNull();
  }

  @Test
  void eachCallGivesItsOwnTree() throws IOException {
    CatalogTrees trees = CatalogTrees.read(new ByteArrayInputStream(write(SAMPLE)));
    Object first = trees.tree(SAMPLE);
    assertThat(trees.tree(SAMPLE)).isNotSameAs(first).isEqualTo(first);
  }

  @Test
  void corruptedTruncatedOrForeignFileIsNotUsed() throws IOException {
    byte[] file = write(SAMPLE);
    byte[] corrupted = file.clone();
    corrupted[corrupted.length - 5] ^= 0x55;
    CatalogTrees bad = CatalogTrees.read(new ByteArrayInputStream(corrupted));
    assertThat(bad.size()).isZero();
    assertThat(bad.status()).contains("checksum");
    assertThat(bad.tree(SAMPLE)).isNull();
    CatalogTrees truncated = CatalogTrees.read(new ByteArrayInputStream(Arrays.copyOf(file, 20)));
    assertThat(truncated.size()).isZero();
    assertThat(truncated.status()).contains("unreadable");
    CatalogTrees foreign = CatalogTrees.read(new ByteArrayInputStream(
        "categories: {}".getBytes(StandardCharsets.UTF_8)));
    assertThat(foreign.status()).contains("not a catalog-trees file");
    assertThat(CatalogTrees.read(null).status()).contains("no catalog trees");
  }

  @Test
  void fileWithAValueOfAnotherKindIsLeftOutAndParsedAtRunTime() throws IOException {
    String binary = "data: !!binary aGVsbG8=\n";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(CatalogTrees.write(List.of(binary, SAMPLE), out)).isEqualTo(1);
    CatalogTrees trees = CatalogTrees.read(new ByteArrayInputStream(out.toByteArray()));
    assertThat(trees.tree(binary)).isNull();
    assertThat(trees.tree(SAMPLE)).isNotNull();
  }

  @Test
  void catalogParsedFromTreesEqualsCatalogParsedFromYaml() {
    Map<String, String> edited = new java.util.LinkedHashMap<>();
    for (String resource : BuiltinDetectors.RESOURCES) {
      // One more line break: the same YAML, another text, so it is parsed rather than looked up.
      edited.put(resource, read(resource) + "\n");
      assertThat(CatalogTrees.builtin().tree(edited.get(resource))).isNull();
    }
    assertThat(DetectorCatalog.parseAll(edited).detectors())
        .usingRecursiveFieldByFieldElementComparator()
        .containsExactlyElementsOf(BuiltinDetectors.all());
    assertThat(DetectorCatalog.parseAll(edited).categories())
        .containsExactlyEntriesOf(BuiltinDetectors.categories());
  }

  private static void assertSameTree(Object actual, Object expected, String where) {
    assertThat(actual).as(where).isEqualTo(expected);
    if (expected == null) {
      return;
    }
    assertThat(actual.getClass()).as(where).isEqualTo(expected.getClass());
    if (expected instanceof Map<?, ?> e) {
      Map<?, ?> a = (Map<?, ?>) actual;
      assertThat(List.copyOf(a.keySet())).as(where).isEqualTo(List.copyOf(e.keySet()));
      for (Map.Entry<?, ?> entry : e.entrySet()) {
        assertSameTree(a.get(entry.getKey()), entry.getValue(), where + "." + entry.getKey());
      }
    } else if (expected instanceof List<?> e) {
      List<?> a = (List<?>) actual;
      for (int i = 0; i < e.size(); i++) {
        assertSameTree(a.get(i), e.get(i), where + "[" + i + "]");
      }
    }
  }

  private static Object parse(String text) {
    return new Load(LoadSettings.builder().build()).loadFromString(text);
  }

  private static byte[] write(String text) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CatalogTrees.write(List.of(text), out);
    return out.toByteArray();
  }

  private static String read(String resource) {
    try (InputStream in = CatalogTreesTest.class.getResourceAsStream(resource)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
