package dev.custos.command.internal.alerts;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * A silence: alerts matching every non-empty matcher, while it is active, are recorded but not
 * notified. Immutable.
 *
 * @param id the silence's id
 * @param ruleId only alerts of this rule, or empty for any
 * @param category only alerts whose subject has this category, or empty
 * @param route only alerts whose subject has this route, or empty
 * @param identityHash only alerts whose subject has this identity hash, or empty
 * @param startsMillis when it starts
 * @param endsMillis when it ends (excluded)
 * @param createdBy who created it (the API caller's name)
 * @param createdMillis when it was created
 * @param comment why
 */
public record Silence(String id, String ruleId, String category, String route,
    String identityHash, long startsMillis, long endsMillis, String createdBy,
    long createdMillis, String comment) {
  /** Checks the values. */
  public Silence {
    requireNonNull(id, "id");
    requireNonNull(ruleId, "ruleId");
    requireNonNull(category, "category");
    requireNonNull(route, "route");
    requireNonNull(identityHash, "identityHash");
    requireNonNull(createdBy, "createdBy");
    requireNonNull(comment, "comment");
    if (ruleId.isEmpty() && category.isEmpty() && route.isEmpty() && identityHash.isEmpty()) {
      throw new IllegalArgumentException("silence: no matcher (expected: at least one of rule,"
          + " category, route, identity_hash)");
    }
  }

  /** Returns whether the silence is active at {@code millis}. */
  public boolean activeAt(long millis) {
    return startsMillis <= millis && millis < endsMillis;
  }

  /** Returns whether an alert of {@code rule} about {@code subject} matches every matcher. */
  public boolean matches(String rule, Map<String, String> subject) {
    return (ruleId.isEmpty() || ruleId.equals(rule))
        && (category.isEmpty() || category.equals(subject.get("category")))
        && (route.isEmpty() || route.equals(subject.get("route")))
        && (identityHash.isEmpty() || identityHash.equals(subject.get("identity_hash")));
  }
}
