package dev.custos.engine.internal.match;

import dev.custos.engine.internal.pattern.ByteDfa;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The product of a group of searching DFAs ({@code .*P}), built lazily as input reaches new
 * combined states and shared by all threads: one group of a {@link JavaMatcher}. Each byte costs one
 * table read once its state is known; a state not seen before costs one step per member pattern.
 *
 * <p>Memory: a generation holds at most {@link #maxStates()} combined states, each taking {@code
 * classCount} table entries, {@code members} components and its accept lists (tables grow as
 * states are added, so a generation only takes what input made it meet). When full, a fresh
 * generation replaces it (streams move over at their next chunk): memory stays bounded and time
 * linear, only a cache miss costs more.
 */
final class ProductDfa {
  /** A table entry not computed yet; negative, so the fast loop stops on it. */
  static final int UNKNOWN = -1;
  /** The bit of a table entry that says the state it leads to accepts a member. */
  static final int ACCEPTS = Integer.MIN_VALUE;
  /** The bits of a table entry that hold the row it leads to. */
  static final int ROW = Integer.MAX_VALUE;

  private static final VarHandle TABLE = MethodHandles.arrayElementVarHandle(int[].class);

  private final ByteDfa[] dfas;
  /** The id reported for each member. */
  private final int[] ids;
  private final boolean[] raw;
  final int[] byteClass;
  final int classCount;
  final boolean[] wordClass;
  /** Per member: the next state for (state, class), flattened as state * classCount + class. */
  private final int[][] classTables;
  /** The components of the initial state: every member's initial state. */
  private final int[] initialComponents;
  private final int maxStates;
  private volatile Generation generation;
  /** Generations created after the first, for tests and diagnostics. */
  private volatile int turnovers;

  /**
   * Builds the product of {@code dfas} (reported as {@code ids}; those marked {@code raw} report
   * every end, the others only ends followed by a non-word byte or the end of input), holding at
   * most {@code maxStates} combined states per generation, and fewer when their table rows and
   * components would take more than {@code maxInts} ints.
   */
  ProductDfa(ByteDfa[] dfas, int[] ids, boolean[] raw, int maxStates, int maxInts) {
    if (maxStates < 1) {
      throw new IllegalArgumentException("maxStates: " + maxStates + " (expected: at least 1)");
    }
    this.dfas = dfas.clone();
    this.ids = ids.clone();
    this.raw = raw.clone();
    this.byteClass = new int[256];
    this.classCount = computeByteClasses(this.dfas, byteClass);
    this.maxStates = Math.max(1, Math.min(maxStates, maxInts / (classCount + this.dfas.length)));
    this.wordClass = new boolean[classCount];
    for (int b = 0; b < 256; b++) {
      wordClass[byteClass[b]] = JavaMatcher.isWord(b);
    }
    int[] representative = new int[classCount];
    for (int b = 255; b >= 0; b--) {
      representative[byteClass[b]] = b;
    }
    this.classTables = new int[this.dfas.length][];
    for (int d = 0; d < this.dfas.length; d++) {
      ByteDfa dfa = this.dfas[d];
      int[] table = new int[dfa.size() * classCount];
      for (int s = 0; s < dfa.size(); s++) {
        for (int c = 0; c < classCount; c++) {
          table[s * classCount + c] = dfa.step(s, representative[c]);
        }
      }
      classTables[d] = table;
    }
    this.initialComponents = new int[this.dfas.length];
    for (int d = 0; d < this.dfas.length; d++) {
      initialComponents[d] = this.dfas[d].initial();
    }
    this.generation = new Generation(this);
  }

  int members() {
    return dfas.length;
  }

  int maxStates() {
    return maxStates;
  }

  int turnovers() {
    return turnovers;
  }

  Generation generation() {
    return generation;
  }

