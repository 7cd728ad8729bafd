package dev.custos.engine.internal.match;

import dev.custos.engine.internal.pattern.PatternParser;
import dk.brics.automaton.Automaton;
import dk.brics.automaton.State;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A brute-force reference for the {@link MatchStream} contract: for every start {@code s} and end
 * {@code e > s}, reports {@code (i, e)} when pattern {@code i}'s automaton accepts {@code [s, e)}.
 * Quadratic; for short test inputs only.
 */
final class NaiveReference {
  private final List<Automaton> automata = new ArrayList<>();

  NaiveReference(List<String> patterns) {
    for (String p : patterns) {
      Automaton a = PatternParser.parse(p).toAutomaton();
      a.determinize();
      automata.add(a);
    }
  }

  Set<Event> events(byte[] input) {
    Set<Event> events = new TreeSet<>();
    for (int i = 0; i < automata.size(); i++) {
      State initial = automata.get(i).getInitialState();
      for (int s = 0; s < input.length; s++) {
        State state = initial;
        // Walking forward from s visits every [s, e) in turn; a dead state ends the walk.
        for (int e = s + 1; e <= input.length && state != null; e++) {
          state = state.step((char) (input[e - 1] & 0xff));
          if (state != null && state.isAccept()) {
            events.add(new Event(i, e));
          }
        }
      }
    }
    return events;
  }

  /** An end event {@code (pattern, end)}. */
  record Event(int pattern, long end) implements Comparable<Event> {
    @Override
    public int compareTo(Event o) {
      int c = Long.compare(end, o.end);
      return c != 0 ? c : Integer.compare(pattern, o.pattern);
    }
  }
}
