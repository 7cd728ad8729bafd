package dev.custos.engine.internal.pattern;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import dk.brics.automaton.RunAutomaton;
import org.jspecify.annotations.Nullable;

/**
 * A minimal deterministic automaton over bytes, as a flat transition table ({@code state * 256 +
 * byte}, -1 for the dead state). Immutable and thread-safe; stepping is one array read.
 */
public final class ByteDfa {
  private final int[] next;
  private final boolean[] accept;
  private final int initial;
  private final int size;

  private ByteDfa(int[] next, boolean[] accept, int initial) {
    this.next = next;
    this.accept = accept;
    this.initial = initial;
    this.size = accept.length;
  }

  private ByteDfa(Automaton automaton) {
    this(automaton, true);
  }

  private ByteDfa(Automaton automaton, boolean minimize) {
    automaton.determinize();
    if (minimize) {
      automaton.minimize();
    }
    RunAutomaton run = new RunAutomaton(automaton, false);
    this.size = run.getSize();
    this.initial = run.getInitialState();
    this.next = new int[size * 256];
    this.accept = new boolean[size];
    for (int s = 0; s < size; s++) {
      accept[s] = run.isAccept(s);
      for (int b = 0; b < 256; b++) {
        next[s * 256 + b] = run.step(s, (char) b);
      }
    }
  }

  /** Returns a DFA accepting exactly the matches of {@code pattern}. */
  public static ByteDfa exact(PatternNode pattern) {
    return new ByteDfa(pattern.toAutomaton());
  }

  /** Returns a DFA (not necessarily minimal) accepting exactly the reversed matches of {@code pattern}. */
  public static ByteDfa reversed(PatternNode pattern) {
    return new ByteDfa(pattern.reverse().toAutomaton(), false);
  }

  /**
   * Returns the DFA of the reversed matches of {@code pattern} (not necessarily minimal), or null
   * when it would have more than {@code cap} states; the construction stops past the cap.
   */
  public static @Nullable ByteDfa reversedWithin(PatternNode pattern, int cap) {
    return determinizeWithin(pattern.reverse().toAutomaton(), cap);
  }

  /**
   * Returns a DFA that never dies and is in an accepting state after every byte that ends a match
   * of {@code pattern} started anywhere before: the automaton of {@code .*pattern} over bytes.
   */
  public static ByteDfa searching(PatternNode pattern) {
    Automaton any = BasicAutomata.makeCharRange('\u0000', '\u00ff').repeat();
    return new ByteDfa(any.concatenate(pattern.toAutomaton()));
  }

  /**
   * Returns the searching DFA of {@code pattern} ({@code .*pattern}, not necessarily minimal), or
   * null when it would have more than {@code cap} states. The subset construction stops as soon as
   * it passes the cap, so a pattern whose searching DFA would explode costs little to refuse.
   */
  public static @Nullable ByteDfa searchingWithin(PatternNode pattern, int cap) {
    return determinizeWithin(anyBytes().concatenate(pattern.toAutomaton()), cap);
  }

  /**
   * Returns a DFA that never dies and is in an accepting state after every byte that ends a match
   * of {@code pattern} starting on a word boundary (or null when it would have more than {@code
   * cap} states, not necessarily minimal). A match at {@code p} starts on a word boundary when
   * {@code p} is 0, its first byte is not a word byte, or the byte before it is not one (word:
   * {@code [0-9A-Za-z_]}). The language is {@code (ε | .*[^w])P ∪ .*(P ∩ [^w].*)}: no match is
   * followed from inside a run of word bytes, which is what keeps a searching DFA small on long
   * digit and hex runs. Input scanned from the middle of a stream (a keyword region) behaves as if
   * it started at offset 0, which only adds ends.
   */
  public static @Nullable ByteDfa searchingFromBoundaryWithin(PatternNode pattern, int cap) {
    Automaton p = pattern.toAutomaton();
    Automaton nonWord = nonWordByte();
    Automaton afterBoundary = BasicAutomata.makeEmptyString().union(anyBytes().concatenate(nonWord)).concatenate(p);
    java.util.BitSet first = pattern.firstBytes();
    first.andNot(WORD_BYTES);
    if (first.isEmpty()) {
      return determinizeWithin(afterBoundary, cap);
    }
    Automaton nonWordFirst = p.intersection(nonWord.concatenate(anyBytes()));
    return determinizeWithin(afterBoundary.union(anyBytes().concatenate(nonWordFirst)), cap);
  }

