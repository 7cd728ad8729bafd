package dev.custos.engine;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Shared scanners and generators of inputs rich in sensitive values, decoys and noise. */
final class Samples {
  static final EvidenceKey KEY = TestScanners.KEY;
  static final Scanner JAVA = TestScanners.java();
  static final @org.jspecify.annotations.Nullable Scanner HYPERSCAN = TestScanners.hyperscan();

  /** Every example of every built-in detector, plus decoys that look alike. */
  static final List<String> FRAGMENTS = new ArrayList<>();

  static {
    for (DetectorDefinition d : Policy.ofDefault().detectors()) {
      FRAGMENTS.addAll(d.examples());
      FRAGMENTS.addAll(d.counterExamples());
    }
    FRAGMENTS.addAll(
        List.of(
            "4111111111111112",
            "000-12-3456",
            "666-12-3456",
            "order 1234567890123456",
            "2024-01-31T12:00:00Z",
            "550e8400-e29b-41d4-a716-446655440000",
            "d41d8cd98f00b204e9800998ecf8427e",
            "ssn",
            "card",
            "email",
            "passport",
            "\\u0040",
            "\\n",
            "é",
            "漢字"));
  }

  private Samples() {}

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Text made of fragments, words, separators and a few arbitrary bytes. */
  static Arbitrary<byte[]> text() {
    return text(40);
  }

