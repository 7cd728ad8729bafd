package dev.custos.proxy.internal.inspect;

import com.linecorp.armeria.common.MediaType;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The signatures ("magic numbers") that open a body of a binary media type, as the formats'
 * specifications define them, so that a body is skipped only when its first bytes prove the type
 * its {@code Content-Type} claims. A type with no signature here (SVG and other XML or JSON types,
 * {@code text/*}, {@code application/octet-stream}, anything unknown) cannot be proved, so its
 * bodies are always scanned. Signatures look at most {@value #MAX_PREFIX} bytes, and check more
 * than a bare magic number where the format fixes what follows it (PNG's first chunk is
 * {@code IHDR}, a JPEG marker follows SOI, RIFF and ISO-BMFF files name their form). Immutable and
 * thread-safe.
 */
final class MediaSignatures {
  /** The most leading bytes any signature looks at. */
  static final int MAX_PREFIX = 18;

  /** A format's test of a body's first bytes. */
  private record Signature(int prefix, Test test) {}

  @FunctionalInterface
  private interface Test {
    boolean matches(byte[] b, int n);
  }

  private static final Map<String, Signature> BY_TYPE = new HashMap<>();
  /** Office Open XML, OpenDocument and other {@code +zip} documents are ZIP containers. */
  private static final Signature ZIP;

  static {
    Signature png = sig(16, (b, n) -> starts(b, n, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)
        && starts(b, n, 8, 0, 0, 0, 13, 'I', 'H', 'D', 'R'));
    // SOI, then the 0xFF of the next marker and a marker code (APPn, DQT, SOFn, COM...).
    Signature jpeg = sig(4, (b, n) -> starts(b, n, 0, 0xFF, 0xD8, 0xFF) && n >= 4
        && (b[3] & 0xFF) >= 0xC0 && (b[3] & 0xFF) <= 0xFE);
    Signature gif = sig(6, (b, n) -> ascii(b, n, 0, "GIF87a") || ascii(b, n, 0, "GIF89a"));
    Signature webp = sig(16, (b, n) -> riff(b, n, "RIFF", "WEBP")
        && (ascii(b, n, 12, "VP8 ") || ascii(b, n, 12, "VP8L") || ascii(b, n, 12, "VP8X")));
    // "BM", then (after size and reserved fields) a DIB header of one of the defined sizes.
    Signature bmp = sig(18, (b, n) -> ascii(b, n, 0, "BM") && n >= 18
        && List.of(12, 16, 40, 52, 56, 64, 108, 124).contains(le32(b, 14)));
    Signature tiff = sig(4, (b, n) -> starts(b, n, 0, 'I', 'I', 42, 0)
        || starts(b, n, 0, 'M', 'M', 0, 42) || starts(b, n, 0, 'I', 'I', 43, 0)
        || starts(b, n, 0, 'M', 'M', 0, 43));
    // ICONDIR: reserved 0, type 1 (icon), then at least one image.
    Signature ico = sig(6, (b, n) -> starts(b, n, 0, 0, 0, 1, 0) && n >= 6
        && (b[4] != 0 || b[5] != 0));
    Signature isoBmff = sig(12, MediaSignatures::ftyp);
    Signature quickTime = sig(12, (b, n) -> ftyp(b, n) || (n >= 8 && (ascii(b, n, 4, "moov")
        || ascii(b, n, 4, "mdat") || ascii(b, n, 4, "wide") || ascii(b, n, 4, "free"))));
    Signature matroska = sig(4, (b, n) -> starts(b, n, 0, 0x1A, 0x45, 0xDF, 0xA3));
    Signature mp3 = sig(5, (b, n) -> id3(b, n) || mpegFrame(b, n));
    Signature aac = sig(4, (b, n) -> ascii(b, n, 0, "ADIF") || id3(b, n)
        || (n >= 2 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xF6) == 0xF0));
    Signature wav = sig(12, (b, n) -> riff(b, n, "RIFF", "WAVE") || riff(b, n, "RF64", "WAVE"));
    Signature avi = sig(12, (b, n) -> riff(b, n, "RIFF", "AVI "));
    Signature aiff = sig(12, (b, n) -> riff(b, n, "FORM", "AIFF") || riff(b, n, "FORM", "AIFC"));
    Signature flac = sig(4, (b, n) -> ascii(b, n, 0, "fLaC"));
    Signature ogg = sig(5, (b, n) -> ascii(b, n, 0, "OggS") && n >= 5 && b[4] == 0);
    Signature midi = sig(8, (b, n) -> ascii(b, n, 0, "MThd") && starts(b, n, 4, 0, 0, 0, 6));
    Signature pdf = sig(5, (b, n) -> ascii(b, n, 0, "%PDF-"));
    Signature zip = sig(4, (b, n) -> starts(b, n, 0, 'P', 'K', 3, 4)
        || starts(b, n, 0, 'P', 'K', 5, 6) || starts(b, n, 0, 'P', 'K', 7, 8));
    Signature gzip = sig(3, (b, n) -> starts(b, n, 0, 0x1F, 0x8B, 8));
    Signature zstd = sig(4, (b, n) -> starts(b, n, 0, 0x28, 0xB5, 0x2F, 0xFD));
    Signature sevenZip = sig(6, (b, n) -> starts(b, n, 0, '7', 'z', 0xBC, 0xAF, 0x27, 0x1C));
    Signature bzip2 = sig(4, (b, n) -> ascii(b, n, 0, "BZh") && n >= 4 && b[3] >= '1'
        && b[3] <= '9');
    Signature xz = sig(6, (b, n) -> starts(b, n, 0, 0xFD, '7', 'z', 'X', 'Z', 0));
    Signature rar = sig(6, (b, n) -> starts(b, n, 0, 'R', 'a', 'r', '!', 0x1A, 0x07));
    Signature wasm = sig(8, (b, n) -> starts(b, n, 0, 0, 'a', 's', 'm', 1, 0, 0, 0));
    Signature woff = sig(4, (b, n) -> ascii(b, n, 0, "wOFF"));
    Signature woff2 = sig(4, (b, n) -> ascii(b, n, 0, "wOF2"));
    Signature sfnt = sig(4, (b, n) -> starts(b, n, 0, 0, 1, 0, 0) || ascii(b, n, 0, "OTTO")
        || ascii(b, n, 0, "true"));
    Signature jxl = sig(12, (b, n) -> starts(b, n, 0, 0xFF, 0x0A)
        || starts(b, n, 0, 0, 0, 0, 12, 'J', 'X', 'L', ' ', 0x0D, 0x0A, 0x87, 0x0A));
    Signature jp2 = sig(12,
        (b, n) -> starts(b, n, 0, 0, 0, 0, 12, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A));

    put(png, "image/png", "image/apng", "image/x-png");
    put(jpeg, "image/jpeg", "image/jpg", "image/pjpeg");
    put(gif, "image/gif");
    put(webp, "image/webp");
    put(bmp, "image/bmp", "image/x-bmp", "image/x-ms-bmp");
    put(tiff, "image/tiff", "image/tiff-fx");
    put(ico, "image/x-icon", "image/vnd.microsoft.icon", "image/ico", "image/icon");
    put(isoBmff, "image/avif", "image/heic", "image/heif", "image/heic-sequence",
        "image/heif-sequence", "image/avif-sequence", "video/mp4", "audio/mp4", "audio/m4a",
        "audio/x-m4a", "video/x-m4v", "video/3gpp", "video/3gpp2", "audio/3gpp", "audio/3gpp2",
        "application/mp4");
    put(quickTime, "video/quicktime");
    put(matroska, "video/webm", "audio/webm", "video/x-matroska", "audio/x-matroska",
        "video/matroska", "audio/matroska");
    put(mp3, "audio/mpeg", "audio/mp3", "audio/mpeg3", "audio/x-mpeg", "audio/x-mp3",
        "audio/mpa");
    put(aac, "audio/aac", "audio/x-aac", "audio/aacp");
    put(wav, "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave");
    put(avi, "video/x-msvideo", "video/avi", "video/msvideo");
    put(aiff, "audio/aiff", "audio/x-aiff");
    put(flac, "audio/flac", "audio/x-flac");
    put(ogg, "audio/ogg", "video/ogg", "application/ogg", "audio/opus", "audio/vorbis");
    put(midi, "audio/midi", "audio/x-midi", "audio/mid");
    put(pdf, "application/pdf", "application/x-pdf");
    put(zip, "application/zip", "application/x-zip-compressed", "application/java-archive",
        "application/vnd.android.package-archive", "application/epub+zip");
    put(gzip, "application/gzip", "application/x-gzip");
    put(zstd, "application/zstd");
    put(sevenZip, "application/x-7z-compressed");
    put(bzip2, "application/x-bzip2");
    put(xz, "application/x-xz");
    put(rar, "application/vnd.rar", "application/x-rar-compressed");
    put(wasm, "application/wasm");
    put(woff, "font/woff", "application/font-woff");
    put(woff2, "font/woff2");
    put(sfnt, "font/ttf", "font/otf", "font/sfnt", "application/x-font-ttf");
    put(jxl, "image/jxl");
    put(jp2, "image/jp2", "image/jpx");
    ZIP = zip;
  }

  private MediaSignatures() {}

  private static Signature sig(int prefix, Test test) {
    return new Signature(prefix, test);
  }

  private static void put(Signature s, String... types) {
    for (String t : types) {
      BY_TYPE.put(t, s);
    }
  }

  private static @Nullable Signature of(MediaType type) {
    String name = type.type().toLowerCase(Locale.ROOT) + '/' + type.subtype().toLowerCase(Locale.ROOT);
    Signature s = BY_TYPE.get(name);
    if (s != null) {
      return s;
    }
    String sub = type.subtype().toLowerCase(Locale.ROOT);
    if (type.type().equalsIgnoreCase("application") && (sub.endsWith("+zip")
        || sub.startsWith("vnd.openxmlformats-officedocument.")
        || sub.startsWith("vnd.oasis.opendocument."))) {
      return ZIP;
    }
    return null;
  }

  /** Returns whether bodies of {@code type} can be proved by their first bytes. */
  static boolean known(MediaType type) {
    return of(type) != null;
  }

  /** Returns how many leading bytes decide for {@code type} (0 for a type with no signature). */
  static int prefix(MediaType type) {
    Signature s = of(type);
    return s == null ? 0 : s.prefix();
  }

  /**
   * Returns whether the first {@code length} bytes of a body (all of it when shorter than {@link
   * #prefix}) open a body of {@code type}. False for a type with no signature.
   */
  static boolean matches(MediaType type, byte[] head, int length) {
    Signature s = of(type);
    return s != null && s.test().matches(head, Math.min(length, head.length));
  }

  private static boolean starts(byte[] b, int n, int at, int... expected) {
    if (n < at + expected.length) {
      return false;
    }
    for (int i = 0; i < expected.length; i++) {
      if ((b[at + i] & 0xFF) != expected[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean ascii(byte[] b, int n, int at, String expected) {
    byte[] e = expected.getBytes(StandardCharsets.US_ASCII);
    if (n < at + e.length) {
      return false;
    }
    for (int i = 0; i < e.length; i++) {
      if (b[at + i] != e[i]) {
        return false;
      }
    }
    return true;
  }

  /** A RIFF-style container: the group id, a 32-bit size, then the form type. */
  private static boolean riff(byte[] b, int n, String group, String form) {
    return ascii(b, n, 0, group) && ascii(b, n, 8, form);
  }

  /** An ISO base media file (MP4, HEIF, AVIF, 3GP): a first box of type {@code ftyp}. */
  private static boolean ftyp(byte[] b, int n) {
    if (n < 12 || !ascii(b, n, 4, "ftyp")) {
      return false;
    }
    long size = be32(b, 0);
    if (size != 0 && size != 1 && size < 16) {
      return false; // Too short to hold a major brand and a minor version.
    }
    for (int i = 8; i < 12; i++) {
      int c = b[i] & 0xFF;
      if (c < 0x20 || c > 0x7E) {
        return false; // A brand is four printable characters.
      }
    }
    return true;
  }

  /** An ID3v2 tag: "ID3", a major version 2 to 4, then a revision below 0xFF. */
  private static boolean id3(byte[] b, int n) {
    return ascii(b, n, 0, "ID3") && n >= 5 && b[3] >= 2 && b[3] <= 4 && (b[4] & 0xFF) != 0xFF;
  }

  /** An MPEG audio frame header: 11 sync bits, and no reserved version, layer, rate or bitrate. */
  private static boolean mpegFrame(byte[] b, int n) {
    if (n < 3 || (b[0] & 0xFF) != 0xFF || (b[1] & 0xE0) != 0xE0) {
      return false;
    }
    int version = (b[1] >> 3) & 3;
    int layer = (b[1] >> 1) & 3;
    int bitrate = (b[2] >> 4) & 0xF;
    int rate = (b[2] >> 2) & 3;
    return version != 1 && layer != 0 && bitrate != 0xF && rate != 3;
  }

  private static long be32(byte[] b, int at) {
    return ((long) (b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8)
        | (b[at + 3] & 0xFF);
  }

  private static int le32(byte[] b, int at) {
    return (b[at] & 0xFF) | ((b[at + 1] & 0xFF) << 8) | ((b[at + 2] & 0xFF) << 16)
        | ((b[at + 3] & 0xFF) << 24);
  }
}
