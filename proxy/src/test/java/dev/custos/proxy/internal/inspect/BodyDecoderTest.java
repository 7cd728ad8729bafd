package dev.custos.proxy.internal.inspect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class BodyDecoderTest {
  static byte[] gzip(byte[] bytes) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }

  static byte[] deflate(byte[] bytes) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream d = new DeflaterOutputStream(out)) {
      d.write(bytes);
    }
    return out.toByteArray();
  }

  static byte[] decodeOneByteAtATime(BodyDecoder d, byte[] in) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < in.length; i++) {
      out.writeBytes(d.decode(in, i, 1));
    }
    out.writeBytes(d.finish());
    return out.toByteArray();
  }

  @Test
  void gzipAndDeflateDecodeWhateverTheChunking() throws Exception {
    byte[] text = "card 4111111111111111 and more text".repeat(50).getBytes(StandardCharsets.UTF_8);
    assertThat(decodeOneByteAtATime(BodyDecoder.forEncoding("gzip", 1 << 20, 100, 8192),
        gzip(text))).isEqualTo(text);
    assertThat(decodeOneByteAtATime(BodyDecoder.forEncoding("deflate", 1 << 20, 100, 8192),
        deflate(text))).isEqualTo(text);
  }

  @Test
  void identityAndAbsentEncodingNeedNoDecoder() throws Exception {
    assertThat(BodyDecoder.forEncoding(null, 1, 1, 1)).isNull();
    assertThat(BodyDecoder.forEncoding("identity", 1, 1, 1)).isNull();
  }

  @Test
  void unknownOrStackedEncodingIsUninspectable() {
    assertThatThrownBy(() -> BodyDecoder.forEncoding("compress", 1 << 20, 100, 8192))
        .isInstanceOf(UninspectableException.class).hasMessage("unsupported_encoding");
    assertThatThrownBy(() -> BodyDecoder.forEncoding("gzip, br", 1 << 20, 100, 8192))
        .isInstanceOf(UninspectableException.class).hasMessage("unsupported_encoding");
  }

  @Test
  void bombStopsAtTheRatioPastTheFirstMebibyte() throws Exception {
    byte[] bomb = gzip(new byte[2 << 20]);
    BodyDecoder d = BodyDecoder.forEncoding("gzip", 64L << 20, 100, 2048);
    assertThatThrownBy(() -> d.decode(bomb, 0, bomb.length))
        .isInstanceOf(UninspectableException.class).hasMessage("ratio_exceeded");
  }

  @Test
  void decodedSizeIsCapped() throws Exception {
    byte[] zeros = gzip(new byte[200_000]);
    BodyDecoder d = BodyDecoder.forEncoding("gzip", 100_000, 1_000_000, 8192);
    assertThatThrownBy(() -> {
      d.decode(zeros, 0, zeros.length);
      d.finish();
    }).isInstanceOf(UninspectableException.class).hasMessage("decoded_too_large");
  }

  @Test
  void brokenGzipIsMalformed() throws Exception {
    byte[] bad = "definitely not gzip".getBytes(StandardCharsets.UTF_8);
    BodyDecoder d = BodyDecoder.forEncoding("gzip", 1 << 20, 100, 8192);
    assertThatThrownBy(() -> {
      d.decode(bad, 0, bad.length);
      d.finish();
    }).isInstanceOf(UninspectableException.class).hasMessage("malformed_encoding");
  }
}
