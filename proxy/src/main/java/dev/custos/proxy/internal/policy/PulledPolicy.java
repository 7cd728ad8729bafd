package dev.custos.proxy.internal.policy;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.Policy;

/**
 * A policy the command plane distributed, validated: its label ({@code name@version}), whether
 * it is enforced, the plane's ETag for it, its YAML and the parsed policy (with {@code enforce}
 * as the plane said). Immutable.
 *
 * @param label the policy's name and version, {@code name@version}
 * @param enforce whether it is enforced (false: shadow mode)
 * @param etag the plane's ETag, quoted
 * @param body the policy YAML as the plane sent it
 * @param policy the parsed policy
 */
public record PulledPolicy(String label, boolean enforce, String etag, String body,
    Policy policy) {
  /** Checks the values. */
  public PulledPolicy {
    requireNonNull(label, "label");
    requireNonNull(etag, "etag");
    requireNonNull(body, "body");
    requireNonNull(policy, "policy");
  }

  /**
   * Returns the version the proxy reports while it runs this policy ({@code Custos-Config-Version}):
   * the label, with {@code +shadow} in shadow mode.
   */
  public String runningVersion() {
    return label + (enforce ? "" : "+shadow");
  }

  @Override
  public String toString() {
    return "PulledPolicy{" + runningVersion() + "}";
  }
}
