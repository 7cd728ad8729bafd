package dev.custos.engine.internal.scan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.Backend;
import dev.custos.engine.ContentType;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Policy;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.StreamScanner;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A stream's retained bytes stay bounded by the longest match and the context window. */
class BoundedMemoryTest {
  private static final int CHUNK = 64 * 1024;

  private static byte[] chunk(ContentType type) {
    if (type == ContentType.GRPC_WEB_TEXT) {
      // gRPC-Web text: each chunk a base64 group of its own (padded at its end).
      return java.util.Base64.getEncoder().encode(chunk(ContentType.GRPC));
    }
    StringBuilder sb = new StringBuilder(CHUNK + 200);
    int i = 0;
    while (sb.length() < CHUNK) {
      if (type == ContentType.EVENT_STREAM) {
        // LLM chat chunks: the reassembled text holds the values, split across events.
        for (String piece : new String[] {"line " + i + " ssn 078-", "05-1120 card 4111 ", "1111 1111 1111 and more\n"}) {
          sb.append("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"").append(piece.replace("\n", "\\n"))
              .append("\"}}]}\n\n");
        }
      } else if (type == ContentType.PROTOBUF || type == ContentType.GRPC) {
        // Records (field 1) of one text line each (field 1 inside); gRPC frames one record each.
        byte[] line = ("line " + i + " mail jane.doe@example.com ssn 078-05-1120 and more text")
            .getBytes(StandardCharsets.UTF_8);
        byte[] record = new byte[2 + line.length];
        record[0] = 0x0a;
        record[1] = (byte) line.length;
        System.arraycopy(line, 0, record, 2, line.length);
        StringBuilder framed = new StringBuilder();
        if (type == ContentType.GRPC) {
          framed.append((char) 0).append((char) 0).append((char) 0).append((char) 0).append((char) (2 + record.length));
        }
        framed.append((char) 0x0a).append((char) record.length);
        for (byte b : record) {
          framed.append((char) (b & 0xff));
        }
        sb.append(framed);
        i++;
        continue;
      } else if (type == ContentType.MULTIPART) {
        // Parts one after another; the next chunk's first delimiter ends the last part.
        sb.append("--bnd\r\nContent-Disposition: form-data; name=\"p").append(i)
            .append("\"\r\nContent-Type: application/json\r\n\r\n{\"ssn\":\"078-05-1120\",\"note\":\"card 4111 1111 1111 1111\"}\r\n");
      } else if (type == ContentType.FORM) {
        sb.append("id=").append(i).append("&ssn=%30%37%38-05-1120&note=hello+world+").append(i)
            .append("+card+4111+1111+1111+1111&email=jane.doe%40example.com&");
      } else if (type == ContentType.JSON) {
        sb.append("{\"id\":").append(i).append(",\"ssn\":\"078-05-1120\",\"note\":\"hello world ")
            .append(i).append(" card 4111 1111 1111 1111\"}\n");
      } else {
        sb.append("line ").append(i).append(" mail jane.doe@example.com ssn 078-05-1120 and more text\n");
      }
      i++;
    }
    return sb.toString().getBytes(
        type == ContentType.PROTOBUF || type == ContentType.GRPC ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
  }

  @Test
  void retainedBytesStayBoundedOverSixtyFourMebibytes() {
    try (ScanEngine engine =
        ScanEngine.compile(
            Policy.ofDefault().detectors(),
            Backend.JAVA,
            EvidenceKey.of(new byte[32]),
            new ScanSettings(ScanSettings.DEFAULT_CONTEXT_WINDOW, 256, 1 << 20))) {
      // A form stream's escapes and separators count too, and must fit beside its window: with the
      // 32 KiB longest match (PGP private key blocks), a string per field name or escapes kept for
      // the whole window until its next drop cost more than a chunk over this bound.
      long bound = 2L * engine.maxLength() + 2L * ScanSettings.DEFAULT_CONTEXT_WINDOW + 2L * CHUNK + 16;
      for (ContentType type : ContentType.values()) {
        for (boolean redacting : new boolean[] {false, true}) {
          byte[] chunk = chunk(type);
          long[] written = {0};
          StreamScanner stream =
              redacting
                  ? engine.newStream(type, dev.custos.engine.RedactionChoice.always(RedactionStyle.MASK), (b, o, l) -> written[0] += l)
                  : engine.newStream(type, null, null);
          long findings = 0;
          long maxRetained = 0;
          for (int i = 0; i < 1024; i++) {
            findings += stream.feed(chunk, 0, chunk.length).size();
            maxRetained = Math.max(maxRetained, StreamScannerImpl.retainedBytesOf(stream));
          }
          findings += stream.finish().size();
          stream.close();
          assertThat(findings).as("%s findings", type).isGreaterThan(100_000);
          // A redacting form or JSON stream also holds the original bytes of its window, as many as
          // the decoded ones here (three times as many were all of them percent-encoded).
          long limit = redacting && type != ContentType.TEXT ? 2 * bound + 4096 : bound;
          if (redacting && type == ContentType.EVENT_STREAM) {
            // Events wait for their text's hold-back; their framing outweighs their text.
            limit += EventStream.MAX_HELD;
          }
          assertThat(maxRetained).as("%s retained (redacting=%s)", type, redacting).isLessThan(limit);
          if (redacting) {
            assertThat(written[0]).isEqualTo(1024L * chunk.length);
          }
        }
      }
    }
  }
}
