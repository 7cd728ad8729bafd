package dev.custos.engine.internal.scan;

import dev.custos.engine.ScanNote;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Follows the structure of JSON (one document or many in a row), fed chunk by chunk, and
 * remembers the scalar tokens that may contain a candidate: their byte spans, JSON paths and key
 * names. On malformed input, too deep nesting or a too long token it stops and records where
 * structure was last known ({@link #failedAt()}).
 *
 * <p>A light structural scanner: one pass over the bytes that tracks strings, names, numbers,
 * literals and nesting, validates them as Jackson's non-blocking parser does with its default
 * features (RFC 8259 JSON, UTF-8 checked inside strings and names, no comments, no leading zeros,
 * values at the root one after another), and keeps only what a path needs: per nesting level its
 * kind, its array index and its current field name as written. A path and a key name are built
 * only for the tokens a candidate ends in. Limits: nesting deeper than {@code maxDepth}, a string
 * of more than {@code maxTokenLength} characters, a name of more than {@code maxTokenLength}
 * UTF-8 bytes or a number of more than {@code min(maxTokenLength, 10000)} digits stops it.
 *
 * <p>Linear time; memory is the remembered tokens plus the current names of the open levels. Not
 * thread-safe.
 */
final class JsonTracker {
  /**
   * Says which tokens are worth remembering: those a candidate ends in. Asked with increasing
   * {@code first} within one feed; the tracker asks again only once it has passed the end given.
   */
  interface Interest {
    /** Returns the smallest end of a candidate after {@code first}, or {@link Long#MAX_VALUE}. */
    long nextEnd(long first);
  }

  /** A scalar token: a string value, a field name or a number. */
  static final class Token {
    final long first;
    final long end;
    final long contentStart;
    final long contentEnd;
    final boolean number;
    final @Nullable String key;
    /** The path, once built (see {@link #path()}). */
    private @Nullable String path;
    /** Until the path is built: its enclosing value's path and its last step. */
    private final @Nullable String parentPath;
    private final @Nullable String stepName;
    private final int stepIndex;
    private @Nullable KeyName keyName;
    private @Nullable KeyName pathName;

    Token(long first, long end, boolean number, String path, @Nullable String key) {
      this(first, end, number, path, null, null, 0, key);
    }

    /**
     * Returns a token whose path, built only when asked for, is {@code parentPath} then the field
     * {@code stepName}, or the array item {@code stepIndex} when the name is null: most tokens are
     * remembered for a candidate that never becomes a finding.
     */
    static Token under(long first, long end, boolean number, String parentPath,
        @Nullable String stepName, int stepIndex, @Nullable String key) {
      return new Token(first, end, number, null, parentPath, stepName, stepIndex, key);
    }

    private Token(long first, long end, boolean number, @Nullable String path,
        @Nullable String parentPath, @Nullable String stepName, int stepIndex, @Nullable String key) {
      this.first = first;
      this.end = end;
      this.number = number;
      this.contentStart = number ? first : first + 1;
      this.contentEnd = number ? end : end - 1;
      this.path = path;
      this.parentPath = parentPath;
      this.stepName = stepName;
      this.stepIndex = stepIndex;
      this.key = key;
    }

    /** Returns the JSON path of the token's value ({@code $.users[3].email}). */
    String path() {
      String p = path;
      if (p == null) {
        String parent = java.util.Objects.requireNonNull(parentPath);
        StringBuilder sb = new StringBuilder(parent.length() + 16).append(parent);
        if (stepName == null) {
          sb.append('[').append(stepIndex).append(']');
        } else {
          appendName(stepName, sb);
        }
        p = sb.toString();
        path = p;
      }
      return p;
    }

    /**
     * Returns a form field's token: content from {@code contentStart} on, its end not known (the
     * form decoder knows where fields end; see {@link FormDecoder#tokenAt}).
     */
    Token(long contentStart, String path, @Nullable String key) {
      this.first = contentStart;
      this.end = Long.MAX_VALUE;
      this.number = false;
      this.contentStart = contentStart;
      this.contentEnd = Long.MAX_VALUE;
      this.path = path;
      this.parentPath = null;
      this.stepName = null;
      this.stepIndex = 0;
      this.key = key;
    }

    boolean contains(long start, long stop) {
      return start >= contentStart && stop <= contentEnd;
    }

    /** Returns the key split into words, made once per token; null when there is no key. */
    @Nullable KeyName keyName() {
      KeyName k = keyName;
      if (k == null && key != null) {
        k = KeyName.of(key);
        keyName = k;
      }
      return k;
    }

    /** Returns the path split into words, made once per token. */
    KeyName pathName() {
      KeyName p = pathName;
      if (p == null) {
        p = KeyName.of(path());
        pathName = p;
      }
      return p;
    }

    @Override
    public String toString() {
      return "Token{[" + first + ", " + end + ")" + (number ? " number" : "") + '}';
    }
  }

  // Where the scanner is between tokens, and inside one.
  private static final int ROOT = 0;
  /** A value must follow (after a colon, or a comma in an array). */
  private static final int VALUE = 1;
  /** After '[': a value or ']'. */
  private static final int ARRAY_FIRST = 2;
  /** After '{': a name or '}'. */
  private static final int OBJECT_FIRST = 3;
  /** After a comma in an object: a name. */
  private static final int NAME = 4;
  private static final int COLON = 5;
  /** After a value inside an array or object: a comma or the closing bracket. */
  private static final int AFTER = 6;
  private static final int STRING = 7;
  private static final int NUMBER = 8;
  private static final int LITERAL = 9;
  private static final int BOM = 10;

  // Number parts.
  private static final int N_MINUS = 0;
  private static final int N_ZERO = 1;
  private static final int N_INT = 2;
  private static final int N_DOT = 3;
  private static final int N_FRAC = 4;
  private static final int N_EXP = 5;
  private static final int N_EXP_SIGN = 6;
  private static final int N_EXP_DIGITS = 7;

  private static final byte ARRAY = 1;
  private static final byte OBJECT = 2;

  private static final byte[][] LITERALS = {
    "true".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
    "false".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
    "null".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
  };

  private static final int[] UTF8_BOM = {0xEF, 0xBB, 0xBF};

  private final int maxDepth;
  private final int maxString;
  private final int maxName;
  private final int maxNumber;

  /** The stream offset of the next byte fed. */
  private long pos;
  private int state = BOM;

  /**
   * The arrays below: the thread's kept ones (see {@link WindowPool}) until {@link #release()}.
   * Entries of a level are set when the level opens, so those of levels not open are never read.
   */
  private final WindowPool.JsonScratch scratch;
  /** Open levels 1..depth: kind, array index, and the current name's bytes as written. */
  private int depth;
  private byte[] kind;
  private int[] index;
  private int[] nameFrom;
  private int[] nameTo;
  private @Nullable String[] nameText;
  /** Per open level, its path once built; reset when its index or name changes. */
  private @Nullable String[] pathText;
  private byte[] names;
  private boolean released;

  /** The token being read: where it starts, and what of it has been read. */
  private long tokenFirst;
  private boolean inName;
  /** Inside a string: 0, or 1 after a backslash, or 2 to 5 while reading the four hex digits. */
  private int escape;
  private int escapeValue;
  /** Inside a name: an escaped high surrogate waits for its escaped low one. */
  private boolean nameHigh;
  /** Inside a string: UTF-8 continuation bytes still expected, and the first one's lower bound. */
  private int utfNeed;
  private int utfSecondMax;
  /** A string's characters (UTF-16 units) or a name's UTF-8 bytes so far. */
  private long tokenLength;
  private int numberPart;
  private int digits;
  private int literal;
  private int literalMatched;
  private int bomMatched;

  /** Remembered tokens in order; those before {@code tokensHead} are forgotten. */
  private final java.util.ArrayList<Token> tokens = new java.util.ArrayList<>();
  private int tokensHead;
  private long completedUpTo;
  /** The next candidate end the interest gave within this call, or one not yet asked. */
  private long nextEnd;
  private boolean failed;
  private boolean finished;
  private @Nullable ScanNote failure;

  JsonTracker(int maxDepth, int maxTokenLength) {
    this(maxDepth, maxTokenLength, maxTokenLength, Math.min(maxTokenLength, 10_000));
  }

  /** Returns a tracker with each limit given (strings in UTF-16 units, names in UTF-8 bytes). */
  JsonTracker(int maxDepth, int maxString, int maxName, int maxNumber) {
    this.maxDepth = maxDepth;
    this.maxString = maxString;
    this.maxName = maxName;
    this.maxNumber = maxNumber;
    this.scratch = WindowPool.kept().takeJson();
    this.kind = scratch.kind;
    this.index = scratch.index;
    this.nameFrom = scratch.nameFrom;
    this.nameTo = scratch.nameTo;
    this.nameText = scratch.nameText;
    this.pathText = scratch.pathText;
    this.names = scratch.names;
  }

  /**
   * Gives this tracker's arrays back to the thread for its next tracker; the tracker must not be
   * used after. Tokens already returned stay valid (they hold no array of the tracker's).
   */
  void release() {
    if (!released) {
      released = true;
      scratch.kind = kind;
      scratch.index = index;
      scratch.nameFrom = nameFrom;
      scratch.nameTo = nameTo;
      scratch.nameText = nameText;
      scratch.pathText = pathText;
      scratch.names = names;
      WindowPool.kept().giveJson(scratch);
    }
  }

  /** Feeds the next chunk; the array is only read during this call. */
  void feed(byte[] bytes, int offset, int length, Interest interest) {
    if (failed || length == 0) {
      return;
    }
    nextEnd = Long.MIN_VALUE;
    long base = pos - offset;
    int end = offset + length;
    int i = offset;
    while (i < end && !failed) {
      i = step(bytes, i, end, base, interest);
    }
    pos = base + end;
  }

  /** Ends the input; truncated documents count as malformed. */
  void finish(Interest interest) {
    if (finished) {
      return;
    }
    finished = true;
    if (failed) {
      return;
    }
    nextEnd = Long.MIN_VALUE;
    switch (state) {
      case NUMBER:
        if (numberPart == N_MINUS || numberPart == N_EXP) {
          fail(ScanNote.JSON_MALFORMED);
          return;
        }
        completeNumber(pos, interest);
        break;
      case LITERAL:
        if (literalMatched < LITERALS[literal].length) {
          fail(ScanNote.JSON_MALFORMED);
          return;
        }
        completeValue(pos);
        break;
      case STRING:
        fail(ScanNote.JSON_MALFORMED);
        return;
      case BOM:
        if (bomMatched > 0) {
          fail(ScanNote.JSON_MALFORMED);
          return;
        }
        break;
      default:
        break;
    }
    if (!failed && depth > 0) {
      fail(ScanNote.JSON_MALFORMED);
    }
  }

  /**
   * Reads from {@code bytes[i]} on, at most to {@code end}, and returns where it stopped: after a
   * token, or at the end. {@code base + i} is the stream offset of {@code bytes[i]}.
   */
  private int step(byte[] bytes, int i, int end, long base, Interest interest) {
    switch (state) {
      case STRING:
        return string(bytes, i, end, base, interest);
      case NUMBER:
        return number(bytes, i, end, base, interest);
      case LITERAL:
        return literal(bytes, i, end, base);
      case BOM:
        return bom(bytes, i, end);
      default:
        return between(bytes, i, end, base, interest);
    }
  }

  private int bom(byte[] bytes, int i, int end) {
    final int[] mark = UTF8_BOM;
    while (i < end) {
      int b = bytes[i] & 0xff;
      if (bomMatched == 0 && b != 0xEF) {
        state = ROOT;
        return i;
      }
      if (b != mark[bomMatched]) {
        fail(ScanNote.JSON_MALFORMED);
        return end;
      }
      i++;
      if (++bomMatched == 3) {
        bomMatched = 0;
        state = ROOT;
        return i;
      }
    }
    return i;
  }

  /**
   * Reads whitespace, structure and the strings that lie whole in the chunk (plain ASCII, no
   * escape: most of them) until another token starts or the chunk ends.
   */
  private int between(byte[] bytes, int i, int end, long base, Interest interest) {
    int st = state;
    while (i < end) {
      int b = bytes[i] & 0xff;
      if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
        i++;
        continue;
      }
      long at = base + i;
      if (b == '"' && st != COLON && st != AFTER) {
        boolean name = st == OBJECT_FIRST || st == NAME;
        if (!name) {
          valueStarts();
        }
        int run = Swar.stringSpecial(bytes, i + 1, end);
        int length = run - i - 1;
        if (run == end || bytes[run] != '"' || length > (name ? maxName : maxString)) {
          state = st;
          startString(at, name);
          return i + 1;
        }
        long tokenEnd = base + run + 1;
        tokenFirst = at;
        if (name) {
          nameTo[depth] = nameFrom[depth];
          nameText[depth] = null;
          pathText[depth] = null;
          appendName(bytes, i + 1, length);
          if (wanted(interest, at, tokenEnd)) {
            tokens.add(new Token(at, tokenEnd, false, path(depth - 1), null));
          }
          completedUpTo = tokenEnd;
          i = run + 1;
          // The common case, a colon and at most one space: read here, not by two more turns of
          // the loop (the same steps as the COLON state and the white space case below).
          if (i < end && bytes[i] == ':') {
            i++;
            if (i < end && bytes[i] == ' ') {
              i++;
            }
            st = VALUE;
          } else {
            st = COLON;
          }
          continue;
        }
        if (wanted(interest, at, tokenEnd)) {
          tokens.add(valueToken(at, tokenEnd, false));
        }
        completedUpTo = tokenEnd;
        i = run + 1;
        if (depth == 0) {
          st = ROOT;
        } else if (i < end && bytes[i] == ',') {
          // As the AFTER state below does with a comma, and then at most one space.
          st = kind[depth] == ARRAY ? VALUE : NAME;
          i++;
          if (i < end && bytes[i] == ' ') {
            i++;
          }
        } else {
          st = AFTER;
        }
        continue;
      }
      switch (st) {
        case ROOT:
        case VALUE:
        case ARRAY_FIRST:
          if (b == ']' && st == ARRAY_FIRST) {
            st = close(at);
            i++;
            continue;
          }
          state = st;
          return startValue(b, i, at);
        case OBJECT_FIRST:
          if (b == '}') {
            st = close(at);
            i++;
            continue;
          }
          fail(ScanNote.JSON_MALFORMED);
          return end;
        case COLON:
          if (b != ':') {
            fail(ScanNote.JSON_MALFORMED);
            return end;
          }
          st = VALUE;
          i++;
          continue;
        case AFTER:
          if (b == ',') {
            st = kind[depth] == ARRAY ? VALUE : NAME;
            i++;
            continue;
          }
          if ((b == ']' && kind[depth] == ARRAY) || (b == '}' && kind[depth] == OBJECT)) {
            st = close(at);
            i++;
            continue;
          }
          fail(ScanNote.JSON_MALFORMED);
          return end;
        default:
          // NAME: only a name may follow.
          fail(ScanNote.JSON_MALFORMED);
          return end;
      }
    }
    state = st;
    return i;
  }

  /** Starts the value whose first byte {@code b} is at {@code i} (stream offset {@code at}). */
  private int startValue(int b, int i, long at) {
    if (b < 0x20) {
      fail(ScanNote.JSON_MALFORMED);
      return i;
    }
    switch (b) {
      case '"':
        valueStarts();
        startString(at, false);
        return i + 1;
      case '[':
      case '{':
        valueStarts();
        if (depth == maxDepth) {
          fail(ScanNote.JSON_TOO_DEEP);
          return i;
        }
        push(b == '[' ? ARRAY : OBJECT);
        completedUpTo = at + 1;
        state = b == '[' ? ARRAY_FIRST : OBJECT_FIRST;
        return i + 1;
      case 't':
      case 'f':
      case 'n':
        valueStarts();
        literal = b == 't' ? 0 : b == 'f' ? 1 : 2;
        literalMatched = 1;
        state = LITERAL;
        return i + 1;
      case '-':
        valueStarts();
        startNumber(at, N_MINUS, 0);
        return i + 1;
      case '0':
        valueStarts();
        startNumber(at, N_ZERO, 1);
        return i + 1;
      default:
        if (b >= '1' && b <= '9') {
          valueStarts();
          startNumber(at, N_INT, 1);
          return i + 1;
        }
        fail(ScanNote.JSON_MALFORMED);
        return i;
    }
  }

  /** Counts a value of the enclosing array. */
  private void valueStarts() {
    if (depth > 0 && kind[depth] == ARRAY) {
      index[depth]++;
      pathText[depth] = null;
    }
  }

  private void push(byte k) {
    int d = depth + 1;
    if (d == kind.length) {
      int size = Math.min(Math.max(d * 2, 16), maxDepth + 2);
      kind = Arrays.copyOf(kind, size);
      index = Arrays.copyOf(index, size);
      nameFrom = Arrays.copyOf(nameFrom, size);
      nameTo = Arrays.copyOf(nameTo, size);
      nameText = Arrays.copyOf(nameText, size);
      pathText = Arrays.copyOf(pathText, size);
    }
    int from = d > 1 ? nameTo[d - 1] : 0;
    kind[d] = k;
    index[d] = -1;
    nameFrom[d] = from;
    nameTo[d] = from;
    nameText[d] = null;
    pathText[d] = null;
    depth = d;
  }

  /** Closes the innermost level with the byte at {@code at}; returns the state after it. */
  private int close(long at) {
    nameText[depth] = null;
    depth--;
    completedUpTo = at + 1;
    return depth == 0 ? ROOT : AFTER;
  }

  /** Records the end of a value (not a name) and moves to what may follow it. */
  private void completeValue(long end) {
    completedUpTo = end;
    state = depth == 0 ? ROOT : AFTER;
  }

  // ---- strings and names ----

  private void startString(long at, boolean name) {
    tokenFirst = at;
    inName = name;
    escape = 0;
    utfNeed = 0;
    nameHigh = false;
    tokenLength = 0;
    state = STRING;
    if (name) {
      nameTo[depth] = nameFrom[depth];
      nameText[depth] = null;
      pathText[depth] = null;
    }
  }

  private int string(byte[] bytes, int i, int end, long base, Interest interest) {
    while (i < end) {
      if (escape == 0 && utfNeed == 0 && !nameHigh) {
        int run = Swar.stringSpecial(bytes, i, end);
        if (run > i) {
          if (inName) {
            appendName(bytes, i, run - i);
          }
          tokenLength += run - i;
          if (tooLong()) {
            return end;
          }
          i = run;
          if (i == end) {
            return i;
          }
        }
      }
      int b = bytes[i] & 0xff;
      if (utfNeed > 0) {
        if ((b & 0xC0) != 0x80 || b > utfSecondMax) {
          fail(ScanNote.JSON_MALFORMED);
          return end;
        }
        utfSecondMax = 0xBF;
        utfNeed--;
        nameByte(b);
        i++;
        continue;
      }
      if (nameHigh && escape == 0 && b != '\\') {
        // A name's escaped high surrogate must be followed by an escaped low one.
        fail(ScanNote.JSON_MALFORMED);
        return end;
      }
      if (escape > 0) {
        if (!escapeByte(b)) {
          return end;
        }
        i++;
        continue;
      }
      if (b == '"') {
        long tokenEnd = base + i + 1;
        if (inName) {
          nameEnds(tokenEnd, interest);
        } else {
          if (wanted(interest, tokenFirst, tokenEnd)) {
            tokens.add(valueToken(tokenFirst, tokenEnd, false));
          }
          completeValue(tokenEnd);
        }
        return i + 1;
      }
      if (b == '\\') {
        escape = 1;
        nameByte(b);
        i++;
        continue;
      }
      if (b < 0x20) {
        fail(ScanNote.JSON_MALFORMED);
        return end;
      }
      // A UTF-8 lead byte: Jackson takes C0..DF for two bytes, E0..EF for three (not encoding a
      // surrogate), F0..F7 for four (two UTF-16 units).
      if (b < 0xC0 || b > 0xF7) {
        fail(ScanNote.JSON_MALFORMED);
        return end;
      }
      utfNeed = b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
      utfSecondMax = b == 0xED ? 0x9F : 0xBF;
      tokenLength += inName ? utfNeed + 1 : b >= 0xF0 ? 2 : 1;
      nameByte(b);
      if (tooLong()) {
        return end;
      }
      i++;
    }
    return i;
  }

  /** Reads a byte of an escape sequence; returns false once the input is known malformed. */
  private boolean escapeByte(int b) {
    nameByte(b);
    if (escape == 1) {
      if (nameHigh && b != 'u') {
        fail(ScanNote.JSON_MALFORMED);
        return false;
      }
      switch (b) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          escape = 0;
          tokenLength++;
          return !tooLong();
        case 'u':
          escape = 2;
          escapeValue = 0;
          return true;
        default:
          fail(ScanNote.JSON_MALFORMED);
          return false;
      }
    }
    int h = TextDecoder.hexValue(b);
    if (h < 0) {
      fail(ScanNote.JSON_MALFORMED);
      return false;
    }
    escapeValue = escapeValue << 4 | h;
    if (++escape == 6) {
      escape = 0;
      if (!inName) {
        tokenLength++;
        return !tooLong();
      }
      // A name counts the UTF-8 bytes Jackson encodes it to, and takes escaped surrogates in pairs
      // only.
      boolean high = escapeValue >= 0xD800 && escapeValue <= 0xDBFF;
      boolean low = escapeValue >= 0xDC00 && escapeValue <= 0xDFFF;
      if (nameHigh != low) {
        fail(ScanNote.JSON_MALFORMED);
        return false;
      }
      nameHigh = high;
      tokenLength += high ? 0 : low ? 4 : escapeValue < 0x80 ? 1 : escapeValue < 0x800 ? 2 : 3;
      return !tooLong();
    }
    return true;
  }

  private boolean tooLong() {
    if (tokenLength > (inName ? maxName : maxString)) {
      fail(ScanNote.JSON_TOKEN_TOO_LONG);
      return true;
    }
    return false;
  }

  private void nameByte(int b) {
    if (inName) {
      int at = nameTo[depth];
      if (at == names.length) {
        names = Arrays.copyOf(names, names.length * 2);
      }
      names[at] = (byte) b;
      nameTo[depth] = at + 1;
    }
  }

  private void appendName(byte[] bytes, int from, int length) {
    int at = nameTo[depth];
    if (at + length > names.length - 16) {
      names = Arrays.copyOf(names, Math.max(names.length * 2, at + length + 16));
    }
    if (length <= 16 && from + 16 <= bytes.length) {
      // Most names are short: two long copies (the bytes past the name are overwritten later or
      // never read, as only names[nameFrom, nameTo) is) instead of a call to arraycopy.
      Swar.copy16(bytes, from, names, at);
    } else {
      System.arraycopy(bytes, from, names, at, length);
    }
    nameTo[depth] = at + length;
  }

  private void nameEnds(long tokenEnd, Interest interest) {
    if (wanted(interest, tokenFirst, tokenEnd)) {
      // A field name's path is its object's.
      tokens.add(new Token(tokenFirst, tokenEnd, false, path(depth - 1), null));
    }
    completedUpTo = tokenEnd;
    state = COLON;
  }

  // ---- numbers and literals ----

  private void startNumber(long at, int part, int digitCount) {
    tokenFirst = at;
    numberPart = part;
    digits = digitCount;
    state = NUMBER;
  }

  private int number(byte[] bytes, int i, int end, long base, Interest interest) {
    while (i < end) {
      int b = bytes[i] & 0xff;
      boolean digit = b >= '0' && b <= '9';
      switch (numberPart) {
        case N_MINUS:
          if (!digit) {
            fail(ScanNote.JSON_MALFORMED);
            return end;
          }
          numberPart = b == '0' ? N_ZERO : N_INT;
          digits++;
          break;
        case N_ZERO:
          if (digit) {
            // Leading zeros are not allowed.
            fail(ScanNote.JSON_MALFORMED);
            return end;
          }
          if (b == '.') {
            numberPart = N_DOT;
          } else if (b == 'e' || b == 'E') {
            numberPart = N_EXP;
          } else if (b < '0' || b == ']' || b == '}') {
            return completeNumber(base + i, interest) ? i : end;
          } else {
            fail(ScanNote.JSON_MALFORMED);
            return end;
          }
          break;
        case N_INT:
        case N_FRAC:
        case N_EXP_DIGITS:
          if (digit) {
            digits++;
            int run = i + 1;
            while (run < end && bytes[run] >= '0' && bytes[run] <= '9') {
              run++;
            }
            digits += run - i - 1;
            i = run;
            continue;
          }
          if (b == '.' && numberPart == N_INT) {
            numberPart = N_DOT;
          } else if ((b == 'e' || b == 'E') && numberPart != N_EXP_DIGITS) {
            numberPart = N_EXP;
          } else {
            return completeNumber(base + i, interest) ? i : end;
          }
          break;
        case N_DOT:
          if (!digit) {
            fail(ScanNote.JSON_MALFORMED);
            return end;
          }
          numberPart = N_FRAC;
          digits++;
          break;
        case N_EXP:
          if (b == '+' || b == '-') {
            numberPart = N_EXP_SIGN;
            break;
          }
          // fall through: the exponent's first digit
        case N_EXP_SIGN:
          if (!digit) {
            fail(ScanNote.JSON_MALFORMED);
            return end;
          }
          numberPart = N_EXP_DIGITS;
          digits++;
          break;
        default:
          throw new IllegalStateException("number part: " + numberPart + " (expected: 0 to 7)");
      }
      i++;
    }
    return i;
  }

  /** Ends the number before {@code end}; returns false when it is too long. */
  private boolean completeNumber(long end, Interest interest) {
    if (digits > maxNumber) {
      fail(ScanNote.JSON_TOKEN_TOO_LONG);
      return false;
    }
    if (wanted(interest, tokenFirst, end)) {
      tokens.add(valueToken(tokenFirst, end, true));
    }
    completeValue(end);
    return true;
  }

  private int literal(byte[] bytes, int i, int end, long base) {
    byte[] word = LITERALS[literal];
    while (i < end) {
      int b = bytes[i];
      if (literalMatched == word.length) {
        // The byte after the literal must not continue it (a signed byte: any non-ASCII one ends it).
        if (b < '0' || b == ']' || b == '}') {
          completeValue(base + i);
          return i;
        }
        fail(ScanNote.JSON_MALFORMED);
        return end;
      }
      if (b != word[literalMatched]) {
        fail(ScanNote.JSON_MALFORMED);
        return end;
      }
      literalMatched++;
      i++;
    }
    return i;
  }

  /** Returns whether a candidate ends within the token {@code (first, end]}. */
  private boolean wanted(Interest interest, long first, long end) {
    if (nextEnd <= first) {
      nextEnd = interest.nextEnd(first);
    }
    return nextEnd <= end;
  }

  private void fail(ScanNote note) {
    failed = true;
    failure = note;
  }

  // ---- paths ----

  /**
   * Returns the JSON path of levels 1 to {@code level}: the current value's, or its object's. The
   * path of each level is kept until its index or name changes, so the fields of one record share
   * the record's path.
   */
  private String path(int level) {
    int from = level;
    while (from > 0 && pathText[from] == null) {
      from--;
    }
    String p = from == 0 ? "$" : pathText[from];
    for (int d = from + 1; d <= level; d++) {
      StringBuilder sb = new StringBuilder(p.length() + 16).append(p);
      if (kind[d] == ARRAY) {
        sb.append('[').append(Math.max(0, index[d])).append(']');
      } else {
        // Every enclosing object is inside one of its values, so it has a current name.
        appendName(name(d), sb);
      }
      p = sb.toString();
      pathText[d] = p;
    }
    return p;
  }

  /** Returns a token for the current value, its path left to be built from its parent's. */
  private Token valueToken(long first, long end, boolean number) {
    if (depth == 0) {
      return new Token(first, end, number, "$", null);
    }
    String step = kind[depth] == ARRAY ? null : name(depth);
    return Token.under(first, end, number, path(depth - 1), step, Math.max(0, index[depth]), key());
  }

  /** Returns the name of the field holding the current value (the nearest one for array items). */
  private @Nullable String key() {
    for (int d = depth; d >= 1; d--) {
      if (kind[d] == OBJECT) {
        return name(d);
      }
    }
    return null;
  }

  /** Returns the current name of level {@code d} as Jackson decodes it, made once per name. */
  private String name(int d) {
    String text = nameText[d];
    if (text == null) {
      text = decodeName(names, nameFrom[d], nameTo[d]);
      nameText[d] = text;
    }
    return text;
  }

  /**
   * Decodes a name as written (valid escapes, UTF-8 as checked while reading) the way Jackson
   * does, four-byte sequences included.
   */
  static String decodeName(byte[] b, int from, int to) {
    StringBuilder sb = new StringBuilder(to - from);
    int i = from;
    while (i < to) {
      int c = b[i++] & 0xff;
      if (c == '\\') {
        int e = b[i++];
        switch (e) {
          case 'b':
            sb.append('\b');
            break;
          case 'f':
            sb.append('\f');
            break;
          case 'n':
            sb.append('\n');
            break;
          case 'r':
            sb.append('\r');
            break;
          case 't':
            sb.append('\t');
            break;
          case 'u':
            sb.append((char) (TextDecoder.hexValue(b[i]) << 12 | TextDecoder.hexValue(b[i + 1]) << 8
                | TextDecoder.hexValue(b[i + 2]) << 4 | TextDecoder.hexValue(b[i + 3])));
            i += 4;
            break;
          default:
            sb.append((char) e);
            break;
        }
        continue;
      }
      if (c < 0x80) {
        sb.append((char) c);
        continue;
      }
      int needed;
      if ((c & 0xE0) == 0xC0) {
        c &= 0x1F;
        needed = 1;
      } else if ((c & 0xF0) == 0xE0) {
        c &= 0x0F;
        needed = 2;
      } else {
        c &= 0x07;
        needed = 3;
      }
      for (int k = 0; k < needed; k++) {
        c = c << 6 | (b[i++] & 0x3F);
      }
      if (needed > 2) {
        c -= 0x10000;
        sb.append((char) (0xD800 + (c >> 10)));
        c = 0xDC00 | (c & 0x3FF);
      }
      sb.append((char) c);
    }
    return sb.toString();
  }

  /** Appends {@code .name}, or {@code ['name']} for a name that is not a simple identifier. */
  static void appendName(String name, StringBuilder sb) {
    boolean simple = !name.isEmpty() && (Character.isLetter(name.charAt(0)) || name.charAt(0) == '_');
    for (int i = 0; simple && i < name.length(); i++) {
      char c = name.charAt(i);
      simple = c < 0x80 && (Character.isLetterOrDigit(c) || c == '_');
    }
    if (simple) {
      sb.append('.').append(name);
    } else {
      sb.append("['").append(name.replace("\\", "\\\\").replace("'", "\\'")).append("']");
    }
  }

  // ---- remembered tokens ----

  /**
   * Returns the remembered token containing {@code [start, stop)}, or null. Tokens do not overlap
   * and are ordered, so the only candidate is the last one starting at or before {@code start}.
   */
  @Nullable Token find(long start, long stop) {
    int lo = tokensHead;
    int hi = tokens.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (tokens.get(mid).first <= start) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo == tokensHead) {
      return null;
    }
    Token t = tokens.get(lo - 1);
    return t.contains(start, stop) ? t : null;
  }

  /** Forgets tokens that end at or before {@code offset}. */
  void forgetBefore(long offset) {
    while (tokensHead < tokens.size() && tokens.get(tokensHead).end <= offset) {
      tokensHead++;
    }
    if (tokensHead > 1024 && tokensHead > tokens.size() / 2) {
      tokens.subList(0, tokensHead).clear();
      tokensHead = 0;
    }
  }

  /** Returns the tokens remembered and not forgotten (for tests). */
  java.util.List<Token> remembered() {
    return tokens.subList(tokensHead, tokens.size());
  }

  /** Returns the end offset of the last token parsed. */
  long completedUpTo() {
    return completedUpTo;
  }

  boolean failed() {
    return failed;
  }

  boolean finished() {
    return finished;
  }

  /** Returns where structure was last known; meaningful only once {@link #failed()}. */
  long failedAt() {
    return completedUpTo;
  }

  @Nullable ScanNote failure() {
    return failure;
  }
}