  /**
   * Groups bytes that every member DFA treats alike and that are alike in being word bytes;
   * returns the number of groups.
   */
  private static int computeByteClasses(ByteDfa[] dfas, int[] byteClass) {
    // Refine the partition {word bytes, other bytes} by each DFA in turn: two bytes stay together
    // when every state of the DFA steps alike on them. A column hash finds the candidates, an
    // exact comparison with the class's first byte confirms.
    int[] current = new int[256];
    for (int b = 0; b < 256; b++) {
      current[b] = JavaMatcher.isWord(b) ? 1 : 0;
    }
    for (ByteDfa dfa : dfas) {
      int size = dfa.size();
      int[] hash = new int[256];
      for (int b = 0; b < 256; b++) {
        int h = current[b];
        for (int s = 0; s < size; s++) {
          h = 31 * h + dfa.step(s, b);
        }
        hash[b] = h;
      }
      int[] next = new int[256];
      int[] firstOf = new int[256];
      int classes = 0;
      for (int b = 0; b < 256; b++) {
        int found = -1;
        for (int c = 0; c < classes && found < 0; c++) {
          int r = firstOf[c];
          if (hash[r] == hash[b] && current[r] == current[b] && sameColumn(dfa, r, b)) {
            found = c;
          }
        }
        if (found < 0) {
          found = classes;
          firstOf[classes++] = b;
        }
        next[b] = found;
      }
      current = next;
    }
    // Number the classes in order of their first byte.
    int[] id = new int[256];
    Arrays.fill(id, -1);
    int count = 0;
    for (int b = 0; b < 256; b++) {
      if (id[current[b]] < 0) {
        id[current[b]] = count++;
      }
      byteClass[b] = id[current[b]];
    }
    return count;
  }