  private static Automaton anyBytes() {
    return BasicAutomata.makeCharRange('\u0000', '\u00ff').repeat();
  }

  private static final java.util.BitSet WORD_BYTES = new java.util.BitSet(256);

  static {
    WORD_BYTES.set('0', '9' + 1);
    WORD_BYTES.set('A', 'Z' + 1);
    WORD_BYTES.set('a', 'z' + 1);
    WORD_BYTES.set('_');
  }

  private static Automaton nonWordByte() {
    return BasicAutomata.makeCharRange('\u0000', (char) ('0' - 1))
        .union(BasicAutomata.makeCharRange((char) ('9' + 1), (char) ('A' - 1)))
        .union(BasicAutomata.makeCharRange((char) ('Z' + 1), (char) ('_' - 1)))
        .union(BasicAutomata.makeChar((char) ('_' + 1)))
        .union(BasicAutomata.makeCharRange((char) ('z' + 1), '\u00ff'));
  }

  /** Runs the subset construction over bytes, giving up (null) past {@code cap} states. */
  private static @Nullable ByteDfa determinizeWithin(Automaton nfa, int cap) {
    java.util.List<dk.brics.automaton.State> states = new java.util.ArrayList<>(nfa.getStates());
    java.util.Map<dk.brics.automaton.State, Integer> index = new java.util.HashMap<>();
    for (int i = 0; i < states.size(); i++) {
      index.put(states.get(i), i);
    }
    // Per NFA state: its transitions as (min, max, destination) triples, clipped to bytes.
    int[][] transitions = new int[states.size()][];
    for (int i = 0; i < states.size(); i++) {
      java.util.List<int[]> list = new java.util.ArrayList<>();
      for (dk.brics.automaton.Transition t : states.get(i).getTransitions()) {
        if (t.getMin() <= 255) {
          list.add(new int[] {t.getMin(), Math.min(255, t.getMax()), index.get(t.getDest())});
        }
      }
      int[] flat = new int[list.size() * 3];
      for (int k = 0; k < list.size(); k++) {
        System.arraycopy(list.get(k), 0, flat, 3 * k, 3);
      }
      transitions[i] = flat;
    }
    // Bytes no transition tells apart share a class: the construction steps once per class.
    java.util.BitSet cuts = new java.util.BitSet(257);
    cuts.set(0);
    cuts.set(256);
    for (int[] flat : transitions) {
      for (int k = 0; k < flat.length; k += 3) {
        cuts.set(flat[k]);
        cuts.set(flat[k + 1] + 1);
      }
    }
    int[] classOf = new int[256];
    int classes = 0;
    for (int b = 0; b < 256; b++) {
      if (b > 0 && cuts.get(b)) {
        classes++;
      }
      classOf[b] = classes;
    }
    classes++;
    int nfaSize = states.size();
    java.util.Map<java.util.BitSet, Integer> ids = new java.util.HashMap<>();
    java.util.List<java.util.BitSet> subsets = new java.util.ArrayList<>();
    java.util.BitSet start = new java.util.BitSet(nfaSize);
    start.set(index.get(nfa.getInitialState()));
    ids.put(start, 0);
    subsets.add(start);
    int[] table = new int[256 * Math.min(cap, 64)];
    java.util.BitSet[] next = new java.util.BitSet[classes];
    int[] nextId = new int[classes];
    for (int current = 0; current < subsets.size(); current++) {
      java.util.BitSet set = subsets.get(current);
      java.util.Arrays.fill(next, null);
      for (int i = set.nextSetBit(0); i >= 0; i = set.nextSetBit(i + 1)) {
        int[] flat = transitions[i];
        for (int k = 0; k < flat.length; k += 3) {
          for (int c = classOf[flat[k]]; c <= classOf[flat[k + 1]]; c++) {
            if (next[c] == null) {
              next[c] = new java.util.BitSet(nfaSize);
            }
            next[c].set(flat[k + 2]);
          }
        }
      }
      for (int c = 0; c < classes; c++) {
        if (next[c] == null) {
          nextId[c] = -1;
          continue;
        }
        Integer id = ids.get(next[c]);
        if (id == null) {
          if (subsets.size() == cap) {
            return null;
          }
          id = subsets.size();
          ids.put(next[c], id);
          subsets.add(next[c]);
        }
        nextId[c] = id;
      }
      if (table.length < (current + 1) * 256) {
        table = java.util.Arrays.copyOf(table, Math.max(table.length * 2, (current + 1) * 256));
      }
      for (int b = 0; b < 256; b++) {
        table[current * 256 + b] = nextId[classOf[b]];
      }
    }
    boolean[] accept = new boolean[subsets.size()];
    for (int s = 0; s < accept.length; s++) {
      java.util.BitSet set = subsets.get(s);
      for (int i = set.nextSetBit(0); i >= 0; i = set.nextSetBit(i + 1)) {
        if (states.get(i).isAccept()) {
          accept[s] = true;
          break;
        }
      }
    }
    return minimized(java.util.Arrays.copyOf(table, subsets.size() * 256), accept, classOf, classes);
  }

