package dev.custos.command.internal.store;

/**
 * Where one value (by evidence hash) was seen: one hop of its lineage. Immutable.
 *
 * @param proxyId the proxy that saw it
 * @param route the route
 * @param cluster the cluster, or empty
 * @param direction request or response
 * @param category the category id
 * @param preview the masked preview
 * @param firstSeenMillis first seen, epoch milliseconds
 * @param lastSeenMillis last seen, epoch milliseconds
 * @param sightings how many times
 */
public record Sighting(String proxyId, String route, String cluster, String direction,
    String category, String preview, long firstSeenMillis, long lastSeenMillis, long sightings) {}
