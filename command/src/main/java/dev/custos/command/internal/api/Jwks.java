package dev.custos.command.internal.api;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import org.jspecify.annotations.Nullable;

/**
 * Reads a JWK set file of an OIDC issuer: public RSA or EC keys only (a symmetric key could
 * only serve HMAC, which the API never accepts; private parts are dropped). Thread-safe
 * (stateless).
 */
public final class Jwks {
  private static final int MAX_BYTES = 512 * 1024;

  private Jwks() {}

  /** Returns what is wrong with the file, worded for a configuration problem, or null. */
  public static @Nullable String check(Path file) {
    try {
      load(file);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /**
   * Returns the public keys of a JWK set file.
   *
   * @throws IllegalArgumentException naming what is wrong (never a key's bytes)
   */
  public static JWKSet load(Path file) {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_BYTES + 1);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the JWK set: "
          + e.getClass().getSimpleName() + " (expected: a readable file)");
    }
    if (bytes.length > MAX_BYTES) {
      throw new IllegalArgumentException("JWK set larger than " + MAX_BYTES
          + " bytes (expected: a JWK set file)");
    }
    JWKSet set;
    try {
      set = JWKSet.parse(new String(bytes, StandardCharsets.UTF_8));
    } catch (ParseException e) {
      throw new IllegalArgumentException(
          "not a JWK set (expected: JSON {\"keys\": [...]} of RSA or EC public keys)");
    }
    if (set.getKeys().isEmpty()) {
      throw new IllegalArgumentException("no keys (expected: at least one RSA or EC public key)");
    }
    for (JWK k : set.getKeys()) {
      if (!KeyType.RSA.equals(k.getKeyType()) && !KeyType.EC.equals(k.getKeyType())) {
        throw new IllegalArgumentException("a key of type " + k.getKeyType()
            + " (expected: RSA or EC public keys only; HMAC is never accepted)");
      }
    }
    return set.toPublicJWKSet();
  }
}
