package dev.custos.command.internal.alerts;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A fired alert as stored. Immutable.
 *
 * @param id the deduplication key: a digest of rule id, subject and the window it started in
 * @param ruleId the rule that fired
 * @param kind the rule's kind, such as {@code distinct_values}
 * @param subject what the alert is about (names, keyed hashes, categories)
 * @param windowStartMillis the start of the rule window the alert started in
 * @param state {@code firing} or {@code resolved}
 * @param value the latest measured count
 * @param details the figures the condition compared
 * @param summary one line saying what happened (names, hashes and counts only)
 * @param startedMillis when it fired
 * @param lastSeenMillis the last evaluation that found the condition holding
 * @param resolvedMillis when it resolved, or null while firing
 * @param notification {@code pending}, {@code sent}, {@code failed}, {@code silenced} or
 *     {@code logged} (no webhook)
 * @param silenceId the silence that held it back, or empty
 */
public record Alert(String id, String ruleId, String kind, Map<String, String> subject,
    long windowStartMillis, String state, long value, Map<String, Number> details,
    String summary, long startedMillis, long lastSeenMillis, @Nullable Long resolvedMillis, String notification,
    String silenceId) {
  /** Copies the maps, keeping their order. */
  public Alert {
    requireNonNull(id, "id");
    requireNonNull(ruleId, "ruleId");
    requireNonNull(summary, "summary");
    subject = Collections.unmodifiableMap(new LinkedHashMap<>(subject));
    details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
  }
}
