package dev.custos.engine.internal.match;

import dev.custos.engine.internal.pattern.ByteDfa;
import dev.custos.engine.internal.pattern.PatternNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The pure-Java backend: the product of every pattern's searching DFA ({@code .*P}), built lazily
 * as input reaches new combined states and shared by all threads. Each byte costs one array read
 * once its state is known; a state not seen before costs one step per pattern. The cache holds at
 * most {@value #MAX_STATES} combined states per generation; when full, a fresh generation replaces
 * it (streams move over at their next chunk), so memory stays bounded and time stays linear.
 */
public final class JavaMatcher implements MultiPatternMatcher {
  static final int MAX_STATES = 10_000;

  private final ByteDfa[] dfas;
  private final int[] byteClass;
  private final int classCount;
  private final boolean[] wordClass;
  /** Per pattern: the next state for (state, class), flattened as state * classCount + class. */
  private final int[][] classTables;
  private volatile Generation generation;

  private final boolean[] raw;
  /** Combined states per generation: {@link #MAX_STATES} but in tests. */
  private final int maxStates;

  private JavaMatcher(List<ByteDfa> searching, boolean[] raw, int maxStates) {
    this.maxStates = maxStates;
    this.raw = raw.clone();
    this.dfas = searching.toArray(new ByteDfa[0]);
    this.byteClass = new int[256];
    this.classCount = computeByteClasses(dfas, byteClass);
    this.wordClass = new boolean[classCount];
    for (int b = 0; b < 256; b++) {
      wordClass[byteClass[b]] = isWord(b);
    }
    int[] representative = new int[classCount];
    for (int b = 255; b >= 0; b--) {
      representative[byteClass[b]] = b;
    }
    this.classTables = new int[dfas.length][];
    for (int d = 0; d < dfas.length; d++) {
      ByteDfa dfa = dfas[d];
      int[] table = new int[dfa.size() * classCount];
      for (int s = 0; s < dfa.size(); s++) {
        for (int c = 0; c < classCount; c++) {
          table[s * classCount + c] = dfa.step(s, representative[c]);
        }
      }
      classTables[d] = table;
    }
    this.generation = new Generation(this);
  }

  /** Compiles patterns; their indices are the ids reported to {@link EndSink}. */
  public static JavaMatcher compile(List<PatternNode> patterns) {
    return compile(patterns, MAX_STATES);
  }

  /** Compiles patterns with a cache of at most {@code maxStates} states per generation. */
  static JavaMatcher compile(List<PatternNode> patterns, int maxStates) {
    List<ByteDfa> dfas = new ArrayList<>();
    for (PatternNode p : patterns) {
      dfas.add(ByteDfa.searching(p));
    }
    return new JavaMatcher(dfas, new boolean[patterns.size()], maxStates);
  }

  /**
   * Builds a matcher from searching DFAs (each accepting after every byte that ends a match it
   * must report, such as {@link ByteDfa#searchingFromBoundaryWithin}); those marked {@code raw}
   * report every end, even inside a word (for keywords).
   */
  public static JavaMatcher ofSearching(List<ByteDfa> searching, boolean[] raw) {
    if (raw.length != searching.size()) {
      throw new IllegalArgumentException("raw: " + raw.length + " flags (expected: " + searching.size() + ")");
    }
    return new JavaMatcher(List.copyOf(searching), raw, MAX_STATES);
  }

  static boolean isWord(int b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '_';
  }

  /**
   * Groups bytes that every pattern's DFA treats alike and that are alike in being word bytes;
   * returns the number of groups.
   */
  private static int computeByteClasses(ByteDfa[] dfas, int[] byteClass) {
    // Refine the partition {word bytes, other bytes} by each DFA in turn: two bytes stay together
    // when every state of the DFA steps alike on them. A column hash finds the candidates, an
    // exact comparison with the class's first byte confirms.
    int[] current = new int[256];
    for (int b = 0; b < 256; b++) {
      current[b] = isWord(b) ? 1 : 0;
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
    java.util.Arrays.fill(id, -1);
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


  @Override
  public String name() {
    return "java";
  }

  @Override
  public MatchStream newStream() {
    return new Stream();
  }

  @Override
  public void close() {}

  private int[] initialComponents() {
    int[] components = new int[dfas.length];
    for (int d = 0; d < dfas.length; d++) {
      components[d] = dfas[d].initial();
    }
    return components;
  }

  /**
   * Computes and caches a transition; moves the stream to a fresh generation when full. Returns
   * the next state in the stream's (possibly new) generation.
   */
  private int computeNext(Stream stream, int from, int cls) {
    Generation gen = stream.gen;
    int[] current;
    synchronized (gen) {
      current = gen.components[from];
    }
    int[] components = new int[dfas.length];
    for (int d = 0; d < components.length; d++) {
      components[d] = classTables[d][current[d] * classCount + cls];
    }
    int next = intern(stream, components);
    if (stream.gen == gen) {
      TABLE.setRelease(gen.table, from * classCount + cls, gen.entry(next));
    }
    return next;
  }

  /**
   * Returns the id of the state with these components in the stream's generation; when that
   * generation is full, moves the stream to a fresh one (shared with every other stream).
   */
  private int intern(Stream stream, int[] components) {
    while (true) {
      Generation gen = stream.gen;
      synchronized (gen) {
        int s = gen.intern(components);
        if (s >= 0) {
          return s;
        }
      }
      synchronized (this) {
        if (generation == gen) {
          generation = new Generation(this);
        }
        stream.gen = generation;
      }
    }
  }

  private static final java.lang.invoke.VarHandle TABLE =
      java.lang.invoke.MethodHandles.arrayElementVarHandle(int[].class);

  static final byte HELD = 1;
  static final byte RAW = 2;

  /**
   * One cache of combined states: a flat transition table ({@code state * classCount + class})
   * and, per state, its components and accepting patterns. A table entry is -1 until computed,
   * then {@link #entry(int)} of the next state: its row offset shifted left by one, with the low
   * bit set when the state accepts any pattern. The scanning loop thus needs neither a multiply
   * nor a flag lookup per byte, and stops only on odd entries (unknown or accepting).
   *
   * <p>State data is written under the generation's monitor, entries with release semantics. The
   * loop reads entries plainly: an int is never torn, and all it takes from one is the next row
   * and the accept bit, both in the entry itself. Whatever else it needs about a state (its
   * accepts, its components) it reads after an acquire read of the entry or under the monitor.
   */
  static final class Generation {
    private final JavaMatcher matcher;
    final int[] table;
    final int[][] components;
    final int[][] accepts;
    final int[][] rawAccepts;
    final byte[] flags;
    private final Map<Key, Integer> index = new HashMap<>();
    private int count;

    Generation(JavaMatcher matcher) {
      this.matcher = matcher;
      int max = matcher.maxStates;
      this.components = new int[max][];
      this.accepts = new int[max][];
      this.rawAccepts = new int[max][];
      this.flags = new byte[max];
      this.table = new int[max * matcher.classCount];
      Arrays.fill(table, -1);
    }

    /** Returns the table entry leading to state {@code s}. */
    int entry(int s) {
      return ((s * matcher.classCount) << 1) | (flags[s] != 0 ? 1 : 0);
    }

    /** Returns the id of the state with these components, adding it; -1 when full. */
    int intern(int[] components) {
      Key key = new Key(components);
      Integer id = index.get(key);
      if (id != null) {
        return id;
      }
      if (count == matcher.maxStates) {
        return -1;
      }
      int s = count++;
      List<Integer> held = new ArrayList<>();
      List<Integer> raw = new ArrayList<>();
      for (int d = 0; d < components.length; d++) {
        if (matcher.dfas[d].isAccept(components[d])) {
          (matcher.raw[d] ? raw : held).add(d);
        }
      }
      this.components[s] = components;
      this.accepts[s] = held.stream().mapToInt(Integer::intValue).toArray();
      this.rawAccepts[s] = raw.stream().mapToInt(Integer::intValue).toArray();
      this.flags[s] = (byte) ((held.isEmpty() ? 0 : HELD) | (raw.isEmpty() ? 0 : RAW));
      index.put(key, s);
      return s;
    }
  }

  private static final class Key {
    private final int[] components;
    private final int hash;

    Key(int[] components) {
      this.components = components;
      this.hash = Arrays.hashCode(components);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key && Arrays.equals(((Key) o).components, components);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  private final class Stream implements MatchStream {
    private Generation gen;
    private int state;
    private long offset;
    /** State whose held ends wait for the next byte (they ended on a word byte), or -1. */
    private int held = -1;

    Stream() {
      this.gen = generation;
      this.state = intern(this, initialComponents());
    }

    @Override
    public void scan(byte[] bytes, int off, int length, EndSink sink) {
      Generation current = generation;
      if (current != gen) {
        int[] components;
        synchronized (gen) {
          components = gen.components[state];
        }
        int[] heldAccepts = held >= 0 ? gen.accepts[held] : null;
        gen = current;
        state = intern(this, components);
        if (heldAccepts != null) {
          // Report the held ends as if the boundary were known; the caller confirms every end.
          for (int d : heldAccepts) {
            sink.onEnd(d, offset);
          }
          held = -1;
        }
      }
      int classes0 = classCount;
      int row = state * classes0;
      int h = held;
      Generation g = gen;
      int[] table = g.table;
      int[] classes = byteClass;
      boolean[] word = wordClass;
      long base = offset - off + 1;
      int end = off + length;
      int i = off;
      while (i < end) {
        if (h < 0) {
          long stop = run(table, classes, bytes, i, end, row);
          i = (int) (stop >>> 32);
          row = (int) stop;
          if (i == end) {
            break;
          }
        }
        int cls = classes[bytes[i] & 0xff];
        if (h >= 0) {
          // A match that ended on a word byte can only end before a non-word byte.
          if (!word[cls]) {
            for (int d : g.accepts[h]) {
              sink.onEnd(d, base + i - 1);
            }
          }
          h = -1;
        }
        int s;
        int e = (int) TABLE.getAcquire(table, row + cls);
        if (e < 0) {
          s = computeNext(this, row / classes0, cls);
          if (gen != g) {
            g = gen;
            table = g.table;
          }
        } else {
          s = (e >> 1) / classes0;
        }
        row = s * classes0;
        byte f = g.flags[s];
        if (f != 0) {
          if ((f & RAW) != 0) {
            for (int d : g.rawAccepts[s]) {
              sink.onEnd(d, base + i);
            }
          }
          if ((f & HELD) != 0) {
            if (word[cls]) {
              h = s;
            } else {
              for (int d : g.accepts[s]) {
                sink.onEnd(d, base + i);
              }
            }
          }
        }
        i++;
      }
      state = row / classes0;
      held = h;
      offset += length;
    }

    /**
     * Steps through {@code bytes[i, end)} while every transition is known and leads to a state
     * accepting nothing: one plain table read per byte. Returns the index it stopped at (end, or
     * the byte whose entry is odd) in the high half and the row reached in the low half. A method
     * of its own so that the JIT compiles it whole, however the caller's profile looks.
     */
    private static long run(int[] table, int[] classes, byte[] bytes, int i, int end, int row) {
      for (; i < end; i++) {
        int e = table[row + classes[bytes[i] & 0xff]];
        if ((e & 1) != 0) {
          break;
        }
        row = e >> 1;
      }
      return ((long) i << 32) | row;
    }

    @Override
    public void finish(EndSink sink) {
      if (held >= 0) {
        for (int d : gen.accepts[held]) {
          sink.onEnd(d, offset);
        }
        held = -1;
      }
    }

    @Override
    public void close() {}
  }
}
