package dev.custos.command.internal.alerts;

import static java.util.Objects.requireNonNull;

import dev.custos.command.AlertsConfig;

/**
 * A rule with where it comes from. Immutable.
 *
 * @param rule the rule
 * @param source {@code config} ({@code command.yaml}) or {@code api}
 * @param createdBy who created it through the API, or empty
 * @param createdMillis when it was created through the API, or 0
 * @param comment the creator's comment, or empty
 */
public record StoredRule(AlertsConfig.Rule rule, String source, String createdBy,
    long createdMillis, String comment) {
  /** Checks the values. */
  public StoredRule {
    requireNonNull(rule, "rule");
    requireNonNull(source, "source");
    requireNonNull(createdBy, "createdBy");
    requireNonNull(comment, "comment");
  }
}
