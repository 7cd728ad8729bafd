package dev.custos.proxy.internal.authn;

import static java.util.Objects.requireNonNull;

import java.util.Map;

import dev.custos.proxy.AuthnConfig;
import dev.custos.proxy.Identity;
import org.jspecify.annotations.Nullable;

/**
 * The result of one method on one request. Never holds a credential: {@code claimed} is the
 * hashed identity a failed credential claimed, for counting abuse.
 *
 * @param method the method tried
 * @param status what came of it
 * @param reason a short id for metrics ({@code expired}, {@code bad_signature}…), or {@code ok}
 * @param identity the verified identity, when {@link Status#OK}
 * @param principal the verified name (JWT claim, URI SAN, API key name), when {@link Status#OK}
 * @param claimed the hashed identity a failed credential claimed, or null
 * @param claims a verified JWT's claims as JSON values (empty otherwise), for authorization
 */
record Attempt(AuthnConfig.Method method, Status status, String reason,
    @Nullable Identity identity, @Nullable String principal, @Nullable String claimed,
    Map<String, Object> claims) {
  enum Status {
    /** Verified. */
    OK,
    /** No credential of this kind was presented. */
    MISSING,
    /** A credential was presented and refused; counts towards abuse. */
    FAILED,
    /** A valid credential that may not be used here (403); not counted. */
    FORBIDDEN,
    /** The credential could not be checked now (key set unreachable); 503, not counted. */
    UNAVAILABLE
  }

  Attempt {
    requireNonNull(method, "method");
    requireNonNull(status, "status");
    requireNonNull(reason, "reason");
    requireNonNull(claims, "claims");
  }

  static Attempt ok(AuthnConfig.Method method, Identity identity, String principal) {
    return new Attempt(method, Status.OK, "ok", identity, principal, null, Map.of());
  }

  static Attempt ok(AuthnConfig.Method method, Identity identity, String principal,
      Map<String, Object> claims) {
    return new Attempt(method, Status.OK, "ok", identity, principal, null, claims);
  }

  static Attempt missing(AuthnConfig.Method method) {
    return new Attempt(method, Status.MISSING, "missing_" + method.id(), null, null, null, Map.of());
  }

  static Attempt failed(AuthnConfig.Method method, String reason, @Nullable String claimed) {
    return new Attempt(method, Status.FAILED, reason, null, null, claimed, Map.of());
  }

  static Attempt forbidden(AuthnConfig.Method method, String reason) {
    return new Attempt(method, Status.FORBIDDEN, reason, null, null, null, Map.of());
  }

  static Attempt unavailable(AuthnConfig.Method method, String reason) {
    return new Attempt(method, Status.UNAVAILABLE, reason, null, null, null, Map.of());
  }

  boolean ok() {
    return status == Status.OK;
  }

  @Override
  public String toString() {
    return "Attempt{" + method.id() + ", " + status + ", " + reason
        + (identity == null ? "" : ", " + identity) + "}";
  }
}
