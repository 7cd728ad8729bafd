package dev.custos.proxy.internal.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Coverage-guided fuzzing of the compression decoding ({@link BodyDecoder}): whatever the bytes,
 * only {@link UninspectableException} escapes; the outcome and the decoded bytes are identical
 * whatever the chunking for every stream the JDK decodes whole, to exactly what the JDK decodes.
 *
 * <p>The first input byte picks the {@code Content-Encoding}, the second the chunk size, the
 * third whether the rest is compressed first (a valid stream, possibly cut or with a byte
 * flipped) or fed as it is. Without {@code JAZZER_FUZZ} set, only the seeds in {@code
 * BodyDecoderFuzzTestInputs/decode/} run.
 */
class BodyDecoderFuzzTest {
  private static final String[] ENCODINGS =
      {"gzip", "deflate", "x-gzip", "identity", "GZIP ", "br", "zstd", "gzip, gzip", "deflate, identity"};
  private static final long MAX_DECODED = 1 << 20;

  @FuzzTest(maxDuration = "30s")
  void decode(byte[] input) throws Exception {
    if (input.length < 3) {
      return;
    }
    String encoding = ENCODINGS[(input[0] & 0xff) % ENCODINGS.length];
    int chunk = 1 + (input[1] & 0x7f);
    int mode = input[2] & 0xff;
    byte[] body = Arrays.copyOfRange(input, 3, input.length);
    byte[] compressed = body;
    boolean valid = false;
    String single = encoding.trim().toLowerCase(java.util.Locale.ROOT);
    if ((mode & 1) != 0 && (single.equals("gzip") || single.equals("x-gzip") || single.equals("deflate"))) {
      compressed = single.equals("deflate") ? BodyDecoderTest.deflate(body) : BodyDecoderTest.gzip(body);
      valid = true;
      if ((mode & 2) != 0 && compressed.length > 0) {
        // Flip one byte of the valid stream.
        int at = (mode >> 2) % compressed.length;
        compressed[at] ^= (byte) (1 + (mode >> 5));
        valid = false;
      }
    }

    Outcome whole = run(encoding, compressed, compressed.length + 1);
    Outcome chunked = run(encoding, compressed, chunk);
    byte[] reference = valid ? body : reference(encoding, compressed);
    if (reference != null) {
      // A stream the JDK decodes whole decodes to the same bytes here, whatever the chunking.
      assertThat(whole.reason).as("a complete %s stream decodes", encoding).isNull();
      assertThat(whole.decoded).as("decoded as the JDK does").isEqualTo(reference);
      assertThat(chunked.reason).isNull();
      assertThat(chunked.decoded).as("decoded bytes whatever the chunking").isEqualTo(reference);
    }
    // Otherwise (malformed or cut short) only an uninspectable reason may escape; how much of a
    // truncated stream decodes may depend on the chunking (docs/security.md, limits).
  }

  /** Returns what the JDK decodes a complete gzip or zlib stream to, or null when it refuses it. */
  private static byte @Nullable [] reference(String encoding, byte[] compressed) {
    String e = encoding.trim().toLowerCase(java.util.Locale.ROOT);
    try (java.io.InputStream in = e.equals("deflate")
        ? new java.util.zip.InflaterInputStream(new java.io.ByteArrayInputStream(compressed))
        : e.equals("gzip") || e.equals("x-gzip") ? new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(compressed))
        : null) {
      if (in == null) {
        return e.equals("identity") ? compressed : null;
      }
      byte[] out = in.readNBytes((int) MAX_DECODED + 1);
      return out.length > MAX_DECODED ? null : out;
    } catch (java.io.IOException | RuntimeException ex) {
      return null;
    }
  }

  /** The decoded bytes, or the reason decoding refused (a plain class: Jazzer's agent rewrites it). */
  static final class Outcome {
    final byte[] decoded;
    final @Nullable String reason;

    Outcome(byte @Nullable [] decoded, @Nullable String reason) {
      this.decoded = decoded == null ? new byte[0] : decoded;
      this.reason = reason;
    }
  }

  private static Outcome run(String encoding, byte[] compressed, int chunk) {
    BodyDecoder d;
    try {
      d = BodyDecoder.forEncoding(encoding, MAX_DECODED, 1000, 2048);
    } catch (UninspectableException e) {
      return new Outcome(null, Objects.requireNonNull(e.reason()));
    }
    if (d == null) {
      return new Outcome(compressed, null);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (d) {
      for (int i = 0; i < compressed.length; i += chunk) {
        out.writeBytes(d.decode(compressed, i, Math.min(chunk, compressed.length - i)));
      }
      out.writeBytes(d.finish());
      return new Outcome(out.toByteArray(), null);
    } catch (UninspectableException e) {
      return new Outcome(null, Objects.requireNonNull(e.reason()));
    }
  }
}
