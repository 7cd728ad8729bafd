package dev.custos.command.internal.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Locale;

/**
 * A rollout: one version of a policy or a proxy configuration run by a set of proxies; a policy
 * in shadow mode or enforcing, a configuration always applied (staged to a subset of proxies
 * first is its canary).
 *
 * @param id the rollout's number; a higher id is newer (one sequence for every kind)
 * @param kind what it rolls out
 * @param name the document's name
 * @param version the document's version
 * @param enforce whether the proxies enforce it (false: shadow mode; always true for a
 *     configuration)
 * @param proxies the proxy ids it covers, or {@code ["*"]} for every proxy
 * @param state where it stands
 * @param createdMillis when it was started
 * @param createdBy who started it
 * @param updatedMillis when it was last promoted or aborted (else its start)
 * @param updatedBy who did that
 * @param shadowUntilMillis when it stopped being shadow (promoted to enforce, or aborted); 0
 *     while it is shadow or when it never was
 */
public record Rollout(long id, DocumentKind kind, String name, int version, boolean enforce, List<String> proxies,
    State state, long createdMillis, String createdBy, long updatedMillis, String updatedBy,
    long shadowUntilMillis) {
  /** Every proxy. */
  public static final String ALL = "*";

  /** Where a rollout stands. */
  public enum State {
    /** Started with enforce false: proxies report what it would have done. */
    SHADOW,
    /** Started enforcing. */
    ENFORCING,
    /** Promoted: enforcing and/or widened after its start. */
    PROMOTED,
    /** Aborted: no proxy runs it any more. */
    ABORTED;

    /** Returns the lower-case id used in the API and the database. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Returns the state of an id. */
    static State of(String id) {
      return valueOf(id.toUpperCase(Locale.ROOT));
    }
  }

  /** Checks the values. */
  public Rollout {
    requireNonNull(kind, "kind");
    requireNonNull(name, "name");
    proxies = List.copyOf(proxies);
    requireNonNull(state, "state");
    requireNonNull(createdBy, "createdBy");
    requireNonNull(updatedBy, "updatedBy");
  }

  /** Returns whether the rollout covers a proxy (it may be aborted). */
  public boolean covers(String proxyId) {
    return proxies.contains(ALL) || proxies.contains(proxyId);
  }

  /** Returns the version label proxies report while they run this rollout. */
  public String runningLabel() {
    return name + "@" + version + (enforce ? "" : "+shadow");
  }
}
