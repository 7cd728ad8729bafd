package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The same JSON written plain, with string escapes, in UTF-16 or UTF-32 (with or without a
 * byte-order mark) gives the same findings; chunking never changes them; redaction keeps the JSON
 * valid and never lets a finding through.
 */
class TextEncodingProperties {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** How a document is written: a charset, and whether it starts with a byte-order mark. */
  record Writing(String charset, boolean bom) {
    byte[] encode(String text) {
      Charset cs = Charset.forName(charset);
      byte[] body = text.getBytes(cs);
      if (!bom) {
        return body;
      }
      byte[] mark = "\uFEFF".getBytes(cs);
      byte[] all = new byte[mark.length + body.length];
      System.arraycopy(mark, 0, all, 0, mark.length);
      System.arraycopy(body, 0, all, mark.length, body.length);
      return all;
    }
  }

  @Provide
  Arbitrary<byte[]> json() {
    return Samples.json();
  }

  @Provide
  Arbitrary<Writing> writing() {
    return Arbitraries.of(
        new Writing("UTF-8", false),
        new Writing("UTF-16LE", false),
        new Writing("UTF-16LE", true),
        new Writing("UTF-16BE", false),
        new Writing("UTF-16BE", true),
        new Writing("UTF-32LE", false),
        new Writing("UTF-32BE", true));
  }

  @Provide
  Arbitrary<List<Integer>> chunking() {
    return Arbitraries.integers().between(1, 64).list().ofMinSize(1).ofMaxSize(8);
  }

  @Provide
  Arbitrary<RedactionStyle> style() {
    return Arbitraries.of(RedactionStyle.class);
  }

  /**
   * Escapes characters of JSON strings at random: {@code \}{@code uXXXX} (each UTF-16 unit, so a
   * surrogate pair becomes two escapes) or {@code \/}; quotes, backslashes and escapes already
   * there stay as they are.
   */
  static String escape(String json, long seed, int percent) {
    Random random = new Random(seed);
    StringBuilder sb = new StringBuilder(json.length() * 2);
    boolean inString = false;
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      if (!inString) {
        sb.append(c);
        inString = c == '"';
        continue;
      }
      if (c == '\\') {
        sb.append(c).append(json.charAt(++i));
        if (json.charAt(i) == 'u') {
          sb.append(json, i + 1, i + 5);
          i += 4;
        }
      } else if (c == '"') {
        sb.append(c);
        inString = false;
      } else if (random.nextInt(100) < percent) {
        sb.append(c == '/' && random.nextBoolean() ? "\\/" : String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  static String findingKey(Finding f) {
    return f.category() + " " + f.detector() + " " + f.jsonPath() + " " + f.confidence() + " " + f.evidence();
  }

  @Property(tries = 200)
  void theSameValuesAreFoundWhateverTheEncoding(
      @ForAll("json") byte[] json, @ForAll("writing") Writing writing, @ForAll long seed) {
    String text = new String(json, StandardCharsets.UTF_8);
    byte[] input = writing.encode(escape(text, seed, 30));
    List<String> plain = Samples.JAVA.scan(json, ContentType.JSON).findings().stream()
        .map(TextEncodingProperties::findingKey).toList();
    List<String> written = TextEncodingTest.scan(input, ContentType.JSON, null, 1 << 20).stream()
        .map(TextEncodingProperties::findingKey).toList();
    assertThat(written).isEqualTo(plain);
  }

  @Property(tries = 200)
  void findingsDoNotDependOnChunking(
      @ForAll("json") byte[] json, @ForAll("writing") Writing writing, @ForAll long seed,
      @ForAll("chunking") List<Integer> sizes) {
    byte[] input = writing.encode(escape(new String(json, StandardCharsets.UTF_8), seed, 30));
    ScanResult oneShot = Samples.JAVA.scan(input, ContentType.JSON);
    ScanResult chunked = Samples.scanChunked(Samples.JAVA, input, ContentType.JSON, sizes);
    assertThat(chunked.findings()).isEqualTo(oneShot.findings());
    assertThat(chunked.notes()).isEqualTo(oneShot.notes());
    for (Finding f : oneShot.findings()) {
      assertThat(f.start()).isBetween(0L, (long) input.length);
      assertThat(f.end()).isBetween(f.start() + 1, (long) input.length);
    }
  }

  @Property(tries = 200)
  void redactionKeepsJsonValidAndLetsNoFindingThrough(
      @ForAll("json") byte[] json, @ForAll("writing") Writing writing, @ForAll long seed,
      @ForAll("chunking") List<Integer> sizes, @ForAll("style") RedactionStyle style) throws IOException {
    byte[] input = writing.encode(escape(new String(json, StandardCharsets.UTF_8), seed, 30));
    List<Finding> found = Samples.JAVA.scan(input, ContentType.JSON).findings();
    byte[] out = Chunked.redact(Samples.JAVA, input, ContentType.JSON, style, sizes);
    assertThat(Chunked.redact(Samples.JAVA, input, ContentType.JSON, style, List.of(input.length)))
        .as("redaction does not depend on chunking").isEqualTo(out);
    if (style != RedactionStyle.HASH) {
      assertThat(out).hasSize(input.length);
    }
    assertThat(parseAll(out)).hasSize(parseAll(input).size());
    Set<String> hashes = found.stream().map(f -> f.evidence().hash()).collect(Collectors.toSet());
    for (Finding again : Samples.JAVA.scan(out, ContentType.JSON).findings()) {
      assertThat(hashes).as("a value found before redaction is found after it").doesNotContain(again.evidence().hash());
    }
  }

  /** Returns every document of JSON Lines (Jackson detects UTF-16 and UTF-32 by itself). */
  static List<JsonNode> parseAll(byte[] bytes) throws IOException {
    List<JsonNode> nodes = new ArrayList<>();
    try (MappingIterator<JsonNode> it = MAPPER.readerFor(JsonNode.class).readValues(bytes)) {
      while (it.hasNext()) {
        nodes.add(it.next());
      }
    }
    return nodes;
  }

  @Property(tries = 100)
  void encodedTextFindingsDoNotDependOnChunking(
      @ForAll("json") byte[] json, @ForAll("writing") Writing writing, @ForAll("chunking") List<Integer> sizes) {
    byte[] input = writing.encode(new String(json, StandardCharsets.UTF_8));
    ScanResult oneShot = Samples.JAVA.scan(input, ContentType.TEXT);
    assertThat(Samples.scanChunked(Samples.JAVA, input, ContentType.TEXT, sizes).findings())
        .isEqualTo(oneShot.findings());
    List<String> plain = Samples.JAVA.scan(json, ContentType.TEXT).findings().stream()
        .map(f -> f.category() + " " + f.evidence()).toList();
    assertThat(oneShot.findings().stream().map(f -> f.category() + " " + f.evidence()).toList()).isEqualTo(plain);
  }

  static byte[] bytes(ByteArrayOutputStream out) {
    return out.toByteArray();
  }
}
