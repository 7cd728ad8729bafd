package dev.custos.command.internal.alerts;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A rule's condition holding for one subject at one evaluation. Immutable.
 *
 * @param subject what the alert is about, in a fixed order: names, keyed hashes and categories
 *     (such as {@code identity_hash} and {@code category}), never a value
 * @param value the measured count (distinct values, blocked requests, findings)
 * @param details the figures the condition compared, such as {@code threshold}
 */
public record Finding(Map<String, String> subject, long value, Map<String, Number> details) {
  /** Copies the maps, keeping their order. */
  public Finding {
    requireNonNull(subject, "subject");
    requireNonNull(details, "details");
    subject = Collections.unmodifiableMap(new LinkedHashMap<>(subject));
    details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
  }

  /** Returns the subject as one text, the same for the same subject: {@code key=value} lines. */
  public String subjectKey() {
    return subjectKey(subject);
  }

  /** Returns a subject as one text: {@code key=value} lines (names hold no line breaks). */
  static String subjectKey(Map<String, String> subject) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, String> e : subject.entrySet()) {
      if (sb.length() > 0) {
        sb.append('\n');
      }
      sb.append(e.getKey()).append('=').append(e.getValue());
    }
    return sb.toString();
  }
}
