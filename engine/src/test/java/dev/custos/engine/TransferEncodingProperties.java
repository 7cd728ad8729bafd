package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Base64 and quoted-printable multipart parts, and gRPC-Web text bodies: chunking never changes
 * findings, notes or redacted output (a chunk may end inside a base64 quantum, an {@code =XX}
 * escape or a soft line break); a mask keeps the length, and the masked body decodes to content in
 * which no planted value is found.
 */
class TransferEncodingProperties {
  private static final String B = "tr4nsfer--b";

  @Provide
  Arbitrary<String> content() {
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(3, Arbitraries.of(Samples.PLANTED)),
            net.jqwik.api.Tuple.of(2, Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(12)),
            net.jqwik.api.Tuple.of(1, Arbitraries.of("=", "caf\u00e9", "\r\n", "line\r\nnext", "\t")))
        .list().ofMaxSize(6).map(l -> String.join(" ", l));
  }

  /** Quoted-printable of {@code text}, escaping what must be and some more, with soft breaks. */
  static String quotedPrintable(String text, long seed) {
    Random random = new Random(seed);
    StringBuilder sb = new StringBuilder();
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      boolean must = c == '=' || c > 126 || (c < 32 && c != '\r' && c != '\n' && c != '\t');
      if (must || random.nextInt(8) == 0) {
        sb.append('=').append(String.format("%02X", c));
      } else {
        sb.append((char) c);
      }
      if (random.nextInt(10) == 0) {
        sb.append(random.nextBoolean() ? "=\r\n" : "=\n");
      }
    }
    return sb.toString();
  }

  @Provide
  Arbitrary<byte[]> multipart() {
    Arbitrary<String> part = Combinators.combine(content(),
            Arbitraries.of("base64", "quoted-printable", "Base64", "7bit"),
            Arbitraries.of("text/plain", "application/json", ""),
            Arbitraries.longs())
        .as((text, encoding, type, seed) -> {
          String value = type.equals("application/json")
              ? "{\"user\":{\"note\":\"" + text.replace("\\", "").replace("\"", "").replace("\r", " ")
                  .replace("\n", " ").replace("\t", " ") + "\"}}"
              : text;
          String encoded = switch (encoding.toLowerCase(java.util.Locale.ROOT)) {
            case "base64" -> new Random(seed).nextBoolean()
                ? Base64.getMimeEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8))
                : Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
            case "quoted-printable" -> quotedPrintable(value, seed);
            default -> value;
          };
          return "Content-Disposition: form-data; name=\"p\"\r\n"
              + (type.isEmpty() ? "" : "Content-Type: " + type + "\r\n")
              + "Content-Transfer-Encoding: " + encoding + "\r\n\r\n" + encoded;
        });
    return part.list().ofMinSize(1).ofMaxSize(4).map(parts -> {
      StringBuilder sb = new StringBuilder();
      for (String p : parts) {
        sb.append("--").append(B).append("\r\n").append(p).append("\r\n");
      }
      return sb.append("--").append(B).append("--\r\n").toString().getBytes(StandardCharsets.UTF_8);
    });
  }

  @Provide
  Arbitrary<byte[]> grpcWebText() {
    Arbitrary<byte[]> frame = content().map(text ->
        GrpcContentTest.frame(Pb.message().string(1, text).toBytes(), false));
    return Combinators.combine(frame.list().ofMinSize(1).ofMaxSize(4), Arbitraries.integers().between(0, 2))
        .as((frames, grouping) -> {
          StringBuilder sb = new StringBuilder();
          if (grouping == 0) {
            sb.append(Base64.getEncoder().encodeToString(Samples.concat(frames)));
          } else {
            for (byte[] f : frames) {
              sb.append(Base64.getEncoder().encodeToString(f)); // padded per message
            }
          }
          return sb.toString().getBytes(StandardCharsets.US_ASCII);
        });
  }

  @Provide
  Arbitrary<List<Integer>> chunking() {
    return Arbitraries.integers().between(1, 9).list().ofMinSize(1).ofMaxSize(6);
  }

  @Property(tries = 250, seed = "20261207")
  void multipartPartsChunkingDoesNotMatter(@ForAll("multipart") byte[] body,
      @ForAll("chunking") List<Integer> sizes) {
    check(body, sizes, ContentType.MULTIPART);
    Statistics.label("findings").collect(!scan(body, List.of(), ContentType.MULTIPART).findings().isEmpty());
    Statistics.label("findings").coverage(c -> c.check(true).percentage(p -> p > 40));
  }

  @Property(tries = 250, seed = "20261207")
  void grpcWebTextChunkingDoesNotMatter(@ForAll("grpcWebText") byte[] body,
      @ForAll("chunking") List<Integer> sizes) {
    check(body, sizes, ContentType.GRPC_WEB_TEXT);
    assertThat(scan(body, List.of(), ContentType.GRPC_WEB_TEXT).notes()).isEmpty();
  }

  private static void check(byte[] body, List<Integer> sizes, ContentType type) {
    ScanResult oneShot = scan(body, List.of(), type);
    ScanResult chunked = scan(body, sizes, type);
    assertThat(chunked.findings()).isEqualTo(oneShot.findings());
    assertThat(chunked.notes()).isEqualTo(oneShot.notes());
    assertThat(scan(body, List.of(1), type).findings()).isEqualTo(oneShot.findings());
    for (Finding f : oneShot.findings()) {
      assertThat(f.end()).isLessThanOrEqualTo(body.length);
    }
    for (RedactionStyle style : RedactionStyle.values()) {
      byte[] redacted = redact(body, style, List.of(), type);
      assertThat(redact(body, style, sizes, type)).as(style.id()).isEqualTo(redacted);
      if (style == RedactionStyle.MASK) {
        assertThat(redacted).hasSameSizeAs(body);
        assertThat(scan(redacted, List.of(), type).findings()).isEmpty();
      }
    }
  }

  static ScanResult scan(byte[] body, List<Integer> sizes, ContentType type) {
    List<Finding> findings = new ArrayList<>();
    try (StreamScanner s = type == ContentType.MULTIPART ? Samples.JAVA.newMultipartStream(B)
        : Samples.JAVA.newStream(type)) {
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

  static byte[] redact(byte[] body, RedactionStyle style, List<Integer> sizes, ContentType type) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RedactionChoice choice = RedactionChoice.always(style);
    try (StreamScanner s = type == ContentType.MULTIPART
        ? Samples.JAVA.newRedactingMultipartStream(B, choice, out::write)
        : Samples.JAVA.newRedactingStream(type, choice, out::write)) {
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
