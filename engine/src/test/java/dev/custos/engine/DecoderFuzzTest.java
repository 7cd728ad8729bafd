package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Coverage-guided fuzzing of the engine's decoders: JSON (Jackson's non-blocking parser and the
 * escape decoding), forms (percent-decoding), multipart bodies, and text in UTF-8, UTF-16 or UTF-32
 * (encoding sniffing, transcoding, a declared charset), protobuf (the wire-format walk), gRPC
 * framing, and base64 and quoted-printable (gRPC-Web text, transfer-encoded multipart parts). Invariants for every input: no exception escapes;
 * findings and notes are identical whatever the chunking; a masking redaction keeps the length,
 * never lets a finding's letters or digits through where they were written plain, and leaves no
 * finding readable where it was.
 *
 * <p>The first input byte picks the chunk size, the second the declared charset; the rest is the
 * body. Without {@code JAZZER_FUZZ} set, each target runs only its seeds
 * ({@code src/test/resources/dev/custos/engine/DecoderFuzzTestInputs/<target>/}) as ordinary tests.
 */
class DecoderFuzzTest {
  private static final List<@Nullable Charset> CHARSETS = java.util.Arrays.asList(
      null, StandardCharsets.UTF_8, StandardCharsets.UTF_16, StandardCharsets.UTF_16LE,
      StandardCharsets.UTF_16BE, Charset.forName("UTF-32"), StandardCharsets.ISO_8859_1, null);

  @FuzzTest(maxDuration = "30s")
  void json(byte[] input) {
    check(input, ContentType.JSON);
  }

  @FuzzTest(maxDuration = "30s")
  void text(byte[] input) {
    check(input, ContentType.TEXT);
  }

  @FuzzTest(maxDuration = "30s")
  void form(byte[] input) {
    check(input, ContentType.FORM);
  }

  /** Protobuf wire format, walked without a schema (the declared charset is ignored). */
  @FuzzTest(maxDuration = "30s")
  void protobuf(byte[] input) {
    check(input, ContentType.PROTOBUF);
  }

  /** A gRPC body: length-prefixed messages, some compressed, each walked as protobuf. */
  @FuzzTest(maxDuration = "30s")
  void grpc(byte[] input) {
    check(input, ContentType.GRPC);
  }

  /**
   * Raw bytes as a multipart body whose boundary the first line gives (a body that starts
   * otherwise is malformed and scanned as text): the splitting on delimiters held across chunks,
   * part headers, parts scanned as JSON, forms, text or nested multipart.
   */
  @FuzzTest(maxDuration = "30s")
  void multipart(byte[] input) {
    check(input, ContentType.MULTIPART);
  }

  /**
   * Raw bytes as a Server-Sent Events stream: event and line splitting (CR, LF, CRLF across
   * chunks), data lines joined, chunks of choices parsed, choice text reassembled and decoded from
   * JSON escapes, redaction written back into the events.
   */
  @FuzzTest(maxDuration = "30s")
  void eventStream(byte[] input) {
    check(input, ContentType.EVENT_STREAM);
  }

  /**
   * A gRPC-Web text body. The third byte picks the form: odd, the rest is taken as it is (so the
   * fuzzer explores characters outside the alphabet, padding and cut quanta); even, the rest is a
   * gRPC-Web body, base64-encoded in groups of 1 to 32 bytes each padded on its own.
   */
  @FuzzTest(maxDuration = "30s")
  void grpcWebText(byte[] input) {
    if (input.length < 3) {
      return;
    }
    int mode = input[2] & 0xff;
    byte[] rest = java.util.Arrays.copyOfRange(input, 3, input.length);
    byte[] body = (mode & 1) != 0 ? rest : groups(rest, 1 + ((mode >> 1) & 31));
    check(concat(input[0], input[1], body), ContentType.GRPC_WEB_TEXT);
  }

