package dev.custos.engine.internal.match;

import dev.custos.engine.internal.pattern.ByteDfa;
import dev.custos.engine.internal.pattern.PatternNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The pure-Java backend: every pattern's searching DFA ({@code .*P}), combined into a few lazily
 * built product DFAs ({@link ProductDfa}) shared by all threads. Each byte costs one table read per
 * group once its states are known.
 *
 * <p>One product of hundreds of patterns keeps meeting combined states it has not seen (the tuple
 * of every pattern's state), so its cache never settles. Patterns are therefore grouped by how
 * their products grow: keywords (literals, whose product is bounded by their total length, as an
 * Aho-Corasick automaton); patterns that leave their initial state on few bytes (a literal
 * prefix), which rarely run at the same time; and patterns that start on a broad class of bytes
 * (digits, letters, hex), which run at once on most words and multiply, in groups of at most
 * {@value #BROAD_GROUP} patterns. Groups change only speed: the ends reported are the same. A
 * stream steps four (or two) groups together, since their table reads do not depend on each other
 * and the processor overlaps them.
 *
 * <p>Memory: each group holds at most {@code min(}{@value #MAX_STATES}{@code , }{@value
 * #MAX_GROUP_INTS}{@code / (classes + members))} combined states per generation (classes: the
 * group's byte classes, at most 256; members: its patterns), each taking one table row of {@code
 * classes} ints, {@code members} ints of components, at most 4 ints of index and, when it accepts,
 * a list of the ids it reports: about 8 MiB per group at most. Tables grow as states are added, so
 * a group takes only what input made it meet. With the built-in catalog (about 650 patterns, two thirds of them keywords) there
 * are four groups; their caches hold from about 4,000 states (keywords: a cache near the size of
 * their Aho-Corasick automaton) to 10,000, and a 4 MiB corpus makes each meet 500 to 1,500.
 */
public final class JavaMatcher implements MultiPatternMatcher {
  /** Combined states per group and generation, at most. */
  static final int MAX_STATES = 10_000;
  /** Table entries and components per group and generation, at most (8 MiB). */
  static final int MAX_GROUP_INTS = 1 << 21;
  /** Patterns per group of broad-start patterns, at most. */
  static final int BROAD_GROUP = 24;
  /** A pattern leaving its initial state on fewer bytes than this is narrow. */
  static final int NARROW_START = 4;

  private final ProductDfa[] groups;

  private JavaMatcher(List<ByteDfa> searching, boolean[] raw, List<int[]> partition, int maxStates) {
    this.groups = new ProductDfa[partition.size()];
    for (int g = 0; g < groups.length; g++) {
      int[] ids = partition.get(g);
      ByteDfa[] dfas = new ByteDfa[ids.length];
      boolean[] memberRaw = new boolean[ids.length];
      for (int m = 0; m < ids.length; m++) {
        dfas[m] = searching.get(ids[m]);
        memberRaw[m] = raw[ids[m]];
      }
      groups[g] = new ProductDfa(dfas, ids, memberRaw, maxStates, MAX_GROUP_INTS);
    }
  }

  /** Compiles patterns; their indices are the ids reported to {@link EndSink}. */
  public static JavaMatcher compile(List<PatternNode> patterns) {
    return compile(patterns, MAX_STATES);
  }

  /** Compiles patterns with a cache of at most {@code maxStates} states per group and generation. */
  static JavaMatcher compile(List<PatternNode> patterns, int maxStates) {
    List<ByteDfa> dfas = new ArrayList<>();
    for (PatternNode p : patterns) {
      dfas.add(ByteDfa.searching(p));
    }
    boolean[] raw = new boolean[patterns.size()];
    return new JavaMatcher(dfas, raw, partition(dfas, raw), maxStates);
  }

  /**
   * Builds a matcher from searching DFAs (each accepting after every byte that ends a match it
   * must report, such as {@link ByteDfa#searchingFromBoundaryWithin}); those marked {@code raw}
   * report every end, even inside a word (for keywords).
   */
  public static JavaMatcher ofSearching(List<ByteDfa> searching, boolean[] raw) {
    checkRaw(searching, raw);
    List<ByteDfa> dfas = List.copyOf(searching);
    return new JavaMatcher(dfas, raw, partition(dfas, raw), MAX_STATES);
  }

  /** Builds a matcher whose groups are given: each array lists the indices of one group. */
  static JavaMatcher ofSearching(List<ByteDfa> searching, boolean[] raw, List<int[]> groups, int maxStates) {
    checkRaw(searching, raw);
    boolean[] seen = new boolean[searching.size()];
    for (int[] group : groups) {
      for (int p : group) {
        if (p < 0 || p >= seen.length || seen[p]) {
          throw new IllegalArgumentException("groups: pattern " + p + " (expected: each of 0 to " + (seen.length - 1) + " once)");
        }
        seen[p] = true;
      }
    }
    for (int p = 0; p < seen.length; p++) {
      if (!seen[p]) {
        throw new IllegalArgumentException("groups: pattern " + p + " in no group (expected: each pattern in one)");
      }
    }
    return new JavaMatcher(List.copyOf(searching), raw, List.copyOf(groups), maxStates);
  }

  private static void checkRaw(List<ByteDfa> searching, boolean[] raw) {
    if (raw.length != searching.size()) {
      throw new IllegalArgumentException("raw: " + raw.length + " flags (expected: " + searching.size() + ")");
    }
  }

  /**
   * Returns the groups for these patterns: raw patterns (keywords) together; patterns that leave
   * their initial state on fewer than {@value #NARROW_START} bytes together; the others in runs of
   * at most {@value #BROAD_GROUP}, in their order. Empty groups are left out.
   */
  static List<int[]> partition(List<ByteDfa> dfas, boolean[] raw) {
    List<Integer> keywords = new ArrayList<>();
    List<Integer> narrow = new ArrayList<>();
    List<Integer> broad = new ArrayList<>();
    for (int p = 0; p < dfas.size(); p++) {
      if (raw[p]) {
        keywords.add(p);
      } else if (startBytes(dfas.get(p)) < NARROW_START) {
        narrow.add(p);
      } else {
        broad.add(p);
      }
    }
    List<int[]> groups = new ArrayList<>();
    for (List<Integer> group : List.of(keywords, narrow)) {
      if (!group.isEmpty()) {
        groups.add(group.stream().mapToInt(Integer::intValue).toArray());
      }
    }
    int runs = (broad.size() + BROAD_GROUP - 1) / BROAD_GROUP;
    for (int r = 0; r < runs; r++) {
      groups.add(
          broad.subList(broad.size() * r / runs, broad.size() * (r + 1) / runs).stream()
              .mapToInt(Integer::intValue)
              .toArray());
    }
    return groups;
  }

  /**
   * Returns how many bytes take a searching DFA out of its initial state to a state where a match
   * is under way: every byte but those that keep it there and, for DFAs that start only on word
   * boundaries, those that lead to the state of being inside a word (which behaves as the initial
   * state but on word bytes, where it stays).
   */
  static int startBytes(ByteDfa dfa) {
    int initial = dfa.initial();
    int insideWord = -1;
    for (int b = 0; b < 256 && insideWord < 0; b++) {
      int t = dfa.step(initial, b);
      if (isWord(b) && t != initial && t >= 0 && behavesAsInsideWord(dfa, t)) {
        insideWord = t;
      }
    }
    int count = 0;
    for (int b = 0; b < 256; b++) {
      int t = dfa.step(initial, b);
      if (t != initial && t != insideWord) {
        count++;
      }
    }
    return count;
  }

  private static boolean behavesAsInsideWord(ByteDfa dfa, int state) {
    for (int b = 0; b < 256; b++) {
      if (dfa.step(state, b) != (isWord(b) ? state : dfa.step(dfa.initial(), b))) {
        return false;
      }
    }
    return true;
  }

  static boolean isWord(int b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '_';
  }

  /** Returns the groups, for tests. */
  ProductDfa[] groups() {
    return groups.clone();
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

  private final class Stream implements MatchStream {
    private final ProductDfa.Cursor[] cursors;
    private long offset;

    Stream() {
      this.cursors = new ProductDfa.Cursor[groups.length];
      for (int g = 0; g < groups.length; g++) {
        cursors[g] = groups[g].newCursor();
      }
    }

    @Override
    public void scan(byte[] bytes, int off, int length, EndSink sink) {
      // Four or two groups at a time over the whole chunk: their table reads overlap.
      int g = 0;
      for (; g + 3 < cursors.length; g += 4) {
        ProductDfa.scanQuad(cursors[g], cursors[g + 1], cursors[g + 2], cursors[g + 3], bytes, off, length, offset, sink);
      }
      for (; g + 1 < cursors.length; g += 2) {
        ProductDfa.scanPair(cursors[g], cursors[g + 1], bytes, off, length, offset, sink);
      }
      if (g < cursors.length) {
        cursors[g].scan(bytes, off, length, offset, sink);
      }
      offset += length;
    }

    @Override
    public void finish(EndSink sink) {
      for (ProductDfa.Cursor cursor : cursors) {
        cursor.finish(offset, sink);
      }
    }

    @Override
    public void close() {}
  }
}
