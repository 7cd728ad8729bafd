package dev.custos.command.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Rows written in {@code COPY}'s text format read back as the same fields, read by the format's
 * rules (PostgreSQL documentation, "COPY", File Formats, Text Format): fields split at tabs, rows
 * at line feeds, {@code \N} alone is null, a backslash takes the next character (b f n r t v,
 * octal and x-hex digits as escapes, anything else as itself).
 */
class CopyFieldProperties {

  @Provide
  Arbitrary<List<List<String>>> rows() {
    Arbitrary<String> odd = Arbitraries.strings()
        .withChars('\\', '\t', '\n', '\r', 'N', '.', '"', '\'', ',', '{', '}', ' ', 'x', '7')
        .withCharRange((char) 0xe0, (char) 0xff).withCharRange((char) 0x4e00, (char) 0x4e10)
        .ofMaxLength(12);
    return odd.injectNull(0.1).list().ofMinSize(1).ofMaxSize(5).list().ofMinSize(1)
        .ofMaxSize(5);
  }

  @Property(tries = 500)
  void everyFieldReadsBackAsWritten(@ForAll("rows") List<List<String>> rows) {
    StringBuilder sb = new StringBuilder();
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        if (i > 0) {
          sb.append('\t');
        }
        IngestWriter.copyField(sb, row.get(i));
      }
      sb.append('\n');
    }

    assertThat(read(sb.toString())).isEqualTo(rows);
  }

  /** Reads COPY text format as PostgreSQL does. */
  static List<List<String>> read(String data) {
    List<List<String>> rows = new ArrayList<>();
    assertThat(data).endsWith("\n");
    for (String line : data.substring(0, data.length() - 1).split("\n", -1)) {
      assertThat(line).doesNotContain("\r").isNotEqualTo("\\.");
      List<String> row = new ArrayList<>();
      for (String raw : line.split("\t", -1)) {
        row.add(raw.equals("\\N") ? null : unescape(raw));
      }
      rows.add(row);
    }
    return rows;
  }

  private static String unescape(String raw) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c != '\\') {
        out.append(c);
        continue;
      }
      char n = raw.charAt(++i);
      switch (n) {
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'v' -> out.append((char) 0x0b);
        default -> {
          if (n >= '0' && n <= '7' || n == 'x') {
            throw new AssertionError("an escape the writer never makes: " + n);
          }
          out.append(n);
        }
      }
    }
    return out.toString();
  }
}
