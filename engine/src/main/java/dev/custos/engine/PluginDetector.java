package dev.custos.engine;

import java.util.List;

/**
 * Finds values of a category in a window of bytes, implemented outside the engine (for example by
 * a WebAssembly module in the {@code wasm} module). One instance serves every stream of a {@link
 * Scanner}, so implementations must be thread-safe.
 *
 * <p>The scanner calls {@link #detect} with bounded, overlapping windows of each stream (see
 * {@link PluginDetectorDefinition#maxWindow()} and {@link PluginDetectorDefinition#maxLength()}),
 * synchronously, on the thread that feeds the stream. Windows are placed by stream offset only,
 * so the same bytes give the same calls whatever the chunking.
 */
public interface PluginDetector extends AutoCloseable {
  /**
   * Returns the matches in {@code bytes[offset, offset + length)}, with offsets relative to {@code
   * offset}, in any order. Must neither keep nor change the bytes.
   *
   * @throws PluginDetectorException (or any other unchecked exception) when the detector fails;
   *     the scanner then applies the definition's {@link PluginDetectorDefinition#onError()}
   */
  List<PluginMatch> detect(byte[] bytes, int offset, int length);

  /** Releases the detector's resources; called once by {@link Scanner#close()}. Does nothing by default. */
  @Override
  default void close() {}
}
