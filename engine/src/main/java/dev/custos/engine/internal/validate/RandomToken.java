package dev.custos.engine.internal.validate;

/**
 * Rejects placeholder-shaped tokens, which a random secret almost never is: a character repeated
 * six times in a row ({@code xxxxxx}, {@code 000000}), six letters or digits running up or down
 * ({@code 123456}, {@code abcdef}), a short block repeated ({@code abababab}), too few distinct
 * characters for the length, or a placeholder word ({@code your}, {@code placeholder},
 * {@code redacted}, {@code changeme}, {@code dummy}). Case is ignored. For a random token of 40
 * base62 characters the chance of a false rejection is below one in ten thousand. Runs in time
 * linear in the value.
 */
final class RandomToken extends StructuralCheck {
  private static final int MAX_RUN = 6;
  private static final int MAX_PERIOD = 8;
  private static final String[] WORDS = {"your", "placeholder", "redacted", "changeme", "dummy"};

  @Override
  public String name() {
    return "random_token";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int n = value.length();
    char[] c = new char[n];
    for (int i = 0; i < n; i++) {
      c[i] = Character.toLowerCase(value.charAt(i));
    }
    int same = 1;
    int up = 1;
    int down = 1;
    int[] periodic = new int[MAX_PERIOD + 1];
    boolean[] seen = new boolean[128];
    int distinct = 0;
    int alnum = 0;
    for (int i = 0; i < n; i++) {
      char ch = c[i];
      boolean word = Character.isLetterOrDigit(ch);
      if (word) {
        alnum++;
        if (ch < 128 && !seen[ch]) {
          seen[ch] = true;
          distinct++;
        }
      }
      if (i > 0 && word && Character.isLetterOrDigit(c[i - 1])) {
        same = ch == c[i - 1] ? same + 1 : 1;
        up = ch == c[i - 1] + 1 && sameKind(ch, c[i - 1]) ? up + 1 : 1;
        down = ch == c[i - 1] - 1 && sameKind(ch, c[i - 1]) ? down + 1 : 1;
      } else {
        same = 1;
        up = 1;
        down = 1;
      }
      if (same >= MAX_RUN || up >= MAX_RUN || down >= MAX_RUN) {
        return false;
      }
      for (int p = 2; p <= MAX_PERIOD; p++) {
        periodic[p] = i >= p && c[i - p] == ch ? periodic[p] + 1 : 0;
        if (periodic[p] >= Math.max(8, 2 * p)) {
          return false;
        }
      }
    }
    if (alnum == 0 || (alnum >= 16 && distinct < 8)) {
      return false;
    }
    String lower = new String(c);
    for (String w : WORDS) {
      if (lower.contains(w)) {
        return false;
      }
    }
    return !lower.contains("xxxx");
  }

  private static boolean sameKind(char a, char b) {
    return Character.isDigit(a) == Character.isDigit(b);
  }
}
