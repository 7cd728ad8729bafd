package dev.custos.proxy.internal.l4;

import dev.custos.engine.ContentType;
import dev.custos.proxy.internal.inspect.RecordInspector;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Lines and syslog messages: one record per frame. A line is scanned whole, as text or JSON; a
 * syslog message's header is kept and its MSG part scanned as text ({@link SyslogHeader}).
 */
final class TextCodec implements RecordCodec {
  private final RecordInspector inspector;
  private final TcpMetrics metrics;
  private final ContentType type;
  private final boolean syslog;

  TextCodec(RecordInspector inspector, TcpMetrics metrics, ContentType type, boolean syslog) {
    this.inspector = inspector;
    this.metrics = metrics;
    this.type = type;
    this.syslog = syslog;
  }

  @Override
  public byte @Nullable [] encode(byte[] content, FrameSink.Framing framing,
      RecordInspector.Source source, Consumer<byte[]> reply) {
    int start = syslog ? SyslogHeader.messageStart(content) : 0;
    byte[] scanned = start == 0 ? content
        : java.util.Arrays.copyOfRange(content, start, content.length);
    RecordInspector.Outcome o = inspector.inspect(scanned, type,
        syslog ? "$.message" : "$.line", source);
    switch (o.verdict()) {
      case DROP -> {
        metrics.record("dropped");
        return null;
      }
      case REDACT -> {
        metrics.record("redacted");
        byte[] redacted = java.util.Objects.requireNonNull(o.redacted(), "redacted");
        byte[] out = new byte[start + redacted.length];
        System.arraycopy(content, 0, out, 0, start);
        System.arraycopy(redacted, 0, out, start, redacted.length);
        return RecordCodec.frame(out, framing);
      }
      default -> {
        metrics.record("forwarded");
        return RecordCodec.frame(content, framing);
      }
    }
  }
}
