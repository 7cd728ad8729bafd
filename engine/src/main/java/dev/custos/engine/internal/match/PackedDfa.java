package dev.custos.engine.internal.match;

import dev.custos.engine.internal.pattern.ByteDfa;

/**
 * A {@link ByteDfa} packed for scanning short stretches of input (the regions around keywords):
 * bytes that every state treats alike share a class, and each table entry holds the next state's
 * row with its accept flag in the sign bit ({@link #ACCEPTS}), so a byte costs one class read and
 * one table read, an entry that is not negative is the next row itself, and the loop stops
 * only where a match ends. A DFA of {@code n} states and {@code c} classes takes {@code n * c}
 * ints and 256 bytes of classes instead of the {@code n * 256} ints of its byte table: the tables
 * of many detectors stay in cache together. Immutable and thread-safe.
 */
public final class PackedDfa {
  /** The bit of a table entry that says the state it leads to accepts. */
  public static final int ACCEPTS = Integer.MIN_VALUE;
  /** The bits of a table entry that hold the row it leads to. */
  public static final int ROW = Integer.MAX_VALUE;

  private final byte[] byteClass;
  private final int classCount;
  /** Entries: the next state's row (state × classCount), with {@link #ACCEPTS} when it accepts. */
  private final int[] table;
  private final int initialRow;

  private PackedDfa(byte[] byteClass, int classCount, int[] table, int initialRow) {
    this.byteClass = byteClass;
    this.classCount = classCount;
    this.table = table;
    this.initialRow = initialRow;
  }

  /**
   * Packs {@code dfa}. A transition to no state (-1) leads to a dead state of its own, which
   * accepts nothing and never leaves.
   */
  public static PackedDfa of(ByteDfa dfa) {
    int size = dfa.size();
    // Classes: bytes whose columns agree in every state, numbered by their first byte. A column
    // hash finds the candidates, an exact comparison with the class's first byte confirms.
    int[] hash = new int[256];
    for (int s = 0; s < size; s++) {
      for (int b = 0; b < 256; b++) {
        hash[b] = 31 * hash[b] + dfa.step(s, b);
      }
    }
    int[] classOf = new int[256];
    int[] firstOf = new int[256];
    int count = 0;
    for (int b = 0; b < 256; b++) {
      int found = -1;
      for (int c = 0; c < count && found < 0; c++) {
        if (hash[firstOf[c]] == hash[b] && sameColumn(dfa, firstOf[c], b)) {
          found = c;
        }
      }
      if (found < 0) {
        found = count;
        firstOf[count++] = b;
      }
      classOf[b] = found;
    }
    byte[] byteClass = new byte[256];
    for (int b = 0; b < 256; b++) {
      byteClass[b] = (byte) classOf[b];
    }
    int dead = size;
    int[] table = new int[(size + 1) * count];
    for (int s = 0; s <= size; s++) {
      for (int c = 0; c < count; c++) {
        int t = s == dead ? -1 : dfa.step(s, firstOf[c]);
        int next = t < 0 ? dead : t;
        boolean accepts = next != dead && dfa.isAccept(next);
        table[s * count + c] = next * count | (accepts ? ACCEPTS : 0);
      }
    }
    return new PackedDfa(byteClass, count, table, dfa.initial() * count);
  }

  private static boolean sameColumn(ByteDfa dfa, int a, int b) {
    for (int s = 0; s < dfa.size(); s++) {
      if (dfa.step(s, a) != dfa.step(s, b)) {
        return false;
      }
    }
    return true;
  }

  /** Returns the row of the initial state, the state a scan starts in. */
  public int initialRow() {
    return initialRow;
  }

  /**
   * Returns the row of the dead state, which the DFA enters where it has no transition and never
   * leaves.
   */
  public int deadRow() {
    return table.length - classCount;
  }

  /**
   * Returns the table entry for byte {@code b} from {@code row}: the next row ({@code entry &
   * ROW}), negative when the next state accepts.
   */
  public int entry(int row, int b) {
    return table[row + (byteClass[b] & 0xff)];
  }

  /** Returns the number of byte classes. */
  public int classCount() {
    return classCount;
  }

  /**
   * Steps from {@code row} through {@code bytes[from, to)} up to and including the first byte
   * after which the DFA accepts. Returns, in the high half, the index of that byte, or {@code to}
   * when it accepts after none, and, in the low half, the row reached.
   */
  public long run(byte[] bytes, int from, int to, int row) {
    int[] table = this.table;
    byte[] byteClass = this.byteClass;
    for (int i = from; i < to; i++) {
      int e = table[row + (byteClass[bytes[i] & 0xff] & 0xff)];
      if (e < 0) {
        return ((long) i << 32) | (e & ROW);
      }
      row = e;
    }
    return ((long) to << 32) | row;
  }

  /**
   * Steps two scans in step, {@code a} over {@code bytes[fromA, fromA + n)} from {@code
   * rows[0]} and {@code b} over {@code bytes[fromB, fromB + n)} from {@code rows[1]}: their table
   * reads do not depend on each other, so the processor overlaps them, and two scans cost little
   * more than one. Stops after the first byte after which either accepts. Returns how many bytes
   * each took; leaves the rows reached in {@code rows[0]} and {@code rows[1]}, and in {@code
   * rows[2]} bit 0 when {@code a} accepts after its last byte taken, bit 1 when {@code b} does.
   */
  public static int runPair(PackedDfa a, PackedDfa b, byte[] bytes, int fromA, int fromB, int n, int[] rows) {
    int[] tableA = a.table;
    int[] tableB = b.table;
    byte[] classesA = a.byteClass;
    byte[] classesB = b.byteClass;
    int rowA = rows[0];
    int rowB = rows[1];
    int k = 0;
    int accepts = 0;
    while (k < n) {
      int ea = tableA[rowA + (classesA[bytes[fromA + k] & 0xff] & 0xff)];
      int eb = tableB[rowB + (classesB[bytes[fromB + k] & 0xff] & 0xff)];
      k++;
      if ((ea | eb) < 0) {
        accepts = (ea >>> 31) | ((eb >>> 31) << 1);
        rowA = ea & ROW;
        rowB = eb & ROW;
        break;
      }
      rowA = ea;
      rowB = eb;
    }
    rows[0] = rowA;
    rows[1] = rowB;
    rows[2] = accepts;
    return k;
  }

  @Override
  public String toString() {
    return "PackedDfa{states=" + table.length / classCount + ", classes=" + classCount + '}';
  }

  /** For tests: whether the packing steps as {@code dfa} does on every state and byte. */
  boolean agreesWith(ByteDfa dfa) {
    for (int s = 0; s < dfa.size(); s++) {
      for (int b = 0; b < 256; b++) {
        int e = table[s * classCount + (byteClass[b] & 0xff)];
        int t = dfa.step(s, b);
        int next = (e & ROW) / classCount;
        if (t < 0 ? next != dfa.size() : next != t || (e < 0) != dfa.isAccept(t)) {
          return false;
        }
      }
    }
    return true;
  }
}
