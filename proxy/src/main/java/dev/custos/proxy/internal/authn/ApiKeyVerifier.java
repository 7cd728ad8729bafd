package dev.custos.proxy.internal.authn;

import com.linecorp.armeria.common.RequestHeaders;
import dev.custos.proxy.AuthnConfig;
import dev.custos.proxy.Identity;
import dev.custos.proxy.internal.identity.IdentityHasher;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Verifies an API key by its SHA-256 hash: the configuration holds hashes only, so a key is
 * never stored. A known key used on a route outside its scope is forbidden (403). Thread-safe
 * and non-blocking.
 */
final class ApiKeyVerifier {
  private final String header;
  private final Map<String, AuthnConfig.ApiKey> byHash;
  private final IdentityHasher hasher;

  ApiKeyVerifier(AuthnConfig.ApiKeys config, IdentityHasher hasher) {
    this.header = config.header();
    Map<String, AuthnConfig.ApiKey> m = new HashMap<>();
    for (AuthnConfig.ApiKey k : config.keys()) {
      m.put(k.sha256(), k);
    }
    this.byHash = Map.copyOf(m);
    this.hasher = hasher;
  }

  String header() {
    return header;
  }

  /**
   * Returns the keyed hash of the presented key, known or not, or null; for abuse counts. It is
   * the identity the data plane's {@code header} source gives the same value.
   */
  @Nullable String claimed(RequestHeaders headers) {
    String key = key(headers);
    return key == null ? null : hasher.identity(Identity.Kind.HEADER, key, false).key();
  }

  Attempt verify(RequestHeaders headers, String route) {
    String key = key(headers);
    if (key == null) {
      return Attempt.missing(AuthnConfig.Method.API_KEY);
    }
    String hash = sha256(key);
    AuthnConfig.ApiKey known = byHash.get(hash);
    if (known == null) {
      return Attempt.failed(AuthnConfig.Method.API_KEY, "unknown_api_key",
          hasher.identity(Identity.Kind.HEADER, key, false).key());
    }
    if (!known.allows(route)) {
      return Attempt.forbidden(AuthnConfig.Method.API_KEY, "api_key_scope");
    }
    return Attempt.ok(AuthnConfig.Method.API_KEY,
        hasher.identity(Identity.Kind.API_KEY, known.name(), true), known.name());
  }

  private @Nullable String key(RequestHeaders headers) {
    String v = headers.get(header);
    if (v == null) {
      return null;
    }
    String key = v.strip();
    return key.isEmpty() ? null : key;
  }

  static String sha256(String key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
