package dev.custos.engine.config;

import java.time.Duration;

/** Parses the durations written in configuration documents. Thread-safe (stateless). */
public final class Durations {
  private Durations() {}

  /**
   * Returns the duration a schema-checked text such as {@code 0}, {@code 250ms}, {@code 30s},
   * {@code 5m}, {@code 1h} or {@code 1d} stands for; each schema restricts which units it accepts.
   *
   * @throws IllegalArgumentException if the text is not a number followed by one of those units
   */
  public static Duration parse(String text) {
    if (text.equals("0")) {
      return Duration.ZERO;
    }
    try {
      if (text.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
      }
      long n = Long.parseLong(text.substring(0, Math.max(0, text.length() - 1)));
      switch (text.charAt(text.length() - 1)) {
        case 's':
          return Duration.ofSeconds(n);
        case 'm':
          return Duration.ofMinutes(n);
        case 'h':
          return Duration.ofHours(n);
        case 'd':
          return Duration.ofDays(n);
        default:
          break;
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException(
        "duration: " + text + " (expected: a number with ms, s, m, h or d)");
  }
}
