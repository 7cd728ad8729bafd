package dev.custos.bench;

import dev.custos.engine.internal.pattern.ByteDfa;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Locale;

/**
 * Measures, before building it, what a two-byte (bigram) first pass could save the pure-Java
 * matcher: for each of its product groups, the share of corpus bytes the group would still have to
 * step through its automaton. Nothing is timed; the figures are counts, so they do not depend on
 * the machine's load.
 *
 * <p>The filter considered: per member of a group, a state {@code T(b)} for every byte {@code b},
 * the state the member is assumed to be in after {@code b} while the group sleeps. A byte pair
 * {@code (p, b)} wakes the member when the member, in {@code T(p)}, steps on {@code b} to a state
 * other than {@code T(b)} or to an accepting one; a group sleeps over a byte only when no member is
 * woken, and it is then resumed exactly (in the states {@code T} of the last byte). The share
 * reported is the bytes over which a group cannot sleep: those where some member is not in {@code
 * T} of the byte before or after it, whatever the implementation, so it bounds what any filter
 * derived this way can skip. Two choices of {@code T} are measured, both derived from the automata:
 * {@code start}, the state the member's initial state steps to on {@code b} (the closed start set
 * of the first-pass notes), and {@code majority}, refined three times to the state most printable
 * ASCII predecessors {@code p} step to from {@code T(p)} on {@code b} (so that, inside a word, a
 * pattern that starts only on word boundaries is assumed inside the word, not at its start).
 *
 * <p>The groups are reached through the engine's internals by reflection (a diagnostic, not an
 * API): a change there makes this fail with the name of the field it looked for.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.custos.bench.FirstPassShare
 * [kibibytes]}: the first {@code kibibytes} (default 1024) of the text and JSON corpora.
 */
public final class FirstPassShare {
  private FirstPassShare() {}

  /** Prints, per corpus and choice of {@code T}, each group's share of bytes it must step. */
  public static void main(String[] args) throws ReflectiveOperationException {
    int size = (args.length > 0 ? Integer.parseInt(args[0]) : 1024) << 10;
    Object[] groups;
    try (dev.custos.engine.Scanner scanner = Payloads.scanner("java")) {
      Object matcher = field(field(scanner, "engine"), "matcher");
      Method groupsOf = matcher.getClass().getDeclaredMethod("groups");
      groupsOf.setAccessible(true);
      groups = (Object[]) groupsOf.invoke(matcher);
    }
    ByteDfa[][] members = new ByteDfa[groups.length][];
    for (int g = 0; g < groups.length; g++) {
      members[g] = (ByteDfa[]) field(groups[g], "dfas");
    }
    for (String kind : List.of("text", "json")) {
      byte[] input = kind.equals("text")
          ? Corpus.text(size, Payloads.SEED) : Corpus.json(size, Payloads.SEED);
      for (String rule : List.of("start", "majority")) {
        boolean[] any = new boolean[input.length];
        StringBuilder line = new StringBuilder(
            String.format(Locale.ROOT, "%-4s T=%-8s", kind, rule));
        for (ByteDfa[] group : members) {
          boolean[] awake = new boolean[input.length];
          int wakePairs = 0;
          boolean[] pairWakes = new boolean[1 << 16];
          for (ByteDfa dfa : group) {
            int[] t = rule.equals("start") ? startRule(dfa) : majorityRule(dfa, 3);
            markAwake(dfa, t, input, awake);
            for (int p = 0; p < 256; p++) {
              for (int b = 0; b < 256; b++) {
                int next = dfa.step(t[p], b);
                if (next != t[b] || dfa.isAccept(next)) {
                  pairWakes[p << 8 | b] = true;
                }
              }
            }
          }
          for (int p = 0x20; p < 0x7f; p++) {
            for (int b = 0x20; b < 0x7f; b++) {
              wakePairs += pairWakes[p << 8 | b] ? 1 : 0;
            }
          }
          int count = 0;
          for (int j = 0; j < awake.length; j++) {
            if (awake[j]) {
              count++;
              any[j] = true;
            }
          }
          line.append(String.format(Locale.ROOT, " | %3d members: %5.1f %% (%4d of 9025 pairs wake)",
              group.length, 100.0 * count / input.length, wakePairs));
        }
        int count = 0;
        int runs = 0;
        for (int j = 0; j < any.length; j++) {
          if (any[j]) {
            count++;
            runs += j == 0 || !any[j - 1] ? 1 : 0;
          }
        }
        line.append(String.format(Locale.ROOT, " | all groups: %5.1f %% in %d runs",
            100.0 * count / input.length, runs));
        System.out.println(line);
      }
    }
  }

  /** Marks the bytes over which this member cannot sleep. */
  private static void markAwake(ByteDfa dfa, int[] t, byte[] input, boolean[] awake) {
    int state = dfa.initial();
    boolean before = false;
    for (int j = 0; j < input.length; j++) {
      int b = input[j] & 0xff;
      int next = dfa.step(state, b);
      boolean after = next == t[b] && !dfa.isAccept(next);
      if (!(before && after)) {
        awake[j] = true;
      }
      state = next;
      before = after;
    }
  }

  private static int[] startRule(ByteDfa dfa) {
    int[] t = new int[256];
    for (int b = 0; b < 256; b++) {
      t[b] = dfa.step(dfa.initial(), b);
    }
    return t;
  }

  private static int[] majorityRule(ByteDfa dfa, int rounds) {
    int[] t = startRule(dfa);
    int[] votes = new int[dfa.size()];
    for (int r = 0; r < rounds; r++) {
      int[] next = new int[256];
      for (int b = 0; b < 256; b++) {
        java.util.Arrays.fill(votes, 0);
        int best = t[b];
        for (int p = 0; p < 256; p++) {
          if ((p >= 0x20 && p < 0x7f) || p == '\n') {
            int s = dfa.step(t[p], b);
            if (++votes[s] > votes[best]) {
              best = s;
            }
          }
        }
        next[b] = best;
      }
      t = next;
    }
    return t;
  }

  private static Object field(Object owner, String name) throws ReflectiveOperationException {
    for (Class<?> c = owner.getClass(); c != null; c = c.getSuperclass()) {
      try {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(owner);
      } catch (NoSuchFieldException e) {
        // look in the superclass
      }
    }
    throw new NoSuchFieldException(owner.getClass().getName() + "." + name
        + " (expected: the engine internals this diagnostic reads; update it with them)");
  }
}
