package dev.custos.engine.internal.scan;

import dev.custos.engine.Finding;
import dev.custos.engine.RedactedOutput;
import dev.custos.engine.ScanNote;
import dev.custos.engine.StreamScanner;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A stream of text or JSON that may be UTF-16 or UTF-32: the main scan decodes the text as its
 * first bytes say (see {@link TextDecoder}), and when they say UTF-16 or UTF-32, a second scan reads
 * the same bytes as they are, so that a byte-order mark, a NUL pattern or a charset label that lies
 * hides nothing from a receiver that reads them as bytes. When redacting, the second scan reads the
 * main scan's output and writes the stream's, so it rewrites what the first left readable. The
 * findings of both are reported; the second scan's offsets are those of the main scan's output,
 * which are the original offsets unless a {@code hash} label changed a length.
 *
 * <p>Costs one copy of the first {@link TextDecoder#SNIFF} bytes when the text is UTF-8, and a
 * second scan when it is not. Not thread-safe.
 */
final class TranscodedStream implements StreamScanner {
  private final StreamScanner main;
  private final Function<@Nullable RedactedOutput, StreamScanner> bytesScanner;
  private final java.nio.charset.@Nullable Charset charset;
  private final @Nullable RedactedOutput output;
  private final byte[] head = new byte[TextDecoder.SNIFF];
  private int headLength;
  private boolean decided;
  private @Nullable StreamScanner bytes;
  private final List<Finding> fromBytes = new ArrayList<>();

  /**
   * Wraps a main scan built by {@code mainScanner} (given the output its redaction writes to);
   * {@code bytesScanner} builds the scan of the bytes as they are.
   */
  TranscodedStream(
      Function<@Nullable RedactedOutput, StreamScanner> mainScanner,
      Function<@Nullable RedactedOutput, StreamScanner> bytesScanner,
      java.nio.charset.@Nullable Charset charset,
      @Nullable RedactedOutput output) {
    this.bytesScanner = bytesScanner;
    this.charset = charset;
    this.output = output;
    this.main = mainScanner.apply(output == null ? null : this::mainOutput);
  }

  private void mainOutput(byte[] b, int offset, int length) {
    StreamScanner s = bytes;
    if (s == null) {
      Objects.requireNonNull(output).write(b, offset, length);
    } else {
      fromBytes.addAll(s.feed(b, offset, length));
    }
  }

  private void decide() {
    decided = true;
    if (TextDecoder.sniff(head, headLength, charset) == TextDecoder.Encoding.BYTES) {
      return;
    }
    StreamScanner s = bytesScanner.apply(output);
    bytes = s;
    if (output == null) {
      fromBytes.addAll(s.feed(head, 0, headLength));
    }
  }

  @Override
  public List<Finding> feed(byte[] b, int offset, int length) {
    Objects.requireNonNull(b, "b");
    Objects.checkFromIndexSize(offset, length, b.length);
    int from = offset;
    if (!decided) {
      int take = Math.min(head.length - headLength, length);
      System.arraycopy(b, offset, head, headLength, take);
      headLength += take;
      from += take;
      if (headLength == head.length) {
        decide();
      }
    }
    List<Finding> found = main.feed(b, offset, length);
    StreamScanner s = bytes;
    if (s != null && output == null && from < offset + length) {
      fromBytes.addAll(s.feed(b, from, offset + length - from));
    }
    return merge(found);
  }

  @Override
  public List<Finding> finish() {
    if (!decided) {
      decide();
    }
    List<Finding> found = main.finish();
    StreamScanner s = bytes;
    if (s != null) {
      fromBytes.addAll(s.finish());
    }
    return merge(found);
  }

  private List<Finding> merge(List<Finding> found) {
    if (fromBytes.isEmpty()) {
      return found;
    }
    List<Finding> all = new ArrayList<>(found);
    all.addAll(fromBytes);
    fromBytes.clear();
    return List.copyOf(all);
  }

  @Override
  public Set<ScanNote> notes() {
    StreamScanner s = bytes;
    if (s == null || s.notes().isEmpty()) {
      return main.notes();
    }
    EnumSet<ScanNote> all = EnumSet.noneOf(ScanNote.class);
    all.addAll(main.notes());
    all.addAll(s.notes());
    return Set.copyOf(all);
  }

  @Override
  public long bytesScanned() {
    return main.bytesScanned();
  }

  /** Returns how many bytes both scans hold (for tests of the memory bound). */
  long retainedBytes() {
    long n = main instanceof StreamScannerImpl ? ((StreamScannerImpl) main).retainedBytes() : 0;
    StreamScanner s = bytes;
    if (s instanceof StreamScannerImpl) {
      n += ((StreamScannerImpl) s).retainedBytes();
    }
    return n + head.length;
  }

  @Override
  public void close() {
    try {
      main.close();
    } finally {
      StreamScanner s = bytes;
      if (s != null) {
        s.close();
      }
    }
  }

  @Override
  public String toString() {
    return "TranscodedStream{main=" + main + ", bytes=" + (bytes != null) + '}';
  }
}