  /**
   * A multipart part with a {@code Content-Transfer-Encoding}. The third byte picks the encoding
   * (base64 or quoted-printable), the part's type (text, JSON, form) and whether the rest is taken
   * as written or encoded first (MIME base64 with line breaks, or quoted-printable escaping every
   * byte outside printable ASCII).
   */
  @FuzzTest(maxDuration = "30s")
  void transferEncodedPart(byte[] input) {
    if (input.length < 3) {
      return;
    }
    int mode = input[2] & 0xff;
    byte[] rest = java.util.Arrays.copyOfRange(input, 3, input.length);
    boolean base64 = (mode & 1) == 0;
    String type = new String[] {"text/plain", "application/json", "application/x-www-form-urlencoded",
        "text/plain; charset=utf-16"}[(mode >> 1) & 3];
    byte[] content = rest;
    if ((mode & 8) == 0) {
      content = base64 ? java.util.Base64.getMimeEncoder().encode(rest) : quotedPrintable(rest);
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(("--fz\r\nContent-Type: " + type + "\r\nContent-Transfer-Encoding: "
        + (base64 ? "base64" : "quoted-printable") + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    body.writeBytes(content);
    body.writeBytes("\r\n--fz--\r\n".getBytes(StandardCharsets.US_ASCII));
    check(concat(input[0], input[1], body.toByteArray()), ContentType.MULTIPART);
  }

  private static byte[] groups(byte[] plain, int size) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < plain.length; i += size) {
      sb.append(java.util.Base64.getEncoder().encodeToString(
          java.util.Arrays.copyOfRange(plain, i, Math.min(plain.length, i + size))));
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] quotedPrintable(byte[] plain) {
    StringBuilder sb = new StringBuilder();
    for (byte b : plain) {
      int c = b & 0xff;
      if (c == '=' || c > 126 || (c < 32 && c != '\r' && c != '\n')) {
        sb.append('=').append(String.format("%02X", c));
      } else {
        sb.append((char) c);
      }
    }
    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] concat(byte first, byte second, byte[] body) {
    byte[] out = new byte[2 + body.length];
    out[0] = first;
    out[1] = second;
    System.arraycopy(body, 0, out, 2, body.length);
    return out;
  }

  /**
   * The body is read as UTF-8 text and written again in the encoding the third byte picks (UTF-8,
   * UTF-16LE/BE or UTF-32LE/BE, with or without a byte-order mark), so that the fuzzer explores
   * escapes and transcoding rather than invalid UTF-16.
   */
  @FuzzTest(maxDuration = "30s")
  void unicodeJson(byte[] input) {
    if (input.length < 3) {
      return;
    }
    String[] names = {"UTF-8", "UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE"};
    Charset cs = Charset.forName(names[(input[2] & 0xff) % names.length]);
    String body = new String(input, 3, input.length - 3, StandardCharsets.UTF_8);
    if ((input[2] & 0x80) != 0) {
      body = "\uFEFF" + body;
    }
    byte[] encoded = body.getBytes(cs);
    byte[] rebuilt = new byte[2 + encoded.length];
    rebuilt[0] = input[0];
    rebuilt[1] = input[1];
    System.arraycopy(encoded, 0, rebuilt, 2, encoded.length);
    check(rebuilt, ContentType.JSON);
  }

  static void check(byte[] input, ContentType type) {
    if (input.length < 2) {
      return;
    }
    int chunk = 1 + (input[0] & 0x3f);
    Charset charset = CHARSETS.get((input[1] & 0xff) % CHARSETS.size());
    byte[] body = java.util.Arrays.copyOfRange(input, 2, input.length);

    Result oneShot = scan(body, type, charset, body.length + 1);
    Result chunked = scan(body, type, charset, chunk);
    assertThat(sorted(chunked.findings)).as("findings whatever the chunking").isEqualTo(sorted(oneShot.findings));
    assertThat(chunked.notes).isEqualTo(oneShot.notes);

    byte[] masked = redact(body, type, charset, chunk);
    if (type != ContentType.GRPC && type != ContentType.GRPC_WEB_TEXT) {
      // A compressed gRPC message is re-compressed: its length may change.
      assertThat(masked.length).as("mask keeps the length").isEqualTo(body.length);
    }
    assertThat(redact(body, type, charset, body.length + 1)).as("redaction whatever the chunking").isEqualTo(masked);
    for (Finding f : oneShot.findings) {
      int s = (int) f.start();
      int e = (int) f.end();
      if (type != ContentType.GRPC && type != ContentType.GRPC_WEB_TEXT && plainlyWritten(body, s, e, type)) {
        for (int i = s; i < e; i++) {
          if (isAlphanumeric(body[i]) && body[i] != '0') {
            assertThat(masked[i]).as("byte %d of a %s finding", i, f.category()).isNotEqualTo(body[i]);
          }
        }
      }
    }
    for (Finding again : scan(masked, type, charset, body.length + 1).findings) {
      for (Finding f : oneShot.findings) {
        boolean samePlace = again.start() < f.end() && f.start() < again.end();
        assertThat(samePlace && again.evidence().hash().equals(f.evidence().hash()))
            .as("a %s finding still readable after masking", f.category()).isFalse();
      }
    }
  }

  /** Returns whether the span is the value's own bytes: no escape, no NUL of UTF-16 or UTF-32. */
  private static boolean plainlyWritten(byte[] body, int start, int end, ContentType type) {
    if (type == ContentType.EVENT_STREAM) {
      return false; // A value split across events spans the framing between its pieces.
    }
    if (type == ContentType.MULTIPART && new String(body, StandardCharsets.ISO_8859_1)
        .toLowerCase(java.util.Locale.ROOT).contains("content-transfer-encoding")) {
      return false; // A transfer-encoded part's finding spans the characters encoding it.
    }
    for (int i = start; i < end; i++) {
      byte b = body[i];
      if (b == 0 || b == '\\' || ((type == ContentType.FORM || type == ContentType.MULTIPART) && (b == '%' || b == '+'))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isAlphanumeric(byte b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
  }

  record Result(List<Finding> findings, Set<ScanNote> notes) {}

  static Result scan(byte[] body, ContentType type, @Nullable Charset charset, int chunk) {
    List<Finding> findings = new ArrayList<>();
    try (StreamScanner s = Samples.JAVA.newStream(type, charset)) {
      for (int i = 0; i < body.length; i += chunk) {
        findings.addAll(s.feed(body, i, Math.min(chunk, body.length - i)));
      }
      findings.addAll(s.finish());
      return new Result(findings, s.notes());
    }
  }

  static byte[] redact(byte[] body, ContentType type, @Nullable Charset charset, int chunk) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (StreamScanner s = Samples.JAVA.newRedactingStream(
        type, charset, RedactionChoice.always(RedactionStyle.MASK), out::write)) {
      for (int i = 0; i < body.length; i += chunk) {
        s.feed(body, i, Math.min(chunk, body.length - i));
      }
      s.finish();
    }
    return out.toByteArray();
  }

  static List<Finding> sorted(List<Finding> findings) {
    List<Finding> copy = new ArrayList<>(findings);
    copy.sort(Comparator.comparingLong(Finding::start).thenComparingLong(Finding::end)
        .thenComparing(Finding::detector));
    return copy;
  }
}
