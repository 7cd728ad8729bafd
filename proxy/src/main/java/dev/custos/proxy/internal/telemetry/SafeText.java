package dev.custos.proxy.internal.telemetry;

import java.util.regex.Pattern;

/**
 * Makes request text that is not scanned (a path, a header or field name) fit for logs, events
 * and spans: cut to a length, and every run of four or more digits, where card numbers, national
 * ids and account numbers live, replaced by {@code #}.
 */
public final class SafeText {
  private static final Pattern DIGIT_RUN = Pattern.compile("[0-9]{4,}");

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
}
