package dev.custos.command.internal.store;

/**
 * One edge of the flow model over a time range: a source (identity, service) sending or
 * receiving a category through a route and cluster, with the action taken. Immutable.
 *
 * @param route the route
 * @param cluster the cluster, or empty
 * @param direction request or response
 * @param identityHash the caller's identity hash
 * @param service the caller's service, or empty
 * @param category the category id
 * @param action the strongest action taken
 * @param events messages holding the category
 * @param findings values found
 * @param distinctValues distinct values (by evidence hash) on this edge and category, whatever
 *     the action
 */
public record FlowRow(String route, String cluster, String direction, String identityHash,
    String service, String category, String action, long events, long findings,
    long distinctValues) {}
