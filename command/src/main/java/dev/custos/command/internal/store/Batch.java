package dev.custos.command.internal.store;

import static java.util.Objects.requireNonNull;

import dev.custos.command.internal.ingest.IngestEvent;
import java.util.List;

/**
 * One batch of events from one proxy, as received. Immutable.
 *
 * @param batchId the sender's batch id (a retry reuses it)
 * @param proxyId the proxy that sent it
 * @param tokenName the name of the token it authenticated with
 * @param configVersion the configuration version the proxy runs
 * @param receivedMillis when the plane received it, epoch milliseconds
 * @param events the events, in line order
 */
public record Batch(String batchId, String proxyId, String tokenName, String configVersion,
    long receivedMillis, List<IngestEvent> events) {
  /** Copies the events. */
  public Batch {
    requireNonNull(batchId, "batchId");
    requireNonNull(proxyId, "proxyId");
    requireNonNull(tokenName, "tokenName");
    requireNonNull(configVersion, "configVersion");
    events = List.copyOf(events);
  }
}
