package dev.custos.engine.internal.scan;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Keeps the window buffer and the keyword-region arrays of the last closed stream of each thread
 * for the next stream the thread opens, so that scanning a message does not allocate (and zero) a
 * new window and three arrays as long as the detector list. What a stream takes belongs to it
 * alone: it takes it when it opens and gives it back when it closes, after which it no longer
 * reads or writes it. Each thread keeps at most one buffer of at most {@link #MAX_KEPT} bytes and
 * one set of region arrays.
 */
final class WindowPool {
  /** The size of a new window. */
  static final int INITIAL = 8192;
  /** The largest window kept for reuse. */
  static final int MAX_KEPT = 64 * 1024;

  private static final ThreadLocal<Kept> KEPT = ThreadLocal.withInitial(Kept::new);

  /** What one thread keeps; a stream takes from and gives back to it with one lookup each. */
  static final class Kept {
    private byte @Nullable [] window;
    private @Nullable Regions regions;

    private Kept() {}

    /** Returns a window for a new stream: the kept one, or a new one. */
    byte[] takeWindow() {
      byte[] kept = window;
      if (kept != null) {
        window = null;
        return kept;
      }
      return new byte[INITIAL];
    }

    /** Takes back the window of a closed stream, which must not use it any more. */
    void giveWindow(byte[] w) {
      if (w.length >= INITIAL && w.length <= MAX_KEPT && window == null) {
        window = w;
      }
    }

    /** Returns region arrays for a new stream over {@code detectors} detectors, as new. */
    Regions takeRegions(int detectors) {
      Regions r = regions;
      if (r != null && r.pos.length == detectors) {
        regions = null;
        r.reset();
        return r;
      }
      return new Regions(detectors);
    }

    /** Takes back the region arrays of a closed stream, which must not use them any more. */
    void giveRegions(Regions r) {
      regions = r;
    }
  }

  /**
   * Per detector, a stream's keyword region: where its scan has reached, where it ends, and the
   * row the detector's packed automaton reached (-1: its initial row). As a new stream needs them:
   * positions 0, rows -1.
   */
  static final class Regions {
    final long[] pos;
    final long[] end;
    final int[] state;
    /**
     * The detectors whose region has opened (their end is no longer 0), in the order they first
     * opened: the only entries a stream changes, so the only ones a stream scans and a reset
     * restores, however many detectors there are.
     */
    final int[] touched;
    int touchedCount;

    Regions(int detectors) {
      pos = new long[detectors];
      end = new long[detectors];
      state = new int[detectors];
      touched = new int[detectors];
      Arrays.fill(state, -1);
    }

    /** Records that detector {@code g}'s region is about to open; call while its end is 0. */
    void touch(int g) {
      touched[touchedCount++] = g;
    }

    private void reset() {
      for (int k = 0; k < touchedCount; k++) {
        int g = touched[k];
        pos[g] = 0;
        end[g] = 0;
        state[g] = -1;
      }
      touchedCount = 0;
    }
  }

  private WindowPool() {}

  /** Returns what the current thread keeps. */
  static Kept kept() {
    return KEPT.get();
  }

  /** Returns a window for a new stream: the thread's kept one, or a new one. */
  static byte[] take() {
    return kept().takeWindow();
  }

  /** Takes back the window of a closed stream, which must not use it any more. */
  static void give(byte[] window) {
    kept().giveWindow(window);
  }

  /** Returns region arrays for a new stream over {@code detectors} detectors, as new. */
  static Regions takeRegions(int detectors) {
    return kept().takeRegions(detectors);
  }

  /** Takes back the region arrays of a closed stream, which must not use them any more. */
  static void giveRegions(Regions regions) {
    kept().giveRegions(regions);
  }
}
