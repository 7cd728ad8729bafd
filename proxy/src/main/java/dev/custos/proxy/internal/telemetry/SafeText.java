package dev.custos.proxy.internal.telemetry;

import java.util.regex.Pattern;

/**
 * Makes client-supplied text fit for logs, events and spans: a path, a header or field name is
 * cut to a length, and every run of four or more digits, where card numbers, national ids and
 * account numbers live, replaced by {@code #}. A trace id, whose hex digits are mostly decimal by
 * chance, has only runs of {@value #ID_DIGIT_RUN} or more digits replaced, so that most ids stay
 * usable to join logs with traces.
 */
public final class SafeText {
  private static final Pattern DIGIT_RUN = Pattern.compile("[0-9]{4,}");
  /** The shortest digit run masked in an identifier: an SSN without dashes has nine digits. */
  static final int ID_DIGIT_RUN = 9;
  private static final Pattern ID_RUN = Pattern.compile("[0-9]{" + ID_DIGIT_RUN + ",}");

  private SafeText() {}

  /** Returns {@code text} cut to {@code max} characters, with its long digit runs masked. */
  public static String of(String text, int max) {
    String t = text.length() > max ? text.substring(0, max) : text;
    for (int i = 0, run = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      run = c >= '0' && c <= '9' ? run + 1 : 0;
      if (run == 4) {
        return DIGIT_RUN.matcher(t).replaceAll("#");
      }
    }
    return t; // the usual case, without a matcher
  }

  /**
   * Returns a client-chosen identifier (a W3C trace id) with every run of {@value #ID_DIGIT_RUN}
   * or more digits replaced by {@code #}, cut to {@code max} characters.
   */
  public static String identifier(String id, int max) {
    String t = id.length() > max ? id.substring(0, max) : id;
    for (int i = 0, run = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      run = c >= '0' && c <= '9' ? run + 1 : 0;
      if (run == ID_DIGIT_RUN) {
        return ID_RUN.matcher(t).replaceAll("#");
      }
    }
    return t;
  }
}
