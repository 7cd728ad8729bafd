package dev.custos.engine.internal.pattern;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import java.util.BitSet;
import java.util.List;

/**
 * A parsed pattern over bytes. Immutable. Produces the same language as a brics {@link Automaton}
 * (alphabet: chars 0 to 255, one per byte) and as a Hyperscan expression.
 */
public abstract class PatternNode {
  static final int UNBOUNDED = -1;

  PatternNode() {}

  /** Returns an automaton (possibly non-deterministic) accepting exactly this pattern's matches. */
  public abstract Automaton toAutomaton();

  /** Returns a Hyperscan expression (byte mode, no flags needed) for the same language. */
  public abstract String toHyperscan();

  /** Returns the longest match in bytes, or -1 when repetition is unbounded. */
  public abstract int maxLength();

  /** Returns the shortest match in bytes. */
  public abstract int minLength();

  /** Returns a pattern matching exactly the reversed byte strings of this one. */
  public abstract PatternNode reverse();

  /**
   * Returns a pattern whose language contains this one's, with every counted repetition made
   * {@code *} or {@code +}. A searching automaton ({@code .*P}) of a counted pattern must remember
   * every position a match may have started at, which can take exponentially many states; a
   * relaxed one stays small. Relaxing only adds end positions, and the exact pattern then decides
   * every candidate, so findings do not change.
   */
  public final PatternNode relaxed() {
    return relaxed(1, false);
  }

  /** Like {@link #relaxed(int)}, but a relaxed repetition keeps its minimum ({@code {m,n}} becomes {@code {m,}}). */
  public final PatternNode relaxedKeepingMinimum() {
    return relaxed(1, true);
  }

  /** Like {@link #relaxed()}, but relaxes only repetitions whose maximum is above {@code above}. */
  public final PatternNode relaxed(int above) {
    return relaxed(above, false);
  }

  /** Relaxes repetitions whose maximum is above {@code above}, keeping their minimum. */
  public final PatternNode relaxedKeepingMinimum(int above) {
    return relaxed(above, true);
  }

  abstract PatternNode relaxed(int above, boolean keepMinimum);

  /**
   * Returns this pattern without its first element, or {@code null} when it is not a sequence of
   * two or more. Every match of {@code A·X} ending at some offset contains a match of {@code X}
   * ending there, so searching for {@code X} finds a superset of the ends. A narrow first element
   * (such as {@code [13]} before {@code [1-9A-Za-z]{25,34}}) is what makes a searching automaton
   * remember many possible starts; without it the automaton stays small.
   */
  public @org.jspecify.annotations.Nullable PatternNode withoutFirstElement() {
    if (this instanceof Concat && ((Concat) this).parts.size() >= 2) {
      List<PatternNode> parts = ((Concat) this).parts;
      PatternNode rest = parts.size() == 2 ? parts.get(1) : new Concat(parts.subList(1, parts.size()));
      return rest.minLength() > 0 ? rest : null;
    }
    return null;
  }

  /** Returns the bytes a match may begin with (empty when the pattern matches only ""). */
  public final BitSet firstBytes() {
    BitSet first = new BitSet(256);
    addFirstBytes(this, first);
    return first;
  }

  /** Adds the bytes a match of {@code node} may start with, from the tree (no automaton built). */
  private static void addFirstBytes(PatternNode node, BitSet out) {
    if (node instanceof ByteSet) {
      out.or(((ByteSet) node).bytes);
    } else if (node instanceof Concat) {
      for (PatternNode part : ((Concat) node).parts) {
        addFirstBytes(part, out);
        if (part.minLength() > 0) {
          break;
        }
      }
    } else if (node instanceof Alternation) {
      for (PatternNode choice : ((Alternation) node).choices) {
        addFirstBytes(choice, out);
      }
    } else if (node instanceof Repeat) {
      Repeat r = (Repeat) node;
      if (r.max != 0) {
        addFirstBytes(r.body, out);
      }
    } else {
      for (dk.brics.automaton.Transition t : node.toAutomaton().getInitialState().getTransitions()) {
        out.set(t.getMin(), t.getMax() + 1);
      }
    }
  }

  /** Returns the bytes a match may end with (empty when the pattern matches only ""). */
  public final BitSet lastBytes() {
    return reverse().firstBytes();
  }

  /** A set of single bytes. */
  static final class ByteSet extends PatternNode {
    final BitSet bytes;

    ByteSet(BitSet bytes) {
      this.bytes = (BitSet) bytes.clone();
    }

    @Override
    public Automaton toAutomaton() {
      Automaton result = BasicAutomata.makeEmpty();
      int i = bytes.nextSetBit(0);
      while (i >= 0) {
        int j = bytes.nextClearBit(i);
        result = result.union(BasicAutomata.makeCharRange((char) i, (char) (j - 1)));
        i = bytes.nextSetBit(j);
      }
      return result;
    }

    @Override
    public String toHyperscan() {
      if (bytes.cardinality() == 1) {
        return literal(bytes.nextSetBit(0));
      }
      StringBuilder sb = new StringBuilder("[");
      int i = bytes.nextSetBit(0);
      while (i >= 0) {
        int j = bytes.nextClearBit(i) - 1;
        sb.append(hex(i));
        if (j > i) {
          sb.append('-').append(hex(j));
        }
        i = bytes.nextSetBit(j + 1);
      }
      return sb.append(']').toString();
    }

    private static String literal(int b) {
      if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) {
        return String.valueOf((char) b);
      }
      return hex(b);
    }

    private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

