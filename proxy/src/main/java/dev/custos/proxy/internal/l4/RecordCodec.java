package dev.custos.proxy.internal.l4;

import dev.custos.proxy.internal.inspect.RecordInspector;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Inspects the records of one frame and frames what is forwarded again: a redacted record may
 * change length, so its frame is rewritten (a new octet count, a new MessagePack encoding).
 */
interface RecordCodec {
  /**
   * Returns the bytes to forward upstream for one frame, framing included, or null for none.
   *
   * @param reply sends bytes back to the client (a Fluentd ack for a chunk the proxy dropped)
   */
  byte @Nullable [] encode(byte[] content, FrameSink.Framing framing,
      RecordInspector.Source source, Consumer<byte[]> reply);

  /** Returns the frame {@code content} delimited as {@code framing} says. */
  static byte[] frame(byte[] content, FrameSink.Framing framing) {
    switch (framing) {
      case LINE_FEED -> {
        byte[] out = java.util.Arrays.copyOf(content, content.length + 1);
        out[content.length] = '\n';
        return out;
      }
      case OCTET_COUNTED -> {
        byte[] count = (content.length + " ").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] out = new byte[count.length + content.length];
        System.arraycopy(count, 0, out, 0, count.length);
        System.arraycopy(content, 0, out, count.length, content.length);
        return out;
      }
      default -> {
        return content;
      }
    }
  }
}
