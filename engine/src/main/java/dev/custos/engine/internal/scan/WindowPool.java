package dev.custos.engine.internal.scan;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Keeps the window buffer, the keyword-region arrays and the scratch arrays of the last closed
 * stream of each thread for the next stream the thread opens, so that scanning a message does not
 * allocate (and zero) a new window, three arrays as long as the detector list, and the small
 * arrays a stream, its JSON tracker and its text decoder work in. What a stream takes belongs to it alone: it takes
 * it when it opens and gives it back when it closes, after which it no longer reads or writes it.
 * Each thread keeps at most one buffer of at most {@link #MAX_KEPT} bytes, one set of region
 * arrays, one {@link Scratch}, one {@link JsonScratch} and one {@link TextScratch} (whose decoded
 * bytes are at most {@link #MAX_KEPT} too), each other array of at most {@link #MAX_KEPT_ELEMENTS}
 * elements.
 */
final class WindowPool {
  /** The size of a new window. */
  static final int INITIAL = 8192;
  /** The largest window kept for reuse. */
  static final int MAX_KEPT = 64 * 1024;

  /** The most elements a kept scratch array may hold; a stream that grew one further drops it. */
  static final int MAX_KEPT_ELEMENTS = 4096;

  private static final ThreadLocal<Kept> KEPT = ThreadLocal.withInitial(Kept::new);

  /** What one thread keeps; a stream takes from and gives back to it with one lookup each. */
  static final class Kept {
    private byte @Nullable [] window;
    private @Nullable Regions regions;
    private @Nullable Scratch scratch;
    private @Nullable JsonScratch json;
    private @Nullable TextScratch text;

    private Kept() {}

    /** Returns scratch arrays for a new stream: the kept ones, or new ones. */
    Scratch takeScratch() {
      Scratch s = scratch;
      if (s != null) {
        scratch = null;
        return s;
      }
      return new Scratch();
    }

    /** Takes back the scratch arrays of a closed stream, unless one grew beyond the bound. */
    void giveScratch(Scratch s) {
      if (s.bounded()) {
        scratch = s;
      }
    }

    /** Returns a text decoder's arrays: the kept ones, or new ones. */
    TextScratch takeText() {
      TextScratch t = text;
      if (t != null) {
        text = null;
        return t;
      }
      return new TextScratch();
    }

    /** Takes back a text decoder's arrays once its stream closed, unless they grew beyond the bound. */
    void giveText(TextScratch t) {
      if (t.out.length <= MAX_KEPT) {
        text = t;
      }
    }

    /** Returns a JSON tracker's arrays: the kept ones, or new ones. */
    JsonScratch takeJson() {
      JsonScratch j = json;
      if (j != null) {
        json = null;
        return j;
      }
      return new JsonScratch();
    }

    /**
     * Takes back a JSON tracker's arrays once its stream closed, forgetting the names they held,
     * unless one grew beyond the bound.
     */
    void giveJson(JsonScratch j) {
      if (j.bounded()) {
        Arrays.fill(j.nameText, null);
        Arrays.fill(j.pathText, null);
        json = j;
      }
    }

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

  /**
   * A stream's working arrays: candidate ends (and their sort buffer), deferred ends, queued region
   * scans and keyword ends held for the next byte. Every one is read only below a count the stream
   * keeps, so a new stream may take them as a closed one left them. A stream replaces an array it
   * outgrows and puts its arrays back here when it closes.
   */
  static final class Scratch {
    long[] eventEnd = new long[64];
    int[] eventDetector = new int[64];
    long[] packed = new long[0];
    long[] deferredEnd = new long[16];
    int[] deferredDetector = new int[16];
    int[] segmentDetector = new int[16];
    int[] segmentFrom = new int[16];
    int[] segmentTo = new int[16];
    int[] segmentRow = new int[16];
    boolean[] segmentKeep = new boolean[16];
    int[] pendingPattern = new int[4];
    long[] pendingEnd = new long[4];

    boolean bounded() {
      return Math.max(eventEnd.length, packed.length) <= MAX_KEPT_ELEMENTS
          && Math.max(deferredEnd.length, segmentDetector.length) <= MAX_KEPT_ELEMENTS
          && pendingPattern.length <= MAX_KEPT_ELEMENTS;
    }
  }

  /**
   * A JSON tracker's per-depth arrays and its buffer of names. A tracker sets a depth's entries when
   * it enters that depth and reads only the depths it is in, so it may take them as another left
   * them; the decoded names and paths are cleared when they are given back.
   */
  static final class JsonScratch {
    byte[] kind = new byte[16];
    int[] index = new int[16];
    int[] nameFrom = new int[16];
    int[] nameTo = new int[16];
    @Nullable String[] nameText = new String[16];
    @Nullable String[] pathText = new String[16];
    byte[] names = new byte[256];

    boolean bounded() {
      return kind.length <= MAX_KEPT_ELEMENTS && names.length <= MAX_KEPT_ELEMENTS * 16;
    }
  }

  /**
   * A text decoder's arrays: the head it sniffs the encoding from, its decoded bytes (grown as
   * needed), a code unit cut by a chunk boundary and the escape symbols it holds back.
   */
  static final class TextScratch {
    final byte[] sniff = new byte[TextDecoder.SNIFF];
    byte[] out = new byte[0];
    final byte[] partial = new byte[4];
    final int[] heldValue = new int[16];
    final long[] heldStart = new long[16];
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
