package dev.custos.command.internal.api;

import static java.util.Objects.requireNonNull;

/**
 * Who called the API, once authenticated: the name recorded as a policy version's author or a
 * silence's creator (a token's configured name, or an OIDC subject), and the role it holds.
 * Never a token.
 *
 * @param name the caller's name, for audit
 * @param role what the caller may do
 */
public record Caller(String name, Role role) {
  /** Checks the values. */
  public Caller {
    requireNonNull(name, "name");
    requireNonNull(role, "role");
  }
}