  /** Like {@link #text()}, with up to {@code maxPieces} pieces. */
  static Arbitrary<byte[]> text(int maxPieces) {
    Arbitrary<String> piece =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(4, Arbitraries.of(FRAGMENTS)),
            net.jqwik.api.Tuple.of(3, Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8)),
            net.jqwik.api.Tuple.of(3, Arbitraries.of(" ", "\n", ", ", ": ", "=", "-", "\"", "'", "\t", "/", ".")),
            net.jqwik.api.Tuple.of(2, Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(20)));
    Arbitrary<byte[]> noise = Arbitraries.bytes().array(byte[].class).ofMaxSize(4);
    Arbitrary<byte[]> chunk =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(12, piece.map(Samples::utf8)), net.jqwik.api.Tuple.of(1, noise));
    return chunk.list().ofMaxSize(maxPieces).map(Samples::concat);
  }

  /** JSON documents (one or several in a row) whose keys and values come from the fragments. */
  static Arbitrary<byte[]> json() {
    Arbitrary<String> key = Arbitraries.of("ssn", "card", "email", "note", "id", "user", "phone", "iban", "x y", "passport");
    Arbitrary<String> value = Arbitraries.of(FRAGMENTS);
    Arbitrary<List<String[]>> fields = Combinators.combine(key, value).as((k, v) -> new String[] {k, v}).list().ofMaxSize(8);
    return fields.list().ofMinSize(1).ofMaxSize(4).map(Samples::toJsonLines);
  }

  private static byte[] toJsonLines(List<List<String[]>> documents) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      JsonFactory factory = new JsonFactory();
      int n = 0;
      for (List<String[]> doc : documents) {
        JsonGenerator g = factory.createGenerator(out);
        g.writeStartObject();
        for (String[] field : doc) {
          g.writeFieldName(field[0] + (n++));
          if (field[1].matches("[1-9][0-9]{0,17}")) {
            g.writeNumber(Long.parseLong(field[1]));
          } else if ((n & 3) == 0) {
            g.writeStartArray();
            g.writeString(field[1]);
            g.writeEndArray();
          } else {
            g.writeString(field[1]);
          }
        }
        g.writeEndObject();
        g.flush();
        out.write('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Sensitive values every scan must find when one is a whole form value (see FormProperties). */
  static final List<String> PLANTED =
      List.of(
          "4111111111111111",
          "4111 1111 1111 1111",
          "5500-0000-0000-0004",
          "078-05-1120",
          "jane.canary@example.com",
          "AKIAIOSFODNN7EXAMPLE",
          "GB82WEST12345698765432");

  /** Field names of generated forms: plain, odd and percent-encoded ones, none of them sensitive. */
  static final List<String> FORM_NAMES =
      List.of("ssn", "card", "email", "note", "id", "user", "phone", "iban", "x y", "a&b=c", "é", "100%", "");

  /**
   * Forms whose values come from the fragments, the planted values and random words or digits, each
   * byte percent-encoded at random (always where it must be), with now and then a literal {@code %}
   * that starts no escape ({@code %zz}, {@code %-}, or {@code %4} at the very end).
   */
  static Arbitrary<byte[]> form() {
    Arbitrary<String> value =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(5, Arbitraries.of(FRAGMENTS)),
            net.jqwik.api.Tuple.of(3, Arbitraries.of(PLANTED)),
            net.jqwik.api.Tuple.of(1, Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(8)),
            net.jqwik.api.Tuple.of(1, Arbitraries.strings().numeric().ofMaxLength(20)));
    Arbitrary<String[]> field =
        Combinators.combine(Arbitraries.of(FORM_NAMES), value).as((n, v) -> new String[] {n, v});
    return Combinators.combine(field.list().ofMaxSize(10), Arbitraries.longs(), Arbitraries.integers().between(0, 9))
        .as((fields, seed, malformed) -> toForm(fields, new java.util.Random(seed), malformed));
  }

  private static byte[] toForm(List<String[]> fields, java.util.Random random, int malformed) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < fields.size(); i++) {
      if (i > 0) {
        out.write('&');
      }
      encode(utf8(fields.get(i)[0]), random, out);
      out.write('=');
      encode(utf8(fields.get(i)[1]), random, out);
      if (malformed == 1 && random.nextInt(4) == 0) {
        out.writeBytes(utf8(random.nextBoolean() ? "%zz" : "%-"));
      }
    }
    if (malformed == 2) {
      out.writeBytes(utf8("%4"));
    }
    return out.toByteArray();
  }

  private static void encode(byte[] bytes, java.util.Random random, ByteArrayOutputStream out) {
    for (byte value : bytes) {
      int b = value & 0xff;
      boolean must = b == '&' || b == '=' || b == '+' || b == '%';
      if (b == ' ' && random.nextBoolean()) {
        out.write('+');
      } else if (must || random.nextInt(5) == 0) {
        out.writeBytes(utf8(String.format(random.nextBoolean() ? "%%%02X" : "%%%02x", b)));
      } else {
        out.write(b);
      }
    }
  }

  /**
   * Decodes a form the plain way, for reference: fields split at {@code &}, name and value at the
   * first {@code =}, {@code +} a space, {@code %XX} a byte, any other {@code %} literal.
   */
  static List<byte[][]> decodeForm(byte[] form) {
    List<byte[][]> fields = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= form.length; i++) {
      if (i == form.length || form[i] == '&') {
        int eq = start;
        while (eq < i && form[eq] != '=') {
          eq++;
        }
        byte[] name = percentDecode(form, start, eq);
        byte[] value = eq < i ? percentDecode(form, eq + 1, i) : null;
        fields.add(new byte[][] {name, value});
        start = i + 1;
      }
    }
    return fields;
  }

  private static byte[] percentDecode(byte[] bytes, int from, int to) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = from; i < to; i++) {
      int b = bytes[i];
      if (b == '%' && i + 2 < to
          && Character.digit(bytes[i + 1], 16) >= 0
          && Character.digit(bytes[i + 2], 16) >= 0) {
        out.write(Character.digit(bytes[i + 1], 16) * 16 + Character.digit(bytes[i + 2], 16));
        i += 2;
      } else {
        out.write(b == '+' ? ' ' : b);
      }
    }
    return out.toByteArray();
  }

  static byte[] concat(List<byte[]> parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.write(p, 0, p.length);
    }
    return out.toByteArray();
  }

  /** Scans {@code bytes} in chunks cut at the given sizes (cycled), collecting all findings. */
  static ScanResult scanChunked(Scanner scanner, byte[] bytes, ContentType type, List<Integer> sizes) {
    return Chunked.scan(scanner, bytes, type, sizes);
  }

  /** Redacts {@code bytes} in chunks cut at the given sizes (cycled). */
  static byte[] redactChunked(Scanner scanner, byte[] bytes, ContentType type, RedactionStyle style, List<Integer> sizes) {
    return Chunked.redact(scanner, bytes, type, style, sizes);
  }
}
