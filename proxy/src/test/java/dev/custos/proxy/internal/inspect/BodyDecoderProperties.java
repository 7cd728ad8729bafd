package dev.custos.proxy.internal.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Invariants of layered body decoding: whatever the codings stacked (gzip, deflate, zstd, in any
 * order, identity layers anywhere), whatever the chunking of the compressed bytes and the decoder's
 * slice, the decoded bytes are the original ones; and a body cut short is either decoded to a
 * prefix of the original or refused, never something else.
 */
class BodyDecoderProperties {
  @Provide
  Arbitrary<List<String>> codings() {
    return Arbitraries.of("gzip", "deflate", "zstd", "identity").list().ofMinSize(1).ofMaxSize(3);
  }

  static byte[] encode(byte[] plain, List<String> codings) throws Exception {
    byte[] b = plain;
    for (String c : codings) {
      switch (c) {
        case "gzip" -> b = BodyDecoderTest.gzip(b);
        case "deflate" -> b = BodyDecoderTest.deflate(b);
        case "zstd" -> b = BodyDecoderTest.zstd(b);
        default -> { }
      }
    }
    return b;
  }

  static byte[] decodeInChunks(BodyDecoder d, byte[] in, int chunk) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < in.length; i += chunk) {
      out.writeBytes(d.decode(in, i, Math.min(chunk, in.length - i)));
    }
    out.writeBytes(d.finish());
    return out.toByteArray();
  }

  @Property(tries = 200)
  void stackedCodingsDecodeToTheOriginalWhateverTheChunking(
      @ForAll @Size(max = 3000) byte[] plain,
      @ForAll("codings") List<String> codings,
      @ForAll @IntRange(min = 1, max = 700) int chunk,
      @ForAll @IntRange(min = 1, max = 4096) int slice) throws Exception {
    byte[] coded = encode(plain, codings);
    BodyDecoder d = BodyDecoder.forEncoding(String.join(", ", codings), 1 << 20, 100, slice);
    byte[] decoded = d == null ? coded : decodeInChunks(d, coded, chunk);
    assertThat(decoded).isEqualTo(plain);
  }

  @Property(tries = 200)
  void aCutBodyDecodesToAPrefixOrIsRefused(
      @ForAll @Size(min = 1, max = 3000) byte[] plain,
      @ForAll("codings") List<String> codings,
      @ForAll @IntRange(min = 1, max = 64) int drop,
      @ForAll @IntRange(min = 1, max = 700) int chunk) throws Exception {
    byte[] coded = encode(plain, codings);
    byte[] cut = java.util.Arrays.copyOf(coded, Math.max(0, coded.length - drop));
    BodyDecoder d = BodyDecoder.forEncoding(String.join(", ", codings), 1 << 20, 100, 2048);
    if (d == null) {
      return;
    }
    byte[] decoded;
    try {
      decoded = decodeInChunks(d, cut, chunk);
    } catch (UninspectableException e) {
      assertThat(e.reason()).isIn(UninspectableException.MALFORMED_ENCODING,
          UninspectableException.DECODED_TOO_LARGE, UninspectableException.RATIO_EXCEEDED);
      return;
    }
    assertThat(decoded.length).isLessThanOrEqualTo(plain.length);
    assertThat(java.util.Arrays.copyOf(plain, decoded.length)).isEqualTo(decoded);
  }
}
