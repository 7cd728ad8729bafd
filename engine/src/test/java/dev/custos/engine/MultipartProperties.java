package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Multipart: chunking never changes findings, notes or redacted output, even where a chunk ends
 * inside a delimiter or between its CR and LF; a mask keeps the body's length and every part's
 * headers and delimiters, and hides the planted values.
 */
class MultipartProperties {
  static final String BOUNDARY = "xYz--b0undary";

  @Provide
  Arbitrary<byte[]> multipart() {
    Arbitrary<String> value = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, Arbitraries.of(Samples.PLANTED)),
        net.jqwik.api.Tuple.of(1, Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(8)),
        // Lookalikes of the delimiter inside a part: a CR, a CRLF, the boundary without its line end.
        net.jqwik.api.Tuple.of(1, Arbitraries.of("\r", "\r\n", "\r\n-", "\r\n--" + BOUNDARY + "x", "--" + BOUNDARY)));
    Arbitrary<String> part = Combinators.combine(
            Arbitraries.of("card", "meta", "note", "a b", "q"),
            Arbitraries.of("", "text/plain", "application/json", "application/x-www-form-urlencoded", "image/png"),
            value.list().ofMaxSize(4))
        .as((name, type, values) -> {
          String content;
          if (type.equals("application/json")) {
            content = "{\"user\":{\"ssn\":" + quote(String.join(" ", values)) + "}}";
          } else if (type.equals("application/x-www-form-urlencoded")) {
            content = "ssn=" + java.net.URLEncoder.encode(String.join(" ", values), StandardCharsets.UTF_8);
          } else {
            content = String.join(" ", values);
          }
          return "Content-Disposition: form-data; name=\"" + name + "\"\r\n"
              + (type.isEmpty() ? "" : "Content-Type: " + type + "\r\n") + "\r\n" + content;
        });
    return Combinators.combine(part.list().ofMaxSize(5), Arbitraries.of("", "preamble 078-05-1120\r\n"),
            Arbitraries.of("--\r\n", "--", "--\r\nepilogue 4111111111111111", " \t\r\n"))
        .as((parts, preamble, close) -> {
          StringBuilder sb = new StringBuilder(preamble);
          for (String p : parts) {
            sb.append("--").append(BOUNDARY).append("\r\n").append(p).append("\r\n");
          }
          return sb.append("--").append(BOUNDARY).append(close).toString().getBytes(StandardCharsets.UTF_8);
        });
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\r", "\\r").replace("\n", "\\n") + "\"";
  }

  @Provide
  Arbitrary<List<Integer>> chunking() {
    return Arbitraries.integers().between(1, 40).list().ofMinSize(1).ofMaxSize(8);
  }

  @Property(tries = 300, seed = "20261207")
  void findingsAndNotesDoNotDependOnChunking(@ForAll("multipart") byte[] body, @ForAll("chunking") List<Integer> sizes) {
    ScanResult oneShot = scan(body, List.of());
    ScanResult chunked = scan(body, sizes);
    assertThat(chunked.findings()).isEqualTo(oneShot.findings());
    assertThat(chunked.notes()).isEqualTo(oneShot.notes());
    assertThat(chunked.bytesScanned()).isEqualTo(body.length);
    ScanResult oneByte = scan(body, List.of(1));
    assertThat(oneByte.findings()).isEqualTo(oneShot.findings());
    for (Finding f : oneShot.findings()) {
      assertThat(f.end()).isLessThanOrEqualTo(body.length);
    }
    Statistics.label("finding in a part").collect(oneShot.findings().stream()
        .anyMatch(f -> f.jsonPath() != null && f.jsonPath().startsWith("$.parts['")));
    Statistics.label("finding in a part").coverage(c -> c.check(true).percentage(p -> p > 50));
  }

  @Property(tries = 200, seed = "20261207")
  void maskKeepsTheFramingAndChunkingDoesNotMatter(@ForAll("multipart") byte[] body, @ForAll("chunking") List<Integer> sizes,
      @ForAll RedactionStyle style) {
    byte[] oneShot = redact(body, style, List.of());
    assertThat(redact(body, style, sizes)).isEqualTo(oneShot);
    String before = new String(body, StandardCharsets.UTF_8);
    String after = new String(oneShot, StandardCharsets.UTF_8);
    String delimiter = "\r\n--" + BOUNDARY + "\r\n";
    assertThat(after.split(delimiter, -1).length).isEqualTo(before.split(delimiter, -1).length);
    if (style.preservesLength()) {
      assertThat(oneShot).hasSameSizeAs(body);
    }
    if (style == RedactionStyle.MASK) {
      assertThat(scan(oneShot, List.of()).findings()).isEmpty();
    }
  }

  static ScanResult scan(byte[] body, List<Integer> sizes) {
    List<Finding> findings = new ArrayList<>();
    try (StreamScanner s = Samples.JAVA.newMultipartStream(BOUNDARY)) {
      int offset = 0;
      int i = 0;
      while (offset < body.length) {
        int n = Math.min(sizes.isEmpty() ? body.length : sizes.get(i++ % sizes.size()), body.length - offset);
        findings.addAll(s.feed(body, offset, n));
        offset += n;
      }
      findings.addAll(s.finish());
      return ScanResult.of(findings, s.notes(), s.bytesScanned());
    }
  }

  static byte[] redact(byte[] body, RedactionStyle style, List<Integer> sizes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (StreamScanner s = Samples.JAVA.newRedactingMultipartStream(BOUNDARY, RedactionChoice.always(style), out::write)) {
      int offset = 0;
      int i = 0;
      while (offset < body.length) {
        int n = Math.min(sizes.isEmpty() ? body.length : sizes.get(i++ % sizes.size()), body.length - offset);
        s.feed(body, offset, n);
        offset += n;
      }
      s.finish();
    }
    return out.toByteArray();
  }
}