  private static boolean sameColumn(ByteDfa dfa, int a, int b) {
    for (int s = 0; s < dfa.size(); s++) {
      if (dfa.step(s, a) != dfa.step(s, b)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns a cursor at the initial state of the current generation. The initial state is interned
   * once per generation, so opening a stream costs neither a look-up of every member's state nor
   * an allocation beyond the cursor.
   */
  Cursor newCursor() {
    Cursor cursor = new Cursor(generation);
    int s = cursor.gen.initialState;
    if (s < 0) {
      s = intern(cursor, initialComponents);
      // Benign race: every thread finds the same id for the same components in one generation.
      cursor.gen.initialState = s;
    }
    cursor.row = s * classCount;
    cursor.table = cursor.gen.table;
    return cursor;
  }

  /**
   * Returns the id of the state with these components in the cursor's generation; when that
   * generation is full, moves the cursor to a fresh one (shared with every other cursor).
   */
  private int intern(Cursor cursor, int[] components) {
    while (true) {
      Generation gen = cursor.gen;
      synchronized (gen) {
        int s = gen.intern(components);
        if (s >= 0) {
          return s;
        }
      }
      cursor.gen = renew(gen);
    }
  }

  /** Replaces a full generation with a fresh one, unless another thread already did. */
  private synchronized Generation renew(Generation full) {
    if (generation == full) {
      generation = new Generation(this);
      turnovers++;
    }
    return generation;
  }

  /**
   * Computes and caches the transition from {@code from} on class {@code cls}; moves the cursor to
   * a fresh generation when its own is full. Returns the next state in the cursor's (possibly new)
   * generation.
   */
  private int computeNext(Cursor cursor, int from, int cls) {
    Generation gen = cursor.gen;
    int[] components;
    synchronized (gen) {
      int known = (int) TABLE.getAcquire(gen.table, from * classCount + cls);
      if (known != UNKNOWN) {
        return (known & ROW) / classCount;
      }
      components = gen.scratch;
      int base = from * dfas.length;
      for (int d = 0; d < components.length; d++) {
        components[d] = classTables[d][gen.components[base + d] * classCount + cls];
      }
      int next = gen.intern(components);
      if (next >= 0) {
        TABLE.setRelease(gen.table, from * classCount + cls, gen.entry(next));
        return next;
      }
      components = components.clone();
    }
    cursor.gen = renew(gen);
    return intern(cursor, components);
  }

  /**
   * One cache of combined states: a flat transition table ({@code state * classCount + class})
   * and, per state, its components and accepting members. A table entry is {@link #UNKNOWN} until
   * computed, then {@link #entry(int)} of the next state: its row offset, with the sign bit
   * ({@link #ACCEPTS}) set when the state accepts any member. The scanning loop thus needs neither
   * a multiply, a shift nor a flag lookup per byte (an entry that is not negative is the next row
   * itself, so each step's dependent work is one add and one load), and stops only on negative
   * entries (unknown or accepting); a row never reaches {@link #ROW}, so {@link #UNKNOWN} is never
   * an accepting entry.
   *
   * <p>Everything is written under the generation's monitor; entries with release semantics, after
   * the state they lead to is complete. The loop reads entries plainly (an int is never torn, and
   * all it takes from one is the next row and the accept bit) from a table that may be an older,
   * smaller copy: an entry there only leads to rows that copy has, and a stale unknown entry is
   * looked up again under the monitor. Accept lists are read through volatile fields after an
   * acquire read of the entry that leads to the state.
   */
  static final class Generation {
    private final ProductDfa product;
    private final int members;
    volatile int[] table;
    /** Per state: the ids reported when a match ends on it, held until a non-word byte; or null. */
    volatile int[] @Nullable [] held;
    /** Per state: the ids of raw members reported at once; or null. */
    volatile int[] @Nullable [] rawAccepts;
    /** Components of state s at [s * members, (s + 1) * members). */
    private int[] components;
    /** Open addressing: state + 1, or 0 for an empty slot. */
    private int[] slots;
    private int count;
    final int[] scratch;
    /** The id of the initial state once a cursor has started here, else -1. */
    volatile int initialState = -1;

    Generation(ProductDfa product) {
      this.product = product;
      this.members = product.dfas.length;
      int capacity = Math.min(product.maxStates, 64);
      this.table = unknownTable(capacity * product.classCount);
      this.held = new int[capacity][];
      this.rawAccepts = new int[capacity][];
      this.components = new int[capacity * members];
      this.slots = new int[Integer.highestOneBit(capacity * 2 - 1) * 2];
      this.scratch = new int[members];
    }

    private static int[] unknownTable(int length) {
      int[] table = new int[length];
      Arrays.fill(table, UNKNOWN);
      return table;
    }

    /** Returns the table entry leading to state {@code s}. */
    int entry(int s) {
      boolean accepts = held[s] != null || rawAccepts[s] != null;
      return s * product.classCount | (accepts ? ACCEPTS : 0);
    }

    int stateCount() {
      return count;
    }

    /** Returns a copy of the components of state {@code s}; under the monitor. */
    int[] components(int s) {
      return Arrays.copyOfRange(components, s * members, (s + 1) * members);
    }

    /** Returns the id of the state with these components, adding it; -1 when full. */
    int intern(int[] key) {
      int hash = hash(key);
      int mask = slots.length - 1;
      int i = hash & mask;
      for (int slot = slots[i]; slot != 0; slot = slots[i]) {
        if (Arrays.equals(components, (slot - 1) * members, slot * members, key, 0, members)) {
          return slot - 1;
        }
        i = (i + 1) & mask;
      }
      if (count == product.maxStates) {
        return -1;
      }
      int s = count;
      if (s == held.length) {
        grow();
        mask = slots.length - 1;
        i = hash & mask;
        while (slots[i] != 0) {
          i = (i + 1) & mask;
        }
      }
      System.arraycopy(key, 0, components, s * members, members);
      int heldCount = 0;
      int rawCount = 0;
      for (int d = 0; d < members; d++) {
        if (product.dfas[d].isAccept(key[d])) {
          if (product.raw[d]) {
            rawCount++;
          } else {
            heldCount++;
          }
        }
      }
      if (heldCount + rawCount > 0) {
        int[] h = heldCount > 0 ? new int[heldCount] : null;
        int[] r = rawCount > 0 ? new int[rawCount] : null;
        heldCount = 0;
        rawCount = 0;
        for (int d = 0; d < members; d++) {
          if (product.dfas[d].isAccept(key[d])) {
            if (product.raw[d]) {
              r[rawCount++] = product.ids[d];
            } else {
              h[heldCount++] = product.ids[d];
            }
          }
        }
        held[s] = h;
        rawAccepts[s] = r;
      }
      slots[i] = s + 1;
      count++;
      return s;
    }

    private void grow() {
      int capacity = (int) Math.min((long) held.length * 2, product.maxStates);
      int[] bigger = Arrays.copyOf(table, capacity * product.classCount);
      Arrays.fill(bigger, table.length, bigger.length, UNKNOWN);
      components = Arrays.copyOf(components, capacity * members);
      // Accept lists first: whoever sees the bigger table may look up any state it holds.
      held = Arrays.copyOf(held, capacity);
      rawAccepts = Arrays.copyOf(rawAccepts, capacity);
      table = bigger;
      int[] rehashed = new int[Integer.highestOneBit(capacity * 2 - 1) * 2];
      int mask = rehashed.length - 1;
      for (int s = 0; s < count; s++) {
        int i = hash(components, s * members, members) & mask;
        while (rehashed[i] != 0) {
          i = (i + 1) & mask;
        }
        rehashed[i] = s + 1;
      }
      slots = rehashed;
    }

    private static int hash(int[] key) {
      return hash(key, 0, key.length);
    }

    private static int hash(int[] values, int from, int length) {
      int h = 0;
      for (int k = from; k < from + length; k++) {
        h = (h ^ values[k]) * 0x9E3779B1;
      }
      return h ^ (h >>> 15);
    }
  }

  /**
   * One stream's position in this product: its generation, row (state × classes) and the ends it
   * holds back until the next byte shows whether they end on a word boundary. Confined to one
   * thread at a time.
   */
  final class Cursor {
    private Generation gen;
    private int row;
    /** The generation's table as last read; possibly an older copy (see {@link Generation}). */
    private int[] table;
    /** Ids whose matches ended on the last byte, a word byte; reported before a non-word byte. */
    private int @Nullable [] held;

    private Cursor(Generation gen) {
      this.gen = gen;
      this.table = gen.table;
    }

    private ProductDfa outer() {
      return ProductDfa.this;
    }

    /** Moves to the current generation, if it changed since the last chunk. */
    private void begin() {
      Generation current = generation;
      if (current != gen) {
        int[] components;
        synchronized (gen) {
          components = gen.components(row / classCount);
        }
        gen = current;
        int state = intern(this, components);
        row = state * classCount;
        table = gen.table;
      }
    }

    /**
     * Steps over {@code bytes[i]}, computing the transition when unknown, and reports the ends it
     * gives: {@code base + i} is the stream offset just past it.
     */
    private void step(byte[] bytes, int i, long base, EndSink sink) {
      int cls = byteClass[bytes[i] & 0xff];
      int[] h = held;
      if (h != null) {
        // A match that ended on a word byte can only end before a non-word byte.
        if (!wordClass[cls]) {
          for (int d : h) {
            sink.onEnd(d, base + i - 1);
          }
        }
        held = null;
      }
      int e = (int) TABLE.getAcquire(table, row + cls);
      if (e == UNKNOWN) {
        int next = computeNext(this, row / classCount, cls);
        table = gen.table;
        e = gen.entry(next);
      }
      row = e & ROW;
      if (e < 0) {
        int s = row / classCount;
        Generation g = gen;
        int[] r = g.rawAccepts[s];
        if (r != null) {
          for (int d : r) {
            sink.onEnd(d, base + i);
          }
        }
        int[] hs = g.held[s];
        if (hs != null) {
          if (wordClass[cls]) {
            held = hs;
          } else {
            for (int d : hs) {
              sink.onEnd(d, base + i);
            }
          }
        }
      }
    }

    /**
     * Scans {@code bytes[off, off + length)}, which start at stream offset {@code offset}, and
     * reports the ends to {@code sink}.
     */
    void scan(byte[] bytes, int off, int length, long offset, EndSink sink) {
      begin();
      long base = offset - off + 1;
      int end = off + length;
      int i = off;
      while (i < end) {
        if (held == null) {
          long stop = run(table, byteClass, bytes, i, end, row);
          i = (int) (stop >>> 32);
          row = (int) stop;
          if (i == end) {
            break;
          }
        }
        step(bytes, i, base, sink);
        i++;
      }
    }

    /** Reports the ends still held back, at stream offset {@code offset} (the end of input). */
    void finish(long offset, EndSink sink) {
      int[] h = held;
      if (h != null) {
        for (int d : h) {
          sink.onEnd(d, offset);
        }
        held = null;
      }
    }
  }

  /**
   * Scans {@code bytes[off, off + length)}, which start at stream offset {@code offset}, with two
   * cursors in step: their table reads do not depend on each other, so the processor overlaps
   * them, and two groups cost little more than one.
   */
  static void scanPair(Cursor a, Cursor b, byte[] bytes, int off, int length, long offset, EndSink sink) {
    a.begin();
    b.begin();
    long base = offset - off + 1;
    int end = off + length;
    int i = off;
    while (i < end) {
      if (a.held == null && b.held == null) {
        i = runPair(a, b, bytes, i, end);
        if (i == end) {
          break;
        }
      }
      a.step(bytes, i, base, sink);
      b.step(bytes, i, base, sink);
      i++;
    }
  }

  /** Scans with four cursors in step, as {@link #scanPair}. */
  static void scanQuad(Cursor a, Cursor b, Cursor c, Cursor d, byte[] bytes, int off, int length, long offset, EndSink sink) {
    a.begin();
    b.begin();
    c.begin();
    d.begin();
    long base = offset - off + 1;
    int end = off + length;
    int i = off;
    while (i < end) {
      if (a.held == null && b.held == null && c.held == null && d.held == null) {
        i = runQuad(a, b, c, d, bytes, i, end);
        if (i == end) {
          break;
        }
      }
      a.step(bytes, i, base, sink);
      b.step(bytes, i, base, sink);
      c.step(bytes, i, base, sink);
      d.step(bytes, i, base, sink);
      i++;
    }
  }

  private static int runQuad(Cursor a, Cursor b, Cursor c, Cursor d, byte[] bytes, int i, int end) {
    int[] tableA = a.table;
    int[] tableB = b.table;
    int[] tableC = c.table;
    int[] tableD = d.table;
    int[] classesA = a.outer().byteClass;
    int[] classesB = b.outer().byteClass;
    int[] classesC = c.outer().byteClass;
    int[] classesD = d.outer().byteClass;
    int rowA = a.row;
    int rowB = b.row;
    int rowC = c.row;
    int rowD = d.row;
    for (; i < end; i++) {
      int x = bytes[i] & 0xff;
      int ea = tableA[rowA + classesA[x]];
      int eb = tableB[rowB + classesB[x]];
      int ec = tableC[rowC + classesC[x]];
      int ed = tableD[rowD + classesD[x]];
      if ((ea | eb | ec | ed) < 0) {
        break;
      }
      rowA = ea;
      rowB = eb;
      rowC = ec;
      rowD = ed;
    }
    a.row = rowA;
    b.row = rowB;
    c.row = rowC;
    d.row = rowD;
    return i;
  }

  /**
   * Steps both cursors through {@code bytes[i, end)} while every transition of both is known and
   * leads to a state accepting nothing; returns the index it stopped at.
   */
  private static int runPair(Cursor a, Cursor b, byte[] bytes, int i, int end) {
    int[] tableA = a.table;
    int[] tableB = b.table;
    int[] classesA = a.outer().byteClass;
    int[] classesB = b.outer().byteClass;
    int rowA = a.row;
    int rowB = b.row;
    for (; i < end; i++) {
      int x = bytes[i] & 0xff;
      int ea = tableA[rowA + classesA[x]];
      int eb = tableB[rowB + classesB[x]];
      if ((ea | eb) < 0) {
        break;
      }
      rowA = ea;
      rowB = eb;
    }
    a.row = rowA;
    b.row = rowB;
    return i;
  }

  /**
   * Steps through {@code bytes[i, end)} while every transition is known and leads to a state
   * accepting nothing: one plain table read per byte. Returns the index it stopped at (end, or the
   * byte whose entry is negative) in the high half and the row reached in the low half. A method of its
   * own so that the JIT compiles it whole, however the caller's profile looks.
   */
  private static long run(int[] table, int[] classes, byte[] bytes, int i, int end, int row) {
    for (; i < end; i++) {
      int e = table[row + classes[bytes[i] & 0xff]];
      if (e < 0) {
        break;
      }
      row = e;
    }
    return ((long) i << 32) | row;
  }
}
