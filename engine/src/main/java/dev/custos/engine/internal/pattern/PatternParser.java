package dev.custos.engine.internal.pattern;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Parses the Custos pattern syntax: a linear-time subset of RE2 over bytes.
 *
 * <ul>
 *   <li>literals (non-ASCII characters stand for their UTF-8 bytes), {@code .} (any byte but
 *       newline), escapes {@code \d \D \w \W \s \S \t \n \r \f \v \xHH} and escaped punctuation;
 *   <li>classes {@code [a-z0-9_]}, {@code [^...]} with ranges and the escapes above (ASCII only);
 *   <li>groups {@code (...)} and {@code (?:...)}, alternation {@code |};
 *   <li>greedy quantifiers {@code * + ? {n} {n,} {n,m}} (counts up to 1000);
 *   <li>{@code (?i)} at the very start: ASCII letters match either case.
 * </ul>
 *
 * <p>Anchors, back-references, look-around, lazy and possessive quantifiers are refused, and so
 * are patterns that can match the empty string.
 */
public final class PatternParser {
  private static final int MAX_COUNT = 1000;

  private final String pattern;
  private int pos;
  private boolean caseInsensitive;

  private PatternParser(String pattern) {
    this.pattern = pattern;
  }

  /**
   * Parses a pattern.
   *
   * @throws PatternException naming what was wrong and where
   */
  public static PatternNode parse(String pattern) {
    requireNonNull(pattern, "pattern");
    PatternParser p = new PatternParser(pattern);
    if (pattern.startsWith("(?i)")) {
      p.caseInsensitive = true;
      p.pos = 4;
    }
    PatternNode node = p.alternation();
    if (p.pos < pattern.length()) {
      throw new PatternException("unbalanced ')' (expected: a matching '(')", p.pos);
    }
    if (node.minLength() == 0) {
      throw new PatternException("pattern can match the empty string (expected: at least one byte)", 0);
    }
    return node;
  }

