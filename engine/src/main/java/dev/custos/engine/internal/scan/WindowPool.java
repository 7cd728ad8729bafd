package dev.custos.engine.internal.scan;

import org.jspecify.annotations.Nullable;

/**
 * Keeps the window buffer of the last closed stream of each thread for the next stream the thread
 * opens, so that scanning a message does not allocate (and zero) a new window. A buffer belongs to
 * one open stream at a time: a stream takes it when it opens and gives it back when it closes,
 * after which it no longer reads or writes it. Each thread keeps at most one buffer of at most
 * {@link #MAX_KEPT} bytes.
 */
final class WindowPool {
  /** The size of a new window. */
  static final int INITIAL = 8192;
  /** The largest window kept for reuse. */
  static final int MAX_KEPT = 64 * 1024;

  private static final ThreadLocal<byte @Nullable []> KEPT = new ThreadLocal<>();

  private WindowPool() {}

  /** Returns a window for a new stream: the thread's kept one, or a new one. */
  static byte[] take() {
    byte[] kept = KEPT.get();
    if (kept != null) {
      KEPT.set(null);
      return kept;
    }
    return new byte[INITIAL];
  }

  /** Takes back the window of a closed stream, which must not use it any more. */
  static void give(byte[] window) {
    if (window.length >= INITIAL && window.length <= MAX_KEPT && KEPT.get() == null) {
      KEPT.set(window);
    }
  }
}
