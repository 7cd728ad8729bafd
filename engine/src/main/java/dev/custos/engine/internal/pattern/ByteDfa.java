package dev.custos.engine.internal.pattern;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import dk.brics.automaton.RunAutomaton;

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
  public static @org.jspecify.annotations.Nullable ByteDfa searchingWithin(PatternNode pattern, int cap) {
    Automaton nfa = BasicAutomata.makeCharRange('\u0000', '\u00ff').repeat().concatenate(pattern.toAutomaton());
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
    java.util.Map<java.util.BitSet, Integer> ids = new java.util.HashMap<>();
    java.util.List<java.util.BitSet> subsets = new java.util.ArrayList<>();
    java.util.BitSet start = new java.util.BitSet();
    start.set(index.get(nfa.getInitialState()));
    ids.put(start, 0);
    subsets.add(start);
    int[] table = new int[256 * Math.min(cap, 64)];
    java.util.BitSet[] next = new java.util.BitSet[256];
    for (int current = 0; current < subsets.size(); current++) {
      java.util.BitSet set = subsets.get(current);
      for (int b = 0; b < 256; b++) {
        next[b] = null;
      }
      for (int i = set.nextSetBit(0); i >= 0; i = set.nextSetBit(i + 1)) {
        int[] flat = transitions[i];
        for (int k = 0; k < flat.length; k += 3) {
          for (int c = flat[k]; c <= flat[k + 1]; c++) {
            if (next[c] == null) {
              next[c] = new java.util.BitSet();
            }
            next[c].set(flat[k + 2]);
          }
        }
      }
      if (table.length < (current + 1) * 256) {
        table = java.util.Arrays.copyOf(table, Math.max(table.length * 2, (current + 1) * 256));
      }
      for (int b = 0; b < 256; b++) {
        if (next[b] == null) {
          table[current * 256 + b] = -1;
          continue;
        }
        Integer id = ids.get(next[b]);
        if (id == null) {
          if (subsets.size() == cap) {
            return null;
          }
          id = subsets.size();
          ids.put(next[b], id);
          subsets.add(next[b]);
        }
        table[current * 256 + b] = id;
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
    return new ByteDfa(java.util.Arrays.copyOf(table, subsets.size() * 256), accept, 0);
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
