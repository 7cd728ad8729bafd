package dev.custos.engine.internal.scan;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;

class TextDecoderTest {

  @Property(tries = 300)
  void firstChunkWithoutEscapesPassesAsItself(@ForAll @StringLength(min = 64, max = 300) String s) {
    byte[] bytes = s.replace('\\', '/').getBytes(StandardCharsets.UTF_8);
    TextDecoder decoder = new TextDecoder(true, null, false);
    int n = decoder.decode(bytes, 0, bytes.length);
    Statistics.label("encoding").collect(decoder.encoding());
    Statistics.label("encoding").coverage(c -> c.check(TextDecoder.Encoding.BYTES).percentage(p -> p > 50));
    if (decoder.encoding() != TextDecoder.Encoding.BYTES) {
      return;
    }
    assertThat(n).isEqualTo(bytes.length);
    assertThat(decoder.decodedArray()).isSameAs(bytes);
    assertThat(decoder.decodedOffset()).isZero();
  }

  @Property(tries = 500)
  void jsonEscapesDecodeTheSameWhateverTheChunking(
      @ForAll("jsonish") String s, @ForAll @IntRange(min = 1, max = 80) int chunk) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    assertThat(decode(bytes, chunk)).isEqualTo(decode(bytes, bytes.length + 1));
  }

  @Property(tries = 200)
  void plainBytesDecodeToThemselves(@ForAll @StringLength(max = 300) String s,
      @ForAll @IntRange(min = 1, max = 80) int chunk) {
    byte[] bytes = ("{\"a\":\"" + s.replace('\\', '/').replace('\u0000', ' ') + "\"}")
        .getBytes(StandardCharsets.UTF_8);
    TextDecoder probe = new TextDecoder(true, null, false);
    probe.decode(bytes, 0, bytes.length);
    probe.finish();
    Statistics.label("encoding").collect(probe.encoding());
    Statistics.label("encoding").coverage(c -> c.check(TextDecoder.Encoding.BYTES).percentage(p -> p > 50));
    if (probe.encoding() == TextDecoder.Encoding.BYTES) {
      assertThat(decode(bytes, chunk)).isEqualTo(bytes);
    }
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<String> jsonish() {
    return net.jqwik.api.Arbitraries.oneOf(
            net.jqwik.api.Arbitraries.of("\\u0034", "\\u00e9", "\\ud83d\\ude00", "\\ud83d", "\\\"",
                "\\\\", "\\n", "\\/", "\\x", "\\u12", "é", "\"", "a", "4111 ", ":"),
            net.jqwik.api.Arbitraries.strings().ofMaxLength(5))
        .list().ofMaxSize(60)
        .map(parts -> String.join("", parts));
  }

  private static byte[] decode(byte[] bytes, int chunk) {
    TextDecoder decoder = new TextDecoder(true, null, false);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int from = 0; from < bytes.length; from += chunk) {
      int n = decoder.decode(bytes, from, Math.min(chunk, bytes.length - from));
      out.write(decoder.decodedArray(), decoder.decodedOffset(), n);
    }
    int n = decoder.finish();
    out.write(decoder.decodedArray(), decoder.decodedOffset(), n);
    return out.toByteArray();
  }
}
