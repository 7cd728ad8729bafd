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

  private ByteDfa(Automaton automaton) {
    automaton.determinize();
    automaton.minimize();
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

  /** Returns a DFA accepting exactly the reversed matches of {@code pattern}. */
  public static ByteDfa reversed(PatternNode pattern) {
    return new ByteDfa(pattern.reverse().toAutomaton());
  }

  /**
   * Returns a DFA that never dies and is in an accepting state after every byte that ends a match
   * of {@code pattern} started anywhere before: the automaton of {@code .*pattern} over bytes.
   */
  public static ByteDfa searching(PatternNode pattern) {
    Automaton any = BasicAutomata.makeCharRange('\u0000', '\u00ff').repeat();
    return new ByteDfa(any.concatenate(pattern.toAutomaton()));
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
