package dev.custos.engine.internal.scan;

import dev.custos.engine.internal.validate.Validator;
import dev.custos.engine.internal.validate.Validators;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * Judges the value of a credential-like match (see {@code DetectorDefinition#secret()}): finds the
 * assigned value inside a {@code key = value} match, and tells placeholders and template variables
 * (dropped), publicly documented sample credentials and values spelled EXAMPLE, sample, dummy or
 * fake (kept at low confidence) and, in assignments only, identifiers and calls (dropped) from
 * real-looking values. Stateless;
 * every method runs in time linear in the value's length and never keeps the bytes.
 */
final class SecretValues {
  /** What to do with a credential-like candidate. */
  enum Verdict {
    KEEP,
    LOW,
    DROP
  }

  /**
   * Publicly documented sample credentials (vendor documentation, emulators, jwt.io). They are
   * reported at low confidence rather than dropped, so that a policy may still choose to see them.
   */
  private static final Set<String> DOCUMENTED_EXAMPLES =
      Set.of(
          // AWS documentation key pair.
          "AKIAIOSFODNN7EXAMPLE",
          "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
          "AKIAI44QH8DHBEXAMPLE",
          "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
          // Stripe's documented test key.
          "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
          "pk_test_TYooMQauvdEDq54NiTphI7jx",
          // Azurite / Azure Storage Emulator development account key.
          "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
          // Google / Firebase documentation sample API keys.
          "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
          "AIzaSyBOti4mM-6x9WDnZIjIeyEU21OpBXqWBgw",
          // jwt.io's default sample token.
          "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");

  /** Words that stand for "no value here" when they are the whole value (digits aside). */
  private static final Set<String> PLACEHOLDER_WORDS =
      Set.of(
          "null", "none", "nil", "true", "false", "undefined", "empty", "blank", "changeme",
          "changeit", "password", "passwd", "pass", "secret", "token", "apikey", "key", "redacted",
          "removed", "hidden", "masked", "placeholder", "todo", "tbd", "na", "default", "value",
          "string", "str", "required", "optional", "mypassword", "mysecret", "mytoken",
          "yourpassword", "yoursecret", "yourtoken", "yourapikey", "secretkey", "accesskey",
          "notset", "unset", "env", "foo", "bar", "foobar");

  /** Words that mark a value as a sample: reported, but at low confidence. */
  private static final String[] SAMPLE_WORDS = {"example", "sample", "dummy", "fake", "demo"};

  private static final String[] TEMPLATE_MARKS = {"${", "{{", "}}", "%(", "#{", "<%", "%>", "{%"};

  /**
   * Words that, right before {@code token} in a key name, make it a cursor, a request id or the id
   * of a shopping session rather than a credential ({@code nextPageToken}, {@code
   * continuation_token}, {@code syncToken}, {@code cart_token}, {@code checkout_token}), or an
   * anti-forgery nonce that a page carries anyway ({@code csrf_token}, {@code authenticity_token}).
   */
  private static final String[] CURSOR_WORDS = {
    "page", "next", "continuation", "cursor", "sync", "resume", "idempotency", "delta", "change",
    "pagination", "cart", "checkout", "basket", "csrf", "xsrf", "authenticity", "correlation",
    "tracking"
  };

  private static final Validator CRC32_BASE62 =
      java.util.Objects.requireNonNull(Validators.byName("crc32_base62"));

  /**
   * Words that make a key name hold something derived from a credential, not the credential
   * ({@code hashed_token}, {@code password_digest}, {@code masked_secret}, {@code key_fingerprint}).
   */
  private static final String[] DERIVED_WORDS = {
    "hashed", "digest", "masked", "redacted", "fingerprint", "checksum"
  };

  private SecretValues() {}

  /**
   * Returns whether a key name, as its lower-case letters and digits, names a cursor ({@code
   * nextpagetoken}) or a value derived from a credential ({@code hashedtoken}) rather than a
   * credential.
   */
  static boolean isCursorKey(String joinedKey) {
    for (String w : DERIVED_WORDS) {
      if (joinedKey.contains(w)) {
        return true;
      }
    }
    if (!joinedKey.endsWith("token")) {
      return false;
    }
    String head = joinedKey.substring(0, joinedKey.length() - "token".length());
    for (String w : CURSOR_WORDS) {
      if (head.endsWith(w)) {
        return true;
      }
    }
    return false;
  }

  /** Returns the lower-case letters and digits of {@code [from, to)}, at most 64 of them. */
  static String joinedKey(byte[] b, int from, int to) {
    StringBuilder sb = new StringBuilder();
    for (int i = Math.max(from, to - 64); i < to; i++) {
      int c = b[i] & 0xff;
      if (c >= 'A' && c <= 'Z') {
        sb.append((char) (c + 32));
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  /**
   * Returns where the key name of an assignment match ends (after its credential word), or -1
   * when the match is not an assignment.
   */
  static int keyEnd(byte[] b, int from, int to) {
    int stem = firstStemEnd(b, from, to);
    if (stem < 0) {
      return -1;
    }
    int i = stem;
    while (i < to && isKeyByte(b[i])) {
      i++;
    }
    int key = i;
    boolean operator = false;
    while (i < to && isSeparator(b[i])) {
      operator |= b[i] == ':' || b[i] == '=' || b[i] == '>' || b[i] == ',' || b[i] == '(';
      i++;
    }
    // Only a name followed by an operator and a value is a key ("fakeKey0" inside a token is not).
    return operator && i < to && i > key ? key : -1;
  }

  /**
   * Returns where the assigned value starts inside {@code [from, to)}: after a credential key name
   * ({@code password}, {@code apiKey}, {@code client_secret}…) and the quotes, brackets and
   * operator that follow it ({@code :}, {@code =}, {@code :=}, {@code =>}, {@code ?=}, {@code >},
   * {@code ", "}); or the start of the longest run without white space when the match is not an
   * assignment (a bare token, a {@code Bearer} header).
   */
  static int valueStart(byte[] b, int from, int to) {
    int stem = firstStemEnd(b, from, to);
    if (stem >= 0) {
      int i = stem;
      while (i < to && isKeyByte(b[i])) {
        i++;
      }
      int separatorsFrom = i;
      boolean operator = false;
      while (i < to && isSeparator(b[i])) {
        operator |= b[i] == ':' || b[i] == '=' || b[i] == '>' || b[i] == ',' || b[i] == '(';
        i++;
      }
      if (operator && i < to && i > separatorsFrom) {
        return i;
      }
    }
    // Not an assignment: the value is the last run without white space ("Bearer <token>"), unless
    // the match spans lines (a PEM block), which is one value as a whole.
    int lastRun = from;
    for (int i = from; i < to; i++) {
      if (b[i] == '\n' || b[i] == '\r') {
        return from;
      }
      if (isSpace(b[i])) {
        lastRun = i + 1;
      }
    }
    return lastRun < to ? lastRun : from;
  }

  /**
   * Judges the value {@code [from, to)}. {@code quoted} tells whether a quote opens it; {@code
   * assignment} whether it is the value a key name was assigned in the match itself (or a
   * structured field's whole value), so may be any string, code or a URL, rather than a token;
   * {@code next} is the byte after it, or -1 at the end of the input.
   *
   * <p>Two kinds of rules apply. The sample rules apply to every credential: a documented sample
   * or a value spelled EXAMPLE, sample, dummy, fake or demo is {@link Verdict#LOW}, a placeholder
   * is {@link Verdict#DROP}. They never drop a well-formed vendor token: dots, underscores, dashes,
   * mixed case and the absence of digits are all normal in tokens. The assignment rules apply only
   * when {@code assignment}: a value that reads as code (an identifier, a member access, a call),
   * a URL, or the cut of a longer value is dropped.
   */
  static Verdict judge(byte[] b, int from, int to, boolean quoted, boolean assignment, int next) {
    int length = to - from;
    if (length <= 0) {
      return Verdict.DROP;
    }
    String value = new String(b, from, length, StandardCharsets.ISO_8859_1);
    if (isDocumentedExample(value)) {
      return Verdict.LOW;
    }
    if (isPlaceholder(value) || (assignment && isCodeOrCut(value, quoted, next))) {
      return Verdict.DROP;
    }
    return isSpelledSample(value) || isChecksumFailingToken(value) ? Verdict.LOW : Verdict.KEEP;
  }

  /**
   * Returns whether the value is written as a checksummed token (GitHub's {@code ghp_}, {@code
   * gho_}, {@code ghu_}, {@code ghs_}, {@code ghr_} and npm's {@code npm_}: 36 base62 characters
   * whose last six are the CRC32 of the others) but fails its checksum: such a value was made up
   * for documentation ({@code ghs_16C7e42F292c6912E7710c838347Ae178B4a}) and was never issued.
   */
  static boolean isChecksumFailingToken(String value) {
    int body = value.startsWith("npm_") ? 4
        : value.length() > 4 && value.startsWith("gh") && "pousr".indexOf(value.charAt(2)) >= 0
            && value.charAt(3) == '_' ? 4 : -1;
    if (body < 0 || value.length() != body + 36) {
      return false;
    }
    for (int i = body; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
        return false;
      }
    }
    return !CRC32_BASE62.isValid(value);
  }

  /** Returns whether a value contains one of the publicly documented sample credentials. */
  static boolean isDocumentedExample(String value) {
    for (String documented : DOCUMENTED_EXAMPLES) {
      if (value.contains(documented)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns whether an assigned value is not a literal credential: the cut of a longer value
   * ({@code next} continues it), followed by a call's parenthesis, a URL, or, unquoted, an
   * identifier or member access ({@code self.password}, {@code userAccessToken}).
   */
  static boolean isCodeOrCut(String value, boolean quoted, int next) {
    // A sentence may end right after a value: "password = config.db.password." is code too.
    String bare = value;
    while (bare.length() > 1 && ".,;+-*".indexOf(bare.charAt(bare.length() - 1)) >= 0) {
      bare = bare.substring(0, bare.length() - 1);
    }
    // An assigned value followed by more value bytes is a cut of a longer candidate, which decides.
    return (next >= 0 && isValueByte(next)) || next == '(' || value.contains("://")
        || (!quoted && isIdentifier(bare));
  }

  /**
   * Returns whether a value spells a sample word ({@code EXAMPLE}, {@code example}, {@code
   * Example}, likewise sample, dummy, fake, demo). Mixed-case runs such as {@code dEmO} are how
   * the letters of a random token fall, not a spelling, so they do not count.
   */
  static boolean isSpelledSample(String value) {
    for (String w : SAMPLE_WORDS) {
      String upper = w.toUpperCase(Locale.ROOT);
      String capital = upper.charAt(0) + w.substring(1);
      if (value.contains(w) || value.contains(upper) || value.contains(capital)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns whether a value is a placeholder: a template variable, an environment reference, a
   * mask, a word standing for no value, a {@code test} value, or mostly repeated or sequential
   * characters.
   */
  static boolean isPlaceholder(String value) {
    for (String mark : TEMPLATE_MARKS) {
      if (value.contains(mark)) {
        return true;
      }
    }
    char first = value.charAt(0);
    char last = value.charAt(value.length() - 1);
    if ((first == '<' && last == '>') || (first == '{' && last == '}') || (first == '[' && last == ']')) {
      return true;
    }
    if (containsAngleWord(value)) {
      return true;
    }
    if (first == '$' && value.length() > 1 && isIdentifierStart(value.charAt(1))) {
      return true;
    }
    if (first == '%' && value.length() <= 3) {
      return true;
    }
    String lower = value.toLowerCase(Locale.ROOT);
    if (startsWithWord(value, "your") || lower.contains("changeme")
        || lower.contains("change_me") || lower.contains("placeholder") || lower.contains("redacted")
        || lower.contains("xxxx") || lower.contains("***") || lower.contains("...")
        || lower.contains("•") || lower.contains("…")) {
      return true;
    }
    StringBuilder letters = new StringBuilder();
    for (int i = 0; i < lower.length(); i++) {
      char c = lower.charAt(i);
      if (c >= 'a' && c <= 'z') {
        letters.append(c);
      }
    }
    String word = letters.toString();
    if (PLACEHOLDER_WORDS.contains(word) || (word.startsWith("test") && word.length() <= 12)) {
      return true;
    }
    return isPredictable(value);
  }

  /**
   * Returns whether a value holds a word in angle brackets ({@code sk_live_<your-key>}, {@code
   * <TOKEN>}): a placeholder to fill in, in any position.
   */
  private static boolean containsAngleWord(String value) {
    int open = -1;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '<') {
        open = i;
      } else if (open >= 0 && c == '>' && i - open > 2) {
        return true;
      } else if (open >= 0 && !(Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == ' '
          || c == '.') || (open >= 0 && i == open + 1 && !Character.isLetter(c))) {
        open = -1;
      }
    }
    return false;
  }

  /**
   * Returns whether a value starts with {@code word} (any case) as a word of its own: followed by
   * nothing, a separator or, after lower case, an upper-case letter ({@code your_api_key}, {@code
   * YOUR-TOKEN}, {@code yourApiKey}); {@code YoUrk3…} in a random token is not.
   */
  private static boolean startsWithWord(String value, String word) {
    int n = word.length();
    if (!value.regionMatches(true, 0, word, 0, n)) {
      return false;
    }
    String head = value.substring(0, n);
    boolean sameCase = head.equals(head.toLowerCase(Locale.ROOT))
        || head.equals(head.toUpperCase(Locale.ROOT));
    if (!sameCase) {
      return false;
    }
    if (value.length() == n) {
      return true;
    }
    char c = value.charAt(n);
    return !Character.isLetterOrDigit(c)
        || (Character.isUpperCase(c) && Character.isLowerCase(head.charAt(n - 1)));
  }

  /**
   * Returns whether at least half of the letters and digits lie in runs of four or more repeated
   * or consecutive characters ({@code xxxx}, {@code 0000}, {@code 1234}, {@code abcd}, {@code
   * 9876}), or the value has at most two distinct characters.
   */
  static boolean isPredictable(String value) {
    int alnum = 0;
    int covered = 0;
    int run = 0;
    int step = Integer.MIN_VALUE;
    char previous = 0;
    boolean[] seen = new boolean[128];
    int distinct = 0;
    for (int i = 0; i <= value.length(); i++) {
      char c = i < value.length() ? value.charAt(i) : 0;
      boolean isAlnum = Character.isLetterOrDigit(c) && c < 128;
      if (isAlnum && !seen[c]) {
        seen[c] = true;
        distinct++;
      }
      int d = c - previous;
      boolean continues =
          isAlnum && run > 0 && (d == 0 || d == 1 || d == -1) && (run == 1 || d == step)
              && sameClass(c, previous);
      if (continues) {
        step = d;
        run++;
      } else {
        if (run >= 4) {
          covered += run;
        }
        run = isAlnum ? 1 : 0;
        step = Integer.MIN_VALUE;
      }
      if (isAlnum) {
        alnum++;
      }
      previous = c;
    }
    return distinct <= 2 || (alnum > 0 && covered * 2 >= alnum);
  }

  private static boolean sameClass(char a, char b) {
    return (Character.isDigit(a) && Character.isDigit(b))
        || (Character.isLowerCase(a) && Character.isLowerCase(b))
        || (Character.isUpperCase(a) && Character.isUpperCase(b));
  }

  /**
   * Returns whether an unquoted value reads as code rather than a literal: a member access
   * ({@code self.password}, {@code config.db.token}) or an identifier made of words without digits
   * ({@code userPassword}, {@code get_token}, {@code ACCESS_TOKEN}).
   */
  static boolean isIdentifier(String value) {
    if (!isIdentifierStart(value.charAt(0))) {
      return false;
    }
    boolean dot = false;
    boolean underscore = false;
    boolean digit = false;
    boolean upper = false;
    boolean lower = false;
    boolean lowerThenUpper = false;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '.') {
        if (i + 1 >= value.length() || !isIdentifierStart(value.charAt(i + 1))) {
          return false;
        }
        dot = true;
      } else if (c == '_') {
        underscore = true;
      } else if (c >= '0' && c <= '9') {
        digit = true;
      } else if (c >= 'A' && c <= 'Z') {
        lowerThenUpper |= lower && i > 0 && Character.isLowerCase(value.charAt(i - 1));
        upper = true;
      } else if (c >= 'a' && c <= 'z') {
        lower = true;
      } else if (c != '$') {
        return false;
      }
    }
    if (dot) {
      return true;
    }
    if (digit) {
      return false;
    }
    return underscore || (lowerThenUpper && !(upper && countUpper(value) > value.length() / 2));
  }

  private static int countUpper(String value) {
    int n = 0;
    for (int i = 0; i < value.length(); i++) {
      if (Character.isUpperCase(value.charAt(i))) {
        n++;
      }
    }
    return n;
  }

  /**
   * Returns the Shannon entropy floor a value of {@code length} bytes must reach: the detector's,
   * but no more than 85 % of the most a value that short can have ({@code log2(length)}).
   */
  static double entropyFloor(double detectorFloor, int length) {
    return Math.min(detectorFloor, 0.85 * Math.log(Math.max(1, length)) / Math.log(2));
  }

  private static final String[] STEMS = {
    "password", "passwd", "passphrase", "pwd", "secret", "token", "apikey", "api_key", "api-key",
    "api.key", "key", "credential", "auth"
  };

  /**
   * Per byte, lower-cased, the stems that start with it, in the order of {@link #STEMS}; empty for
   * most bytes, which are then passed with one look-up.
   */
  private static final String[][] STEMS_BY_FIRST = stemsByFirst();

  private static String[][] stemsByFirst() {
    String[][] byFirst = new String[256][];
    for (int c = 0; c < 256; c++) {
      int lower = c >= 'A' && c <= 'Z' ? c + 32 : c;
      byFirst[c] = java.util.Arrays.stream(STEMS).filter(s -> s.charAt(0) == lower).toArray(String[]::new);
    }
    return byFirst;
  }

  /** Returns the end of the first credential key word in {@code [from, to)}, or -1. */
  private static int firstStemEnd(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      for (String stem : STEMS_BY_FIRST[b[i] & 0xff]) {
        if (regionMatchesIgnoreCase(b, i, to, stem)) {
          return i + stem.length();
        }
      }
    }
    return -1;
  }

  private static boolean regionMatchesIgnoreCase(byte[] b, int at, int to, String word) {
    if (at + word.length() > to) {
      return false;
    }
    for (int k = 0; k < word.length(); k++) {
      int c = b[at + k] & 0xff;
      if (c >= 'A' && c <= 'Z') {
        c += 32;
      }
      if (c != word.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isKeyByte(byte c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
        || c == '-' || c == '.';
  }

  private static boolean isSeparator(byte c) {
    return c == '"' || c == '\'' || c == ']' || c == ')' || c == ' ' || c == '\t' || c == ':'
        || c == '=' || c == '>' || c == '?' || c == ',' || c == '(';
  }

  private static boolean isValueByte(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || "!#$%&*+./=?@^_~-".indexOf(c) >= 0;
  }

  private static boolean isSpace(byte c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }

  private static boolean isIdentifierStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }
}
