package dev.custos.command.internal.ingest;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One findings event as a proxy sent it, checked: names, hashes and counts only. Immutable.
 *
 * @param timeMillis when the message ended, epoch milliseconds
 * @param route the route name
 * @param cluster the upstream cluster, or empty when the event does not say
 * @param service the caller's service, or empty when unknown
 * @param protocol what carried the message ({@code http}, {@code grpc}...)
 * @param direction {@code request} or {@code response}
 * @param identityHash the keyed hash of the caller's identity
 * @param categories findings per category id
 * @param action the strongest action taken: {@code block}, {@code redact}, {@code alert},
 *     {@code observe}, or {@code none}
 * @param blockedBy the rule (or {@code on_uninspectable}) that refused the message, or null
 * @param shadow whether the policy was in shadow mode
 * @param alert whether an alert rule acted
 * @param uninspectable why the message could not be inspected in full, or null
 * @param inspectedBytes bytes scanned
 * @param evidence the values found, by keyed hash and masked preview
 */
public record IngestEvent(
    long timeMillis,
    String route,
    String cluster,
    String service,
    String protocol,
    String direction,
    String identityHash,
    Map<String, Integer> categories,
    String action,
    @Nullable String blockedBy,
    boolean shadow,
    boolean alert,
    @Nullable String uninspectable,
    long inspectedBytes,
    List<Evidence> evidence) {

  /** Copies the collections. */
  public IngestEvent {
    categories = Map.copyOf(categories);
    evidence = List.copyOf(evidence);
  }

  /** Returns the number of findings (the sum of the category counts). */
  public long findings() {
    long n = 0;
    for (int c : categories.values()) {
      n += c;
    }
    return n;
  }

  /**
   * One value found, as evidence.
   *
   * @param category the category id
   * @param hash the keyed hash of the value (hex)
   * @param preview the masked preview, or empty when the event held none
   */
  public record Evidence(String category, String hash, String preview) {}
}
