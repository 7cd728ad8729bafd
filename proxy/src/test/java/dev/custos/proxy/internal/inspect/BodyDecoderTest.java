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
  void unknownEncodingIsUninspectableAloneOrAsOneLayer() {
    assertThatThrownBy(() -> BodyDecoder.forEncoding("compress", 1 << 20, 100, 8192))
        .isInstanceOf(UninspectableException.class).hasMessage("unsupported_encoding");
    assertThatThrownBy(() -> BodyDecoder.forEncoding("gzip, dcz", 1 << 20, 100, 8192))
        .isInstanceOf(UninspectableException.class).hasMessage("unsupported_encoding");
    assertThatThrownBy(() -> BodyDecoder.forEncoding("x-compress, gzip", 1 << 20, 100, 8192))
        .isInstanceOf(UninspectableException.class).hasMessage("unsupported_encoding");
  }

  @Test
  void stackedEncodingsAreUndoneFromTheLastApplied() throws Exception {
    byte[] text = "ssn 078-05-1120 in a doubly coded body".getBytes(StandardCharsets.UTF_8);
    assertThat(decodeOneByteAtATime(BodyDecoder.forEncoding("gzip, gzip", 1 << 20, 100, 7),
        gzip(gzip(text)))).isEqualTo(text);
    // deflate applied first, then zstd: zstd is undone first.
    assertThat(decodeOneByteAtATime(BodyDecoder.forEncoding("deflate, zstd", 1 << 20, 100, 8192),
        zstd(deflate(text)))).isEqualTo(text);
    assertThat(decodeOneByteAtATime(
        BodyDecoder.forEncoding("identity, gzip, identity", 1 << 20, 100, 8192), gzip(text)))
        .isEqualTo(text);
  }

  @Test
  void codingNamesIgnoreCaseWhitespaceAndEmptyElements() throws Exception {
    assertThat(BodyDecoder.codings(" GZip ,, x-gzip,\tIdentity , ZSTD"))
        .containsExactly("gzip", "gzip", "zstd");
    assertThat(BodyDecoder.forEncoding(" IDENTITY , ", 1, 1, 1)).isNull();
    assertThat(BodyDecoder.forEncoding("", 1, 1, 1)).isNull();
    byte[] text = "plain".getBytes(StandardCharsets.UTF_8);
    assertThat(decodeOneByteAtATime(BodyDecoder.forEncoding("X-GZIP", 1 << 20, 100, 8192),
        gzip(text))).isEqualTo(text);
  }

  @Test
  void zstdDecodesWhateverTheChunkingAcrossFrames() throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      sb.append("line ").append(i).append(" card 4111111111111111\n");
    }
    byte[] text = sb.toString().getBytes(StandardCharsets.UTF_8);
    byte[] frames = concat(zstd(text), zstd("second frame".getBytes(StandardCharsets.UTF_8)));
    byte[] expected = concat(text, "second frame".getBytes(StandardCharsets.UTF_8));
    assertThat(decodeOneByteAtATime(BodyDecoder.forEncoding("zstd", 64L << 20, 100, 2048),
        frames)).isEqualTo(expected);
    BodyDecoder whole = BodyDecoder.forEncoding("zstd", 64L << 20, 100, 2048);
    assertThat(concat(whole.decode(frames, 0, frames.length), whole.finish())).isEqualTo(expected);
  }

  @Test
  void zstdBombStopsAtTheRatioAndTheSizeLimit() throws Exception {
    byte[] bomb = zstd(new byte[8 << 20]);
    assertThat(bomb.length).isLessThan(4096);
    BodyDecoder byRatio = BodyDecoder.forEncoding("zstd", 64L << 20, 100, 2048);
    assertThatThrownBy(() -> {
      byRatio.decode(bomb, 0, bomb.length);
      byRatio.finish();
    }).isInstanceOf(UninspectableException.class).hasMessage("ratio_exceeded");
    BodyDecoder bySize = BodyDecoder.forEncoding("zstd", 1 << 20, 1 << 30, 2048);
    assertThatThrownBy(() -> {
      bySize.decode(bomb, 0, bomb.length);
      bySize.finish();
    }).isInstanceOf(UninspectableException.class).hasMessage("decoded_too_large");
  }

  @Test
  void aBombInAnInnerLayerStopsToo() throws Exception {
    byte[] bomb = gzip(zstd(new byte[8 << 20]));
    BodyDecoder d = BodyDecoder.forEncoding("zstd, gzip", 64L << 20, 100, 2048);
    assertThatThrownBy(() -> {
      d.decode(bomb, 0, bomb.length);
      d.finish();
    }).isInstanceOf(UninspectableException.class).hasMessage("ratio_exceeded");
  }

  @Test
  void truncatedOrBrokenZstdIsMalformed() throws Exception {
    byte[] whole = zstd("ssn 078-05-1120 ".repeat(1000).getBytes(StandardCharsets.UTF_8));
    BodyDecoder cut = BodyDecoder.forEncoding("zstd", 1 << 20, 100, 2048);
    assertThatThrownBy(() -> {
      cut.decode(whole, 0, whole.length - 5);
      cut.finish();
    }).isInstanceOf(UninspectableException.class).hasMessage("malformed_encoding");
    byte[] text = "not zstd at all".getBytes(StandardCharsets.UTF_8);
    BodyDecoder bad = BodyDecoder.forEncoding("zstd", 1 << 20, 100, 2048);
    assertThatThrownBy(() -> {
      bad.decode(text, 0, text.length);
      bad.finish();
    }).isInstanceOf(UninspectableException.class).hasMessage("malformed_encoding");
    BodyDecoder trailing = BodyDecoder.forEncoding("zstd", 1 << 20, 100, 2048);
    byte[] withJunk = concat(whole, new byte[] {1, 2});
    assertThatThrownBy(() -> {
      trailing.decode(withJunk, 0, withJunk.length);
      trailing.finish();
    }).isInstanceOf(UninspectableException.class).hasMessage("malformed_encoding");
  }

  @Test
  void anEmptyBodyNeedsNoDecoding() throws Exception {
    assertThat(BodyDecoder.forEncoding("zstd", 1 << 20, 100, 2048).finish()).isEmpty();
    assertThat(BodyDecoder.forEncoding("gzip, zstd", 1 << 20, 100, 2048).finish()).isEmpty();
  }

  static byte[] zstd(byte[] bytes) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (io.airlift.compress.zstd.ZstdOutputStream z =
        new io.airlift.compress.zstd.ZstdOutputStream(out)) {
      z.write(bytes);
    }
    return out.toByteArray();
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
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

  static byte[] brotli(byte[] bytes) throws Exception {
    com.aayushatharva.brotli4j.Brotli4jLoader.ensureAvailability();
    return com.aayushatharva.brotli4j.encoder.Encoder.compress(bytes);
  }

  static byte[] rawDeflate(byte[] bytes) {
    java.util.zip.Deflater d = new java.util.zip.Deflater(6, true);
    d.setInput(bytes);
    d.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    while (!d.finished()) {
      out.write(buf, 0, d.deflate(buf));
    }
    d.end();
    return out.toByteArray();
  }

  private static final byte[] TEXT =
      "ssn 078-05-1120 EXAMPLE, some text that compresses ".repeat(400)
          .getBytes(StandardCharsets.UTF_8);

  /** Decodes whole and then one byte at a time; both must refuse as malformed. */
  private static void assertMalformed(String encoding, byte[] body) throws Exception {
    BodyDecoder whole = BodyDecoder.forEncoding(encoding, 1 << 20, 100, 2048);
    assertThatThrownBy(() -> {
      whole.decode(body, 0, body.length);
      whole.finish();
    }).as("%s body of %d bytes, whole", encoding, body.length)
        .isInstanceOf(UninspectableException.class).hasMessage("malformed_encoding");
    BodyDecoder bytewise = BodyDecoder.forEncoding(encoding, 1 << 20, 100, 7);
    assertThatThrownBy(() -> decodeOneByteAtATime(bytewise, body))
        .as("%s body of %d bytes, byte by byte", encoding, body.length)
        .isInstanceOf(UninspectableException.class).hasMessage("malformed_encoding");
  }

  private static byte[] cut(byte[] b, int length) {
    return java.util.Arrays.copyOf(b, length);
  }

  @Test
  void gzipCutShortAnywhereIsMalformed() throws Exception {
    byte[] gz = gzip(TEXT);
    // In the header, right after it, mid-data, before the trailer, mid-trailer, one byte short.
    for (int at : new int[] {1, 5, 10, gz.length / 2, gz.length - 8, gz.length - 4,
        gz.length - 1}) {
      assertMalformed("gzip", cut(gz, at));
    }
  }

  @Test
  void deflateCutShortAnywhereIsMalformed() throws Exception {
    byte[] zlib = deflate(TEXT);
    for (int at : new int[] {1, 2, zlib.length / 2, zlib.length - 4, zlib.length - 1}) {
      assertMalformed("deflate", cut(zlib, at));
    }
    byte[] raw = rawDeflate(TEXT);
    for (int at : new int[] {1, raw.length / 2, raw.length - 1}) {
      assertMalformed("deflate", cut(raw, at));
    }
  }

  @Test
  void rawDeflateDecodesLikeZlib() throws Exception {
    byte[] raw = rawDeflate(TEXT);
    assertThat(decodeOneByteAtATime(BodyDecoder.forEncoding("deflate", 1 << 20, 100, 3), raw))
        .isEqualTo(TEXT);
  }

  @Test
  void brotliCutShortAnywhereIsMalformed() throws Exception {
    byte[] br = brotli(TEXT);
    assertThat(decodeOneByteAtATime(BodyDecoder.forEncoding("br", 1 << 20, 100, 5), br))
        .isEqualTo(TEXT);
    for (int at : new int[] {1, br.length / 2, br.length - 1}) {
      assertMalformed("br", cut(br, at));
    }
  }

  @Test
  void zstdCutShortAnywhereIsMalformed() throws Exception {
    byte[] z = zstd(TEXT);
    for (int at : new int[] {1, 4, z.length / 2, z.length - 1}) {
      assertMalformed("zstd", cut(z, at));
    }
  }

  @Test
  void aCutInnerLayerIsMalformedToo() throws Exception {
    // The outer gzip is whole; the zstd inside it is cut short.
    byte[] inner = zstd(TEXT);
    assertMalformed("zstd, gzip", gzip(cut(inner, inner.length - 3)));
    byte[] zlib = deflate(TEXT);
    assertMalformed("deflate, gzip", gzip(cut(zlib, zlib.length - 2)));
  }

  @Test
  void aWrongCheckIsMalformed() throws Exception {
    byte[] gz = gzip(TEXT);
    byte[] badCrc = gz.clone();
    badCrc[gz.length - 8] ^= 1;
    assertMalformed("gzip", badCrc);
    byte[] badSize = gz.clone();
    badSize[gz.length - 1] ^= 1;
    assertMalformed("gzip", badSize);
    byte[] zlib = deflate(TEXT);
    byte[] badAdler = zlib.clone();
    badAdler[zlib.length - 1] ^= 1;
    assertMalformed("deflate", badAdler);
  }

  @Test
  void gzipMembersOneAfterTheOtherDecodeInTurn() throws Exception {
    byte[] a = "first member ".getBytes(StandardCharsets.UTF_8);
    byte[] two = concat(gzip(a), gzip(TEXT));
    assertThat(decodeOneByteAtATime(BodyDecoder.forEncoding("gzip", 1 << 20, 100, 3), two))
        .isEqualTo(concat(a, TEXT));
    // A second member cut short is as malformed as a first one.
    assertMalformed("gzip", cut(two, two.length - 5));
  }

  @Test
  void bytesAfterTheEndAreMalformed() throws Exception {
    byte[] garbage = "EXAMPLE trailing bytes".getBytes(StandardCharsets.UTF_8);
    assertMalformed("gzip", concat(gzip(TEXT), garbage));
    assertMalformed("gzip", concat(gzip(TEXT), new byte[8]));
    assertMalformed("deflate", concat(deflate(TEXT), garbage));
    assertMalformed("deflate", concat(rawDeflate(TEXT), garbage));
    assertMalformed("br", concat(brotli(TEXT), garbage));
    assertMalformed("zstd", concat(zstd(TEXT), garbage));
  }

  /** A gzip member with every optional header field, written by hand (RFC 1952, section 2.3). */
  private static byte[] gzipWithAllFields(boolean goodHeaderCrc) throws Exception {
    byte[] plain = gzip(TEXT);
    ByteArrayOutputStream h = new ByteArrayOutputStream();
    h.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3});
    h.writeBytes(new byte[] {3, 0, 'a', 'b', 'c'}); // FEXTRA: XLEN 3
    h.writeBytes("name.txt\0".getBytes(StandardCharsets.ISO_8859_1)); // FNAME
    h.writeBytes("a comment\0".getBytes(StandardCharsets.ISO_8859_1)); // FCOMMENT
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(h.toByteArray());
    int crc16 = (int) crc.getValue() & 0xffff ^ (goodHeaderCrc ? 0 : 1);
    h.write(crc16 & 0xff);
    h.write(crc16 >>> 8);
    // The deflate data and trailer of a plain member follow its 10-byte header.
    h.write(plain, 10, plain.length - 10);
    return h.toByteArray();
  }

  @Test
  void gzipHeaderFieldsAreSkippedAndTheHeaderCrcChecked() throws Exception {
    assertThat(decodeOneByteAtATime(
        BodyDecoder.forEncoding("gzip", 1 << 20, 100, 2), gzipWithAllFields(true)))
        .isEqualTo(TEXT);
    assertMalformed("gzip", gzipWithAllFields(false));
  }
}