  /** Returns a pattern matching {@code text}'s UTF-8 bytes, ASCII letters in either case. */
  public static PatternNode caseInsensitiveLiteral(String text) {
    requireNonNull(text, "text");
    if (text.isEmpty()) {
      throw new IllegalArgumentException("literal: empty (expected: at least one character)");
    }
    StringBuilder sb = new StringBuilder("(?i)");
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      sb.append(String.format("\\x%02x", b & 0xff));
    }
    return parse(sb.toString());
  }

  private PatternNode alternation() {
    List<PatternNode> choices = new ArrayList<>();
    choices.add(concatenation());
    while (pos < pattern.length() && pattern.charAt(pos) == '|') {
      pos++;
      choices.add(concatenation());
    }
    return choices.size() == 1 ? choices.get(0) : new PatternNode.Alternation(choices);
  }

  private PatternNode concatenation() {
    List<PatternNode> parts = new ArrayList<>();
    while (pos < pattern.length()) {
      char c = pattern.charAt(pos);
      if (c == '|' || c == ')') {
        break;
      }
      PatternNode atom = atom();
      parts.add(quantified(atom));
    }
    return parts.size() == 1 ? parts.get(0) : new PatternNode.Concat(parts);
  }

  private PatternNode quantified(PatternNode atom) {
    PatternNode result = atom;
    while (pos < pattern.length()) {
      char c = pattern.charAt(pos);
      int min;
      int max;
      int at = pos;
      if (c == '*') {
        min = 0;
        max = PatternNode.UNBOUNDED;
        pos++;
      } else if (c == '+') {
        min = 1;
        max = PatternNode.UNBOUNDED;
        pos++;
      } else if (c == '?') {
        min = 0;
        max = 1;
        pos++;
      } else if (c == '{' && isCountedRepeat()) {
        pos++;
        min = number();
        if (peek() == ',') {
          pos++;
          max = peek() == '}' ? PatternNode.UNBOUNDED : number();
        } else {
          max = min;
        }
        expect('}');
        if (max != PatternNode.UNBOUNDED && max < min) {
          throw new PatternException("repeat {" + min + "," + max + "} (expected: min <= max)", at);
        }
      } else {
        break;
      }
      if (pos < pattern.length() && (pattern.charAt(pos) == '?' || pattern.charAt(pos) == '+')) {
        throw new PatternException(
            "lazy or possessive quantifier (expected: greedy quantifiers only)", pos);
      }
      if (result instanceof PatternNode.Repeat) {
        throw new PatternException("nested quantifier (expected: one quantifier per atom)", at);
      }
      result = new PatternNode.Repeat(result, min, max);
    }
    return result;
  }

  private boolean isCountedRepeat() {
    int i = pos + 1;
    int digits = 0;
    while (i < pattern.length() && Character.isDigit(pattern.charAt(i))) {
      i++;
      digits++;
    }
    return digits > 0 && i < pattern.length() && (pattern.charAt(i) == '}' || pattern.charAt(i) == ',');
  }

  private int number() {
    int start = pos;
    while (pos < pattern.length() && Character.isDigit(pattern.charAt(pos))) {
      pos++;
    }
    if (start == pos) {
      throw new PatternException("repeat count missing (expected: a number)", pos);
    }
    int value;
    try {
      value = Integer.parseInt(pattern.substring(start, pos));
    } catch (NumberFormatException e) {
      value = Integer.MAX_VALUE;
    }
    if (value > MAX_COUNT) {
      throw new PatternException(
          "repeat count " + value + " (expected: at most " + MAX_COUNT + ")", start);
    }
    return value;
  }

  private PatternNode atom() {
    char c = pattern.charAt(pos);
    switch (c) {
      case '(':
        return group();
      case '[':
        return new PatternNode.ByteSet(characterClass());
      case '.':
        pos++;
        BitSet any = new BitSet(256);
        any.set(0, 256);
        any.clear('\n');
        return new PatternNode.ByteSet(any);
      case '\\':
        return escapeAtom();
      case '^':
      case '$':
        throw new PatternException(
            "anchor '" + c + "' (expected: no anchors; matches are bounded by word boundaries)", pos);
      case '*':
      case '+':
      case '?':
        throw new PatternException("quantifier '" + c + "' with nothing to repeat", pos);
      default:
        return literal();
    }
  }

  private PatternNode group() {
    int open = pos;
    pos++;
    if (pattern.startsWith("?:", pos)) {
      pos += 2;
    } else if (peek() == '?') {
      throw new PatternException(
          "group flag or look-around (expected: '(' or '(?:'; '(?i)' only at the start)", pos);
    }
    PatternNode inner = alternation();
    if (peek() != ')') {
      throw new PatternException("unclosed group (expected: ')')", open);
    }
    pos++;
    return inner;
  }

  private PatternNode literal() {
    int cp = pattern.codePointAt(pos);
    pos += Character.charCount(cp);
    if (cp < 0x80) {
      return new PatternNode.ByteSet(single(cp));
    }
    byte[] utf8 = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
    List<PatternNode> bytes = new ArrayList<>();
    for (byte b : utf8) {
      BitSet s = new BitSet(256);
      s.set(b & 0xff);
      bytes.add(new PatternNode.ByteSet(s));
    }
    return new PatternNode.Concat(bytes);
  }

  private BitSet single(int b) {
    BitSet s = new BitSet(256);
    s.set(b);
    if (caseInsensitive && Character.isLetter(b) && b < 0x80) {
      s.set(Character.toLowerCase(b));
      s.set(Character.toUpperCase(b));
    }
    return s;
  }

  private PatternNode escapeAtom() {
    int at = pos;
    BitSet set = escape(false);
    if (set == null) {
      throw new PatternException("unsupported escape (expected: \\d \\w \\s \\D \\W \\S \\t \\n \\r \\f \\v \\xHH or escaped punctuation)", at);
    }
    return new PatternNode.ByteSet(set);
  }

  /** Parses an escape at pos (pointing at the backslash); returns null if unsupported. */
  private BitSet escape(boolean inClass) {
    int at = pos;
    pos++;
    if (pos >= pattern.length()) {
      throw new PatternException("trailing backslash (expected: an escaped character)", at);
    }
    char c = pattern.charAt(pos++);
    BitSet s = new BitSet(256);
    switch (c) {
      case 'd':
        s.set('0', '9' + 1);
        return s;
      case 'D':
        s.set(0, 256);
        s.clear('0', '9' + 1);
        return s;
      case 'w':
        return word();
      case 'W':
        s.set(0, 256);
        s.andNot(word());
        return s;
      case 's':
        return space();
      case 'S':
        s.set(0, 256);
        s.andNot(space());
        return s;
      case 't':
        s.set('\t');
        return s;
      case 'n':
        s.set('\n');
        return s;
      case 'r':
        s.set('\r');
        return s;
      case 'f':
        s.set('\f');
        return s;
      case 'v':
        s.set(0x0b);
        return s;
      case 'x':
        if (pos + 2 > pattern.length()) {
          throw new PatternException("\\x needs two hex digits", at);
        }
        try {
          int b = Integer.parseInt(pattern.substring(pos, pos + 2), 16);
          pos += 2;
          return single(b);
        } catch (NumberFormatException e) {
          throw new PatternException("\\x needs two hex digits", at);
        }
      case 'b':
      case 'B':
      case 'A':
      case 'z':
      case 'Z':
        throw new PatternException(
            "assertion '\\" + c + "' (expected: no assertions; matches are bounded by word boundaries)", at);
      default:
        if (c < 0x80 && !Character.isLetterOrDigit(c)) {
          return single(c);
        }
        pos = at;
        return null;
    }
  }

  private BitSet characterClass() {
    int open = pos;
    pos++;
    boolean negated = false;
    if (peek() == '^') {
      negated = true;
      pos++;
    }
    BitSet set = new BitSet(256);
    boolean first = true;
    while (true) {
      if (pos >= pattern.length()) {
        throw new PatternException("unclosed class (expected: ']')", open);
      }
      char c = pattern.charAt(pos);
      if (c == ']' && !first) {
        pos++;
        break;
      }
      first = false;
      int low;
      if (c == '\\') {
        int at = pos;
        BitSet e = escape(true);
        if (e == null) {
          throw new PatternException("unsupported escape in class", at);
        }
        if (e.cardinality() != 1 || isRangeAhead() == false) {
          set.or(e);
          continue;
        }
        low = e.nextSetBit(0);
      } else {
        if (c >= 0x80) {
          throw new PatternException("non-ASCII character in class (expected: ASCII; use alternation)", pos);
        }
        if (c == '[' && pattern.startsWith("[:", pos)) {
          throw new PatternException("POSIX class (expected: \\d, \\w, \\s or a range)", pos);
        }
        low = c;
        pos++;
      }
      if (isRangeAhead()) {
        pos++;
        char hc = pattern.charAt(pos);
        int high;
        if (hc == '\\') {
          int at = pos;
          BitSet e = escape(true);
          if (e == null || e.cardinality() != 1) {
            throw new PatternException("range end must be a single character", at);
          }
          high = e.nextSetBit(0);
        } else {
          if (hc >= 0x80) {
            throw new PatternException("non-ASCII character in class (expected: ASCII)", pos);
          }
          high = hc;
          pos++;
        }
        if (high < low) {
          throw new PatternException("range out of order (expected: low-high)", pos - 1);
        }
        for (int b = low; b <= high; b++) {
          set.or(single(b));
        }
      } else {
        set.or(single(low));
      }
    }
    if (negated) {
      BitSet all = new BitSet(256);
      all.set(0, 256);
      all.andNot(set);
      set = all;
    }
    if (set.isEmpty()) {
      throw new PatternException("class matches nothing", open);
    }
    return set;
  }

  private boolean isRangeAhead() {
    return pos + 1 < pattern.length() && pattern.charAt(pos) == '-' && pattern.charAt(pos + 1) != ']';
  }

  private char peek() {
    return pos < pattern.length() ? pattern.charAt(pos) : '\0';
  }

  private void expect(char c) {
    if (peek() != c) {
      throw new PatternException("expected '" + c + "'", pos);
    }
    pos++;
  }

  private static BitSet word() {
    BitSet s = new BitSet(256);
    s.set('a', 'z' + 1);
    s.set('A', 'Z' + 1);
    s.set('0', '9' + 1);
    s.set('_');
    return s;
  }

  private static BitSet space() {
    BitSet s = new BitSet(256);
    s.set(' ');
    s.set('\t');
    s.set('\n');
    s.set('\r');
    s.set('\f');
    s.set(0x0b);
    return s;
  }
}
