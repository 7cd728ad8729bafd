package dev.custos.engine.internal.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Keeps README's list of built-in categories equal to the catalog: the block between {@code
 * <!-- categories -->} and {@code <!-- /categories -->} must read exactly as {@link #block()}
 * writes it from the catalog files (on a mismatch, the message holds the block to paste).
 */
class ReadmeCatalogTest {
  private static final String BEGIN = "<!-- categories: written from the catalog, checked by ReadmeCatalogTest -->";
  private static final String END = "<!-- /categories -->";

  private static final Map<String, String> TITLES = Map.of(
      "contact.yaml", "Contact and network",
      "financial.yaml", "Financial",
      "personal-ids.yaml", "Personal ids",
      "secrets.yaml", "Secrets",
      "generic.yaml", "Generic");

  @Test
  void readmeListsEveryBuiltInCategoryWithTheCatalogsCounts() throws IOException {
    Path readme = projectRoot().resolve("README.md");
    String text = Files.readString(readme, StandardCharsets.UTF_8);
    int begin = text.indexOf(BEGIN);
    int end = text.indexOf(END);
    String expected = block();
    assertThat(begin).as("README.md holds the categories block; expected:%n%s", expected).isNotNegative();
    assertThat(end).isGreaterThan(begin);
    String actual = text.substring(begin + BEGIN.length(), end).strip();
    assertThat(actual).as("README.md's categories block (paste the expected one)").isEqualTo(expected);
  }

  @Test
  void detectorDocsListEveryCategoryOfTheirFamilyAndItsCounts() throws IOException {
    Map<String, String> docs = Map.of(
        "secrets.yaml", "docs/detectors-secrets.md",
        "personal-ids.yaml", "docs/detectors-personal-ids.md");
    for (Map.Entry<String, String> e : docs.entrySet()) {
      String resource = "/dev/custos/engine/builtin/" + e.getKey();
      DetectorCatalog catalog = DetectorCatalog.parse(read(resource), resource);
      String text = Files.readString(projectRoot().resolve(e.getValue()), StandardCharsets.UTF_8);
      TreeSet<String> listed = new TreeSet<>();
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\| `([a-z0-9_]+)` \\|").matcher(text);
      while (m.find()) {
        listed.add(m.group(1));
      }
      assertThat(listed).as("%s lists the categories of %s", e.getValue(), e.getKey())
          .isEqualTo(new TreeSet<>(catalog.categories().keySet()));
      if (e.getKey().equals("secrets.yaml")) {
        assertThat(text).contains("has " + catalog.categories().size() + " categories and "
            + catalog.detectors().size() + " detectors");
      }
    }
  }

  /** Returns the list as README shows it: totals, then per catalog file its counts and ids. */
  static String block() throws IOException {
    StringBuilder sb = new StringBuilder();
    int detectors = 0;
    int categories = 0;
    StringBuilder lines = new StringBuilder();
    for (String resource : BuiltinDetectors.RESOURCES) {
      DetectorCatalog catalog = DetectorCatalog.parse(read(resource), resource);
      String file = resource.substring(resource.lastIndexOf('/') + 1);
      detectors += catalog.detectors().size();
      categories += catalog.categories().size();
      String extra = "";
      if (file.equals("personal-ids.yaml")) {
        TreeSet<String> countries = new TreeSet<>();
        for (String c : catalog.categories().keySet()) {
          int underscore = c.indexOf('_');
          if (underscore == 2) {
            countries.add(c.substring(0, 2));
          }
        }
        extra = ", " + countries.size() + " countries";
      }
      lines.append("- **").append(Objects.requireNonNull(TITLES.get(file), file)).append("** (`")
          .append(file).append("`, ").append(catalog.categories().size()).append(" categories, ")
          .append(catalog.detectors().size()).append(" detectors").append(extra).append("):");
      wrap(lines, List.copyOf(catalog.categories().keySet()));
      lines.append('\n');
    }
    sb.append(detectors).append(" built-in detectors in ").append(categories).append(" categories:\n\n")
        .append(lines);
    return sb.toString().strip();
  }

  /** Appends {@code `id`, `id`, …} wrapped at 100 columns, continuation lines indented by two. */
  private static void wrap(StringBuilder sb, List<String> ids) {
    int column = sb.length() - sb.lastIndexOf("\n") - 1;
    for (int i = 0; i < ids.size(); i++) {
      String item = "`" + ids.get(i) + "`" + (i + 1 < ids.size() ? "," : "");
      if (column + 1 + item.length() > 100) {
        sb.append("\n ");
        column = 1;
      }
      sb.append(' ').append(item);
      column += 1 + item.length();
    }
  }

  private static String read(String resource) throws IOException {
    try (InputStream in = Objects.requireNonNull(BuiltinDetectors.class.getResourceAsStream(resource), resource)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static Path projectRoot() {
    Path dir = Path.of("").toAbsolutePath();
    return Files.exists(dir.resolve("README.md")) ? dir : dir.getParent();
  }
}
