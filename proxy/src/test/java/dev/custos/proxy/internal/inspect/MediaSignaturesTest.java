package dev.custos.proxy.internal.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.MediaType;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MediaSignaturesTest {
  static final List<MediaType> DEFAULT_SKIPS =
      List.of(MediaType.parse("image/*"), MediaType.parse("audio/*"), MediaType.parse("video/*"));

  static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  static boolean proves(String type, byte[] head) {
    return MediaSignatures.matches(MediaType.parse(type), head, head.length);
  }

  static byte[] image(String format) throws Exception {
    BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(img, format, out)).isTrue();
    return out.toByteArray();
  }

  @Test
  void realImagesWrittenByImageIoAreProved() throws Exception {
    assertThat(proves("image/png", image("png"))).isTrue();
    assertThat(proves("image/jpeg", image("jpeg"))).isTrue();
    assertThat(proves("image/gif", image("gif"))).isTrue();
    assertThat(proves("image/bmp", image("bmp"))).isTrue();
    assertThat(proves("image/tiff", image("tiff"))).isTrue();
  }

  @Test
  void signaturesFromTheFormatSpecificationsAreProved() {
    assertThat(proves("image/webp", ascii("RIFF\u0024\0\0\0WEBPVP8 "))).isTrue();
    assertThat(proves("audio/wav", ascii("RIFF\u0024\0\0\0WAVEfmt "))).isTrue();
    assertThat(proves("video/mp4", ascii("\0\0\0\u0018ftypisom\0\0\u0002\0"))).isTrue();
    assertThat(proves("image/avif", ascii("\0\0\0\u001cftypavif\0\0\0\0"))).isTrue();
    assertThat(proves("image/heic", ascii("\0\0\0\u0018ftypheic\0\0\0\0"))).isTrue();
    assertThat(proves("video/webm", bytes(0x1A, 0x45, 0xDF, 0xA3, 0x9F))).isTrue();
    assertThat(proves("audio/mpeg", ascii("ID3\u0004\0\0\0\0\0\0"))).isTrue();
    assertThat(proves("audio/mpeg", bytes(0xFF, 0xFB, 0x90, 0x64, 0x00))).isTrue();
    assertThat(proves("audio/flac", ascii("fLaC\0\0\0\""))).isTrue();
    assertThat(proves("audio/ogg", ascii("OggS\0\u0002\0\0"))).isTrue();
    assertThat(proves("application/pdf", ascii("%PDF-1.7\n"))).isTrue();
    assertThat(proves("application/zip", ascii("PK\u0003\u0004\u0014\0"))).isTrue();
    assertThat(proves("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ascii("PK\u0003\u0004\u0014\0"))).isTrue();
    assertThat(proves("image/x-icon", bytes(0, 0, 1, 0, 1, 0, 16, 16))).isTrue();
  }

  @ParameterizedTest
  @CsvSource({
      "image/png, '{\"ssn\":\"078-05-1120\"}'",
      "image/jpeg, 'ssn 078-05-1120'",
      "video/mp4, 'ssn 078-05-1120 and more text'",
      "audio/mpeg, 'ID3 ssn 078-05-1120'",
      "image/webp, 'RIFF1234WEBX and text'",
      "application/pdf, 'PDF 078-05-1120'",
  })
  void textLabelledAsABinaryTypeIsNotProved(String type, String text) {
    assertThat(proves(type, ascii(text))).isFalse();
  }

  @Test
  void aBareMagicNumberFollowedByTextIsNotEnoughWhereTheFormatFixesMore() {
    // PNG's first chunk must be IHDR; a JPEG's SOI is followed by a marker; RIFF names its form.
    assertThat(proves("image/png", ascii("\u0089PNG\r\n\u001a\n078-05-1120"))).isFalse();
    assertThat(proves("image/jpeg", ascii("\u00ff\u00d8\u00ff078-05-1120"))).isFalse();
    assertThat(proves("image/webp", ascii("RIFF\u0024\0\0\0WAVEfmt "))).isFalse();
    assertThat(proves("video/mp4", ascii("\0\0\0\u0004ftyp\u0001\u0002\u0003\u0004"))).isFalse();
    assertThat(proves("image/png", bytes(0x89, 'P', 'N'))).as("shorter than the signature")
        .isFalse();
  }

  @Test
  void aRealSignatureOfAnotherTypeDoesNotProveTheClaimedOne() throws Exception {
    assertThat(proves("image/png", image("jpeg"))).isFalse();
    assertThat(proves("video/mp4", image("png"))).isFalse();
  }

  @Test
  void textTypesAndUnknownTypesAreNeverSkippable() {
    assertThat(Media.skippable(MediaType.parse("image/svg+xml"), DEFAULT_SKIPS)).isNull();
    assertThat(Media.skippable(MediaType.parse("image/x-made-up"), DEFAULT_SKIPS)).isNull();
    assertThat(Media.skippable(MediaType.parse("application/octet-stream"),
        List.of(MediaType.parse("application/octet-stream")))).isNull();
    assertThat(Media.skippable(MediaType.parse("application/vnd.api+json"),
        List.of(MediaType.parse("application/*")))).isNull();
    assertThat(Media.skippable(null, DEFAULT_SKIPS)).isNull();
  }

  @Test
  void skipListMatchingIgnoresCaseAndParameters() {
    assertThat(Media.skippable(MediaType.parse("IMAGE/PNG; charset=utf-8"), DEFAULT_SKIPS))
        .isNotNull();
    assertThat(Media.skippable(MediaType.parse("Video/MP4"), DEFAULT_SKIPS)).isNotNull();
    assertThat(Media.skippable(MediaType.parse("application/pdf"), DEFAULT_SKIPS)).isNull();
    assertThat(Media.skippable(MediaType.parse("application/pdf"),
        List.of(MediaType.parse("APPLICATION/PDF")))).isNotNull();
    assertThat(MediaSignatures.matches(MediaType.parse("IMAGE/PNG; charset=utf-8"),
        ascii("\u0089PNG\r\n\u001a\n\0\0\0\rIHDR"), 16)).isTrue();
  }
}