  /**
   * Returns the minimal DFA equivalent to a table whose initial state is 0 (Moore's partition
   * refinement), given classes of bytes that every state treats alike. Fewer states per pattern
   * mean fewer combined states in a product of DFAs.
   */
  private static ByteDfa minimized(int[] table, boolean[] accept, int[] classOf, int classes) {
    int n = accept.length;
    int[] representative = new int[classes];
    for (int b = 255; b >= 0; b--) {
      representative[classOf[b]] = b;
    }
    int[] block = new int[n];
    for (int s = 0; s < n; s++) {
      block[s] = accept[s] ? 1 : 0;
    }
    int blocks = -1;
    while (true) {
      java.util.Map<IntsKey, Integer> ids = new java.util.HashMap<>();
      int[] next = new int[n];
      for (int s = 0; s < n; s++) {
        int[] signature = new int[classes + 1];
        signature[0] = block[s];
        for (int c = 0; c < classes; c++) {
          int t = table[s * 256 + representative[c]];
          signature[c + 1] = t < 0 ? -1 : block[t];
        }
        Integer id = ids.putIfAbsent(new IntsKey(signature), ids.size());
        next[s] = id == null ? ids.size() - 1 : id;
      }
      block = next;
      if (ids.size() == blocks) {
        break;
      }
      blocks = ids.size();
    }
    // Renumber so that the initial state's block is 0.
    int[] order = new int[blocks];
    java.util.Arrays.fill(order, -1);
    order[block[0]] = 0;
    int count = 1;
    for (int s = 0; s < n; s++) {
      if (order[block[s]] < 0) {
        order[block[s]] = count++;
      }
    }
    int[] minTable = new int[blocks * 256];
    boolean[] minAccept = new boolean[blocks];
    for (int s = 0; s < n; s++) {
      int m = order[block[s]];
      minAccept[m] = accept[s];
      for (int b = 0; b < 256; b++) {
        int t = table[s * 256 + b];
        minTable[m * 256 + b] = t < 0 ? -1 : order[block[t]];
      }
    }
    return new ByteDfa(minTable, minAccept, 0);
  }

  /**
   * An int array compared by value: a state's block and its successors' blocks when minimizing,
   * one byte's column of the table when grouping bytes.
   */
  private static final class IntsKey {
    private final int[] values;
    private final int hash;