    /** Returns {@code \xHH}, as {@code String.format("\\x%02x", b)} would, without its cost. */
    private static String hex(int b) {
      return new String(new char[] {'\\', 'x', HEX_DIGITS[(b >> 4) & 0xf], HEX_DIGITS[b & 0xf]});
    }

    @Override
    public int maxLength() {
      return 1;
    }

    @Override
    public int minLength() {
      return 1;
    }

    @Override
    public PatternNode reverse() {
      return this;
    }

    @Override
    PatternNode relaxed(int above, boolean keepMinimum) {
      return this;
    }
  }

  /** A sequence. */
  static final class Concat extends PatternNode {
    final List<PatternNode> parts;

    Concat(List<PatternNode> parts) {
      this.parts = List.copyOf(parts);
    }

    @Override
    public Automaton toAutomaton() {
      Automaton result = BasicAutomata.makeEmptyString();
      for (PatternNode p : parts) {
        result = result.concatenate(p.toAutomaton());
      }
      return result;
    }

    @Override
    public String toHyperscan() {
      StringBuilder sb = new StringBuilder();
      for (PatternNode p : parts) {
        sb.append(p instanceof Alternation ? "(?:" + p.toHyperscan() + ")" : p.toHyperscan());
      }
      return sb.toString();
    }

    @Override
    public int maxLength() {
      int sum = 0;
      for (PatternNode p : parts) {
        int m = p.maxLength();
        if (m == UNBOUNDED) {
          return UNBOUNDED;
        }
        sum += m;
      }
      return sum;
    }

    @Override
    public int minLength() {
      int sum = 0;
      for (PatternNode p : parts) {
        sum += p.minLength();
      }
      return sum;
    }

    @Override
    public PatternNode reverse() {
      List<PatternNode> reversed = new java.util.ArrayList<>(parts.size());
      for (int i = parts.size() - 1; i >= 0; i--) {
        reversed.add(parts.get(i).reverse());
      }
      return new Concat(reversed);
    }

    @Override
    PatternNode relaxed(int above, boolean keepMinimum) {
      List<PatternNode> relaxed = new java.util.ArrayList<>(parts.size());
      for (PatternNode p : parts) {
        relaxed.add(p.relaxed(above, keepMinimum));
      }
      return new Concat(relaxed);
    }
  }

  /** A choice. */
  static final class Alternation extends PatternNode {
    final List<PatternNode> choices;

    Alternation(List<PatternNode> choices) {
      this.choices = List.copyOf(choices);
    }

    @Override
    public Automaton toAutomaton() {
      Automaton result = BasicAutomata.makeEmpty();
      for (PatternNode p : choices) {
        result = result.union(p.toAutomaton());
      }
      return result;
    }

    @Override
    public String toHyperscan() {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < choices.size(); i++) {
        if (i > 0) {
          sb.append('|');
        }
        sb.append(choices.get(i).toHyperscan());
      }
      return sb.toString();
    }

    @Override
    public int maxLength() {
      int max = 0;
      for (PatternNode p : choices) {
        int m = p.maxLength();
        if (m == UNBOUNDED) {
          return UNBOUNDED;
        }
        max = Math.max(max, m);
      }
      return max;
    }

    @Override
    public int minLength() {
      int min = Integer.MAX_VALUE;
      for (PatternNode p : choices) {
        min = Math.min(min, p.minLength());
      }
      return min;
    }

    @Override
    public PatternNode reverse() {
      List<PatternNode> reversed = new java.util.ArrayList<>(choices.size());
      for (PatternNode p : choices) {
        reversed.add(p.reverse());
      }
      return new Alternation(reversed);
    }

    @Override
    PatternNode relaxed(int above, boolean keepMinimum) {
      List<PatternNode> relaxed = new java.util.ArrayList<>(choices.size());
      for (PatternNode p : choices) {
        relaxed.add(p.relaxed(above, keepMinimum));
      }
      return new Alternation(relaxed);
    }
  }

  /** A greedy repetition {@code {min,max}}; max is -1 for unbounded. */
  static final class Repeat extends PatternNode {
    final PatternNode body;
    final int min;
    final int max;

    Repeat(PatternNode body, int min, int max) {
      this.body = body;
      this.min = min;
      this.max = max;
    }

    @Override
    public Automaton toAutomaton() {
      Automaton a = body.toAutomaton();
      return max == UNBOUNDED ? a.repeat(min) : a.repeat(min, max);
    }

    @Override
    public String toHyperscan() {
      String inner = body instanceof ByteSet ? body.toHyperscan() : "(?:" + body.toHyperscan() + ")";
      if (min == 0 && max == UNBOUNDED) {
        return inner + "*";
      }
      if (min == 1 && max == UNBOUNDED) {
        return inner + "+";
      }
      if (min == 0 && max == 1) {
        return inner + "?";
      }
      if (max == UNBOUNDED) {
        return inner + "{" + min + ",}";
      }
      if (min == max) {
        return inner + "{" + min + "}";
      }
      return inner + "{" + min + "," + max + "}";
    }

    @Override
    public int maxLength() {
      int m = body.maxLength();
      if (max == UNBOUNDED || m == UNBOUNDED) {
        return max == 0 ? 0 : UNBOUNDED;
      }
      return m * max;
    }

    @Override
    public int minLength() {
      return body.minLength() * min;
    }

    @Override
    public PatternNode reverse() {
      return new Repeat(body.reverse(), min, max);
    }

    @Override
    PatternNode relaxed(int above, boolean keepMinimum) {
      PatternNode b = body.relaxed(above, keepMinimum);
      if (max != UNBOUNDED && max <= above) {
        return new Repeat(b, min, max);
      }
      return new Repeat(b, keepMinimum ? min : Math.min(min, 1), UNBOUNDED);
    }
  }
}
