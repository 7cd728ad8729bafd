package dev.custos.proxy.internal.authn;

import com.linecorp.armeria.common.RequestHeaders;
import dev.custos.proxy.AuthnConfig;
import dev.custos.proxy.internal.identity.IdentityHasher;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * The verifiers of one configuration: keys, secrets and bundles read, JWKS caches ready. Built
 * when a configuration is loaded; immutable apart from caches, and thread-safe.
 */
final class Authenticators {
  private final @Nullable JwtVerifier jwt;
  private final @Nullable MtlsVerifier mtls;
  private final @Nullable ApiKeyVerifier apiKeys;

  /**
   * Compiles the providers.
   *
   * @throws IllegalArgumentException if a file or secret can no longer be read
   */
  Authenticators(AuthnConfig config, IdentityHasher hasher, Clock clock) {
    this.jwt = config.jwt() == null ? null : new JwtVerifier(config.jwt(), hasher, clock);
    this.mtls = config.mtls() == null ? null : new MtlsVerifier(config.mtls(), hasher);
    this.apiKeys = config.apiKeys() == null ? null : new ApiKeyVerifier(config.apiKeys(), hasher);
  }

  /** Returns the trusted CA certificates, or an empty list without mTLS. */
  List<X509Certificate> trustBundle() {
    return mtls == null ? List.of() : mtls.bundle();
  }

  /** Returns whether checking {@code r} may block on I/O (a JWK set fetch). */
  boolean mayBlock(AuthnConfig.Requirement r) {
    return jwt != null && jwt.remote() && r.methods().contains(AuthnConfig.Method.JWT);
  }

  /** Returns the hashed identities the request's credentials claim, unverified. */
  List<String> claimed(RequestHeaders headers, AuthnConfig.Requirement r) {
    List<String> out = new ArrayList<>(2);
    for (AuthnConfig.Method m : r.methods()) {
      String c = switch (m) {
        case JWT -> jwt == null ? null : jwt.claimed(headers);
        case API_KEY -> apiKeys == null ? null : apiKeys.claimed(headers);
        case MTLS -> null;
      };
      if (c != null) {
        out.add(c);
      }
    }
    return out;
  }

  /** Returns the challenge for a method in {@code WWW-Authenticate}, or null. */
  @Nullable String challenge(AuthnConfig.Method m, boolean invalidToken) {
    return switch (m) {
      case JWT -> "Bearer realm=\"custos\"" + (invalidToken ? ", error=\"invalid_token\"" : "");
      case API_KEY -> apiKeys == null ? null
          : "ApiKey realm=\"custos\", header=\"" + apiKeys.header() + "\"";
      case MTLS -> null;
    };
  }

  Attempt verify(AuthnConfig.Method m, RequestHeaders headers, @Nullable SSLSession session,
      String route) {
    return switch (m) {
      case JWT -> jwt == null ? Attempt.unavailable(m, "no_provider") : jwt.verify(headers);
      case MTLS -> mtls == null ? Attempt.unavailable(m, "no_provider") : mtls.verify(session);
      case API_KEY -> apiKeys == null ? Attempt.unavailable(m, "no_provider")
          : apiKeys.verify(headers, route);
    };
  }
}
