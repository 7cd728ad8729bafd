package dev.custos.engine;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.custos.engine.internal.match.HyperscanMatcher;
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
  static final EvidenceKey KEY = EvidenceKey.of("test-evidence-key-0123456789".getBytes(StandardCharsets.UTF_8));
  static final Scanner JAVA = Scanner.builder(Policy.ofDefault()).backend(Backend.JAVA).evidenceKey(KEY).build();
  static final Scanner HYPERSCAN =
      HyperscanMatcher.isAvailable()
          ? Scanner.builder(Policy.ofDefault()).backend(Backend.HYPERSCAN).evidenceKey(KEY).build()
          : null;

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

  static byte[] concat(List<byte[]> parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.write(p, 0, p.length);
    }
    return out.toByteArray();
  }

  /** Scans {@code bytes} in chunks cut at the given sizes (cycled), collecting all findings. */
  static ScanResult scanChunked(Scanner scanner, byte[] bytes, ContentType type, List<Integer> sizes) {
    List<Finding> findings = new ArrayList<>();
    try (StreamScanner stream = scanner.newStream(type)) {
      int offset = 0;
      int i = 0;
      while (offset < bytes.length) {
        int size = sizes.isEmpty() ? bytes.length : Math.max(1, sizes.get(i++ % sizes.size()));
        int n = Math.min(size, bytes.length - offset);
        findings.addAll(stream.feed(bytes, offset, n));
        offset += n;
      }
      findings.addAll(stream.finish());
      return ScanResult.of(findings, stream.notes(), stream.bytesScanned());
    }
  }

  /** Redacts {@code bytes} in chunks cut at the given sizes (cycled). */
  static byte[] redactChunked(Scanner scanner, byte[] bytes, ContentType type, RedactionStyle style, List<Integer> sizes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (StreamScanner stream = scanner.newRedactingStream(type, style, out::write)) {
      int offset = 0;
      int i = 0;
      while (offset < bytes.length) {
        int size = sizes.isEmpty() ? bytes.length : Math.max(1, sizes.get(i++ % sizes.size()));
        int n = Math.min(size, bytes.length - offset);
        stream.feed(bytes, offset, n);
        offset += n;
      }
      stream.finish();
    }
    return out.toByteArray();
  }
}
