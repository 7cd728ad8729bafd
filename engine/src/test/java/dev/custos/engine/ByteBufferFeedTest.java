package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Feeding byte buffers (heap slices at an offset, read-only and direct buffers) gives the findings
 * of feeding the same bytes as an array, for every kind of stream, and consumes each buffer.
 */
class ByteBufferFeedTest {
  private static final String JSON =
      "{\"card\":\"4111 1111 1111 1111\",\"mail\":\"jane.doe@example.com\",\"ssn\":\"078-05-1120\"}";

  enum Kind {
    HEAP_SLICE(b -> {
      byte[] padded = new byte[b.length + 10];
      System.arraycopy(b, 0, padded, 5, b.length);
      return ByteBuffer.wrap(padded, 5, b.length).slice();
    }),
    READ_ONLY(b -> ByteBuffer.wrap(b).asReadOnlyBuffer()),
    DIRECT(b -> ByteBuffer.allocateDirect(b.length).put(b).flip());

    final Function<byte[], ByteBuffer> wrap;

    Kind(Function<byte[], ByteBuffer> wrap) {
      this.wrap = wrap;
    }
  }

  private static byte[] body(ContentType type) {
    byte[] json = JSON.getBytes(StandardCharsets.UTF_8);
    switch (type) {
      case EVENT_STREAM:
        return ("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"card 4111 1111 1111"
            + " 1111\"}}]}\n\n").getBytes(StandardCharsets.UTF_8);
      case MULTIPART:
        return ("--b1\r\nContent-Disposition: form-data; name=\"meta\"\r\n"
            + "Content-Type: application/json\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + java.util.Base64.getMimeEncoder().encodeToString(json) + "\r\n--b1--\r\n")
            .getBytes(StandardCharsets.UTF_8);
      case GRPC:
        // One uncompressed gRPC message: field 1, a string holding the JSON text.
        byte[] message = new byte[2 + json.length];
        message[0] = 0x0a;
        message[1] = (byte) json.length;
        System.arraycopy(json, 0, message, 2, json.length);
        return ByteBuffer.allocate(5 + message.length).put((byte) 0).putInt(message.length)
            .put(message).array();
      default:
        return json;
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void buffersGiveTheFindingsOfArraysAndAreConsumed(Kind kind) {
    Scanner scanner = TestScanners.java();
    for (ContentType type : List.of(ContentType.JSON, ContentType.TEXT, ContentType.EVENT_STREAM,
        ContentType.MULTIPART, ContentType.GRPC)) {
      byte[] bytes = body(type);
      List<Finding> expected = scanner.scan(bytes, type).findings();
      assertThat(expected).as("%s has findings", type).isNotEmpty();
      List<Finding> fed = new ArrayList<>();
      try (StreamScanner stream = scanner.newStream(type)) {
        int half = bytes.length / 2;
        for (byte[] part : List.of(
            java.util.Arrays.copyOfRange(bytes, 0, half),
            java.util.Arrays.copyOfRange(bytes, half, bytes.length))) {
          ByteBuffer buffer = kind.wrap.apply(part);
          fed.addAll(stream.feed(buffer));
          assertThat(buffer.hasRemaining()).as("%s consumed", kind).isFalse();
        }
        fed.addAll(stream.finish());
        assertThat(stream.bytesScanned()).isEqualTo(bytes.length);
      }
      assertThat(fed).as("%s %s", kind, type).isEqualTo(expected);
    }
  }
}
