package dev.custos.engine;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/** Feeds inputs to scanners chunk by chunk; holds no scanner, so using it compiles nothing. */
final class Chunked {
  private Chunked() {}

  /** Scans {@code bytes} in chunks cut at the given sizes (cycled), collecting all findings. */
  static ScanResult scan(Scanner scanner, byte[] bytes, ContentType type, List<Integer> sizes) {
    List<Finding> findings = new ArrayList<>();
    try (StreamScanner stream = scanner.newStream(type)) {
      int offset = 0;
      int i = 0;
      while (offset < bytes.length) {
        int size = sizes.isEmpty() ? bytes.length : Math.max(1, sizes.get(i++ % sizes.size()));
        int n = Math.min(size, bytes.length - offset);
        findings.addAll(stream.feed(bytes, offset, n));
        offset += n;
      }
      findings.addAll(stream.finish());
      return ScanResult.of(findings, stream.notes(), stream.bytesScanned());
    }
  }

  /** Redacts {@code bytes} in chunks cut at the given sizes (cycled). */
  static byte[] redact(Scanner scanner, byte[] bytes, ContentType type, RedactionStyle style, List<Integer> sizes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (StreamScanner stream = scanner.newRedactingStream(type, style, out::write)) {
      int offset = 0;
      int i = 0;
      while (offset < bytes.length) {
        int size = sizes.isEmpty() ? bytes.length : Math.max(1, sizes.get(i++ % sizes.size()));
        int n = Math.min(size, bytes.length - offset);
        stream.feed(bytes, offset, n);
        offset += n;
      }
      stream.finish();
    }
    return out.toByteArray();
  }
}