    IntsKey(int[] values) {
      this.values = values;
      this.hash = java.util.Arrays.hashCode(values);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof IntsKey && java.util.Arrays.equals(((IntsKey) o).values, values);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /**
   * Writes this DFA compactly: its byte classes, then the table over classes as variable-length
   * integers. {@link #readFrom} gives back an equal DFA.
   */
  public void writeTo(java.io.DataOutputStream out) throws java.io.IOException {
    int[] classOf = new int[256];
    java.util.List<Integer> representatives = new java.util.ArrayList<>();
    java.util.Map<IntsKey, Integer> columns = new java.util.HashMap<>();
    for (int b = 0; b < 256; b++) {
      int[] column = new int[size];
      for (int s = 0; s < size; s++) {
        column[s] = next[s * 256 + b];
      }
      Integer c = columns.putIfAbsent(new IntsKey(column), columns.size());
      if (c == null) {
        c = columns.size() - 1;
        representatives.add(b);
      }
      classOf[b] = c;
    }
    writeVarint(out, size);
    writeVarint(out, initial);
    writeVarint(out, representatives.size());
    for (int b = 0; b < 256; b++) {
      writeVarint(out, classOf[b]);
    }
    for (int s = 0; s < size; s++) {
      out.writeBoolean(accept[s]);
      for (int representative : representatives) {
        writeVarint(out, next[s * 256 + representative] + 1);
      }
    }
  }

  /**
   * Reads a DFA written by {@link #writeTo}.
   *
   * @throws java.io.IOException when the data is truncated or inconsistent
   */
  public static ByteDfa readFrom(java.io.DataInput in) throws java.io.IOException {
    int size = readVarint(in);
    int initial = readVarint(in);
    int classes = readVarint(in);
    if (size < 1 || initial >= size || classes < 1 || classes > 256) {
      throw new java.io.IOException("dfa: size " + size + ", initial " + initial + ", classes " + classes
          + " (expected: a state count of at least 1, an initial state below it, 1 to 256 classes)");
    }
    int[] classOf = new int[256];
    for (int b = 0; b < 256; b++) {
      classOf[b] = readVarint(in);
      if (classOf[b] >= classes) {
        throw new java.io.IOException("dfa: byte class " + classOf[b] + " (expected: below " + classes + ")");
      }
    }
    int[] next = new int[size * 256];
    boolean[] accept = new boolean[size];
    int[] row = new int[classes];
    for (int s = 0; s < size; s++) {
      accept[s] = in.readBoolean();
      for (int c = 0; c < classes; c++) {
        row[c] = readVarint(in) - 1;
        if (row[c] >= size) {
          throw new java.io.IOException("dfa: state " + row[c] + " (expected: below " + size + ")");
        }
      }
      for (int b = 0; b < 256; b++) {
        next[s * 256 + b] = row[classOf[b]];
      }
    }
    return new ByteDfa(next, accept, initial);
  }

  /**
   * Returns whether {@code other} accepts after exactly the same byte strings (whatever its state
   * numbering): a walk over the pairs of states both reach on the same input, the dead state
   * included, finds no pair where one accepts and the other does not.
   */
  public boolean equivalentTo(ByteDfa other) {
    java.util.Set<Long> seen = new java.util.HashSet<>();
    java.util.ArrayDeque<long[]> todo = new java.util.ArrayDeque<>();
    todo.add(new long[] {initial, other.initial});
    seen.add(pair(initial, other.initial));
    while (!todo.isEmpty()) {
      long[] p = todo.poll();
      int a = (int) p[0];
      int b = (int) p[1];
      boolean acceptA = a >= 0 && accept[a];
      boolean acceptB = b >= 0 && other.accept[b];
      if (acceptA != acceptB) {
        return false;
      }
      for (int x = 0; x < 256; x++) {
        int na = a < 0 ? -1 : next[a * 256 + x];
        int nb = b < 0 ? -1 : other.next[b * 256 + x];
        if ((na >= 0 || nb >= 0) && seen.add(pair(na, nb))) {
          todo.add(new long[] {na, nb});
        }
      }
    }
    return true;
  }

  private static long pair(int a, int b) {
    return ((long) a << 32) ^ (b & 0xffffffffL);
  }

  /** Returns whether {@code other} has the same states, initial state and transitions. */
  public boolean sameAs(ByteDfa other) {
    return initial == other.initial
        && java.util.Arrays.equals(accept, other.accept)
        && java.util.Arrays.equals(next, other.next);
  }

  private static void writeVarint(java.io.DataOutputStream out, int value) throws java.io.IOException {
    int v = value;
    while ((v & ~0x7f) != 0) {
      out.writeByte((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.writeByte(v);
  }

  private static int readVarint(java.io.DataInput in) throws java.io.IOException {
    int value = 0;
    for (int shift = 0; shift < 32; shift += 7) {
      int b = in.readUnsignedByte();
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        if (value < 0) {
          throw new java.io.IOException("dfa: negative number (expected: 0 or more)");
        }
        return value;
      }
    }
    throw new java.io.IOException("dfa: number longer than 5 bytes (expected: a 32-bit varint)");
  }

  /** Returns the number of states. */
  public int size() {
    return size;
  }

  /** Returns the initial state. */
  public int initial() {
    return initial;
  }

  /** Returns the state after reading byte {@code b} (0 to 255) in state {@code s}, or -1. */
  public int step(int s, int b) {
    return next[s * 256 + b];
  }

  /** Returns whether {@code s} is accepting. */
  public boolean isAccept(int s) {
    return accept[s];
  }

  /** Returns whether the bytes {@code [offset, offset + length)} are a whole match. */
  public boolean matchesFully(byte[] bytes, int offset, int length) {
    int s = initial;
    for (int i = offset; i < offset + length; i++) {
      s = next[s * 256 + (bytes[i] & 0xff)];
      if (s < 0) {
        return false;
      }
    }
    return accept[s];
  }
}
