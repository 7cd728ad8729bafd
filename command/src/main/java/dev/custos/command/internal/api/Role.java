package dev.custos.command.internal.api;

/**
 * What a caller of the command plane's API may do. {@link #ADMIN} includes everything
 * {@link #READ} may do.
 */
public enum Role {
  /** Reads flows, lineage, findings lists, policies, rollouts and alerts. */
  READ,
  /** Also writes: policy versions, rollouts and promotions, alert rules and silences. */
  ADMIN;

  /** Returns whether a caller holding this role may do what {@code needed} allows. */
  public boolean includes(Role needed) {
    return this == ADMIN || needed == READ;
  }
}
