package dev.custos.engine;

/** Receives the bytes a redacting {@link StreamScanner} writes, in order. */
@FunctionalInterface
public interface RedactedOutput {
  /**
   * Receives redacted bytes. The array is only valid during the call; copy what must be kept.
   */
  void write(byte[] bytes, int offset, int length);
}
