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
 * Server-Sent Events: chunking never changes findings, notes or redacted output (chunks end
 * inside events, between CR and LF, inside escapes), a planted value split across any number of
 * events is found, and every style keeps the length and leaves the values unreadable.
 */
class EventStreamProperties {

  @Provide
  Arbitrary<byte[]> stream() {
    Arbitrary<String> text = Combinators.combine(
            Arbitraries.strings().withCharRange('a', 'z').withChars(' ', '"', '\\', '\n', 'é').ofMaxLength(12),
            Arbitraries.of(Samples.PLANTED),
            Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(12))
        .as((a, v, b) -> a + " " + v + " " + b);
    return Combinators.combine(text, Arbitraries.integers().between(1, 25), Arbitraries.of("\n", "\r\n", "\r"),
            Arbitraries.integers().between(0, 3), Arbitraries.of(true, false))
        .as((t, n, eol, extra, escapeAll) -> {
          List<String> pieces = EventStreamContentTest.split(t, Math.min(n, t.length()));
          StringBuilder sb = new StringBuilder();
          for (int i = 0; i < pieces.size(); i++) {
            String p = escapeAll ? unicode(pieces.get(i)) : EventStreamContentTest.json(pieces.get(i));
            if (i % 4 == extra) {
              sb.append(": ping").append(eol).append(eol);
            }
            sb.append("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":").append(p).append("}}]}")
                .append(eol).append(eol);
          }
          return sb.append("data: [DONE]").append(eol).append(eol).toString().getBytes(StandardCharsets.UTF_8);
        });
  }

  /** Writes every character as a JSON unicode escape. */
  private static String unicode(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      sb.append(String.format("\\u%04x", (int) c));
    }
    return sb.append('"').toString();
  }

  @Provide
  Arbitrary<List<Integer>> chunking() {
    return Arbitraries.integers().between(1, 40).list().ofMinSize(1).ofMaxSize(8);
  }

  @Property(tries = 300, seed = "20261207")
  void aSplitValueIsFoundWhateverTheChunking(@ForAll("stream") byte[] body, @ForAll("chunking") List<Integer> sizes) {
    ScanResult oneShot = scan(body, List.of());
    ScanResult chunked = scan(body, sizes);
    assertThat(chunked.findings()).isEqualTo(oneShot.findings());
    assertThat(chunked.notes()).isEqualTo(oneShot.notes());
    assertThat(scan(body, List.of(1)).findings()).isEqualTo(oneShot.findings());
    assertThat(oneShot.findings()).isNotEmpty();
    for (Finding f : oneShot.findings()) {
      assertThat(f.end()).isLessThanOrEqualTo(body.length);
    }
    Statistics.label("events").collect(new String(body, StandardCharsets.UTF_8).split("data: \\{").length > 10 ? "many" : "few");
  }

  @Property(tries = 200, seed = "20261207")
  void redactionKeepsTheLengthAndHidesTheValueWhateverTheChunking(@ForAll("stream") byte[] body,
      @ForAll("chunking") List<Integer> sizes, @ForAll RedactionStyle style) {
    byte[] oneShot = redact(body, style, List.of());
    assertThat(redact(body, style, sizes)).isEqualTo(oneShot);
    assertThat(oneShot).hasSameSizeAs(body);
    if (style != RedactionStyle.PARTIAL) {
      assertThat(scan(oneShot, List.of()).findings()).isEmpty();
    }
    // The framing is kept: the same lines, in the same places.
    String before = new String(body, StandardCharsets.UTF_8);
    String after = new String(oneShot, StandardCharsets.UTF_8);
    assertThat(after.split("data: ", -1).length).isEqualTo(before.split("data: ", -1).length);
  }

  static ScanResult scan(byte[] body, List<Integer> sizes) {
    List<Finding> findings = new ArrayList<>();
    try (StreamScanner s = Samples.JAVA.newStream(ContentType.EVENT_STREAM)) {
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
    try (StreamScanner s = Samples.JAVA.newRedactingStream(ContentType.EVENT_STREAM, style, out::write)) {
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
