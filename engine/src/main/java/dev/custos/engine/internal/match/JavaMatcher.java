package dev.custos.engine.internal.match;

import dev.custos.engine.internal.pattern.ByteDfa;
import dev.custos.engine.internal.pattern.PatternNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
  /** Per pattern: the next state for (state, class), flattened as state * classCount + class. */
  private final int[][] classTables;
  private volatile Generation generation;

  private JavaMatcher(List<PatternNode> patterns) {
    this.dfas = new ByteDfa[patterns.size()];
    for (int i = 0; i < dfas.length; i++) {
      dfas[i] = ByteDfa.searching(patterns.get(i));
    }
    this.byteClass = new int[256];
    this.classCount = computeByteClasses(dfas, byteClass);
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
    this.generation = new Generation();
  }

  /** Compiles patterns; their indices are the ids reported to {@link EndSink}. */
  public static JavaMatcher compile(List<PatternNode> patterns) {
    return new JavaMatcher(List.copyOf(patterns));
  }

  /** Groups bytes that every pattern's DFA treats alike; returns the number of groups. */
  private static int computeByteClasses(ByteDfa[] dfas, int[] byteClass) {
    Map<List<Integer>, Integer> signatures = new HashMap<>();
    for (int b = 0; b < 256; b++) {
      List<Integer> signature = new ArrayList<>();
      for (ByteDfa dfa : dfas) {
        for (int s = 0; s < dfa.size(); s++) {
          signature.add(dfa.step(s, b));
        }
      }
      Integer id = signatures.get(signature);
      if (id == null) {
        id = signatures.size();
        signatures.put(signature, id);
      }
      byteClass[b] = id;
    }
    return signatures.size();
  }

  /** Returns how many byte classes the patterns distinguish (for diagnostics and tests). */
  public int byteClassCount() {
    return classCount;
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

  private DState initialState(Generation gen) {
    int[] components = new int[dfas.length];
    for (int d = 0; d < dfas.length; d++) {
      components[d] = dfas[d].initial();
    }
    return gen.intern(components, this);
  }

  /** Computes and caches a transition; moves the stream to a fresh generation when full. */
  private DState computeNext(Stream stream, DState from, int cls) {
    int[] components = new int[dfas.length];
    int[] current = from.components;
    for (int d = 0; d < components.length; d++) {
      components[d] = classTables[d][current[d] * classCount + cls];
    }
    Generation gen = stream.gen;
    synchronized (gen) {
      if (gen.size() < MAX_STATES) {
        DState next = gen.intern(components, this);
        from.next[cls] = next;
        return next;
      }
    }
    synchronized (this) {
      if (generation == gen) {
        generation = new Generation();
      }
      stream.gen = generation;
    }
    return stream.gen.intern(components, this);
  }

  DState newState(int[] components) {
    int accepting = 0;
    for (int d = 0; d < components.length; d++) {
      if (dfas[d].isAccept(components[d])) {
        accepting++;
      }
    }
    int[] accepts = new int[accepting];
    int k = 0;
    for (int d = 0; d < components.length; d++) {
      if (dfas[d].isAccept(components[d])) {
        accepts[k++] = d;
      }
    }
    return new DState(components, accepts, classCount);
  }

  /** A combined state. Final fields make instances safe to publish through a data race. */
  static final class DState {
    final int[] components;
    final int[] accepts;
    final DState[] next;

    DState(int[] components, int[] accepts, int classCount) {
      this.components = components;
      this.accepts = accepts;
      this.next = new DState[classCount];
    }
  }

  /** One cache of combined states; guarded by its own monitor for writes. */
  static final class Generation {
    private final Map<Key, DState> states = new HashMap<>();

    int size() {
      return states.size();
    }

    synchronized DState intern(int[] components, JavaMatcher matcher) {
      Key key = new Key(components);
      DState s = states.get(key);
      if (s == null) {
        s = matcher.newState(components);
        states.put(key, s);
      }
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
    private DState state;
    private long offset;

    Stream() {
      this.gen = generation;
      this.state = initialState(gen);
    }

    @Override
    public void scan(byte[] bytes, int off, int length, EndSink sink) {
      Generation current = generation;
      if (current != gen) {
        gen = current;
        state = current.intern(state.components, JavaMatcher.this);
      }
      DState s = state;
      int[] classes = byteClass;
      long base = offset - off + 1;
      int end = off + length;
      for (int i = off; i < end; i++) {
        int cls = classes[bytes[i] & 0xff];
        DState n = s.next[cls];
        if (n == null) {
          n = computeNext(this, s, cls);
        }
        s = n;
        int[] accepts = s.accepts;
        if (accepts.length != 0) {
          for (int d : accepts) {
            sink.onEnd(d, base + i);
          }
        }
      }
      state = s;
      offset += length;
    }

    @Override
    public void close() {}
  }
}
