package dev.custos.proxy.internal.authn;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import dev.custos.proxy.AuthnConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads what authentication providers keep in files and environment variables. Problems are
 * {@link IllegalArgumentException}s worded "what (expected: what)" that never include the
 * contents.
 */
public final class AuthnFiles {
  private AuthnFiles() {}

  /** Returns the secret's bytes, a final newline dropped. */
  public static byte[] secret(AuthnConfig.SecretRef ref) {
    byte[] bytes;
    if (ref.file() != null) {
      try {
        bytes = Files.readAllBytes(ref.file());
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read (expected: a readable secret file)");
      }
    } else {
      String value = System.getenv(ref.env());
      if (value == null || value.isEmpty()) {
        throw new IllegalArgumentException("environment variable " + ref.env()
            + " is not set (expected: the secret in it)");
      }
      bytes = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    int n = bytes.length;
    if (n > 0 && bytes[n - 1] == '\n') {
      n--;
      if (n > 0 && bytes[n - 1] == '\r') {
        n--;
      }
    }
    return n == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, n);
  }

  /** Returns the public keys of a JWK set file. */
  public static JWKSet jwks(Path file) {
    JWKSet set;
    try {
      set = JWKSet.load(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read (expected: a readable JWK set file)");
    } catch (ParseException e) {
      throw new IllegalArgumentException("not a JWK set (expected: {\"keys\": [...]} JSON)");
    }
    if (set.getKeys().isEmpty()) {
      throw new IllegalArgumentException("no keys (expected: at least one public key)");
    }
    for (JWK k : set.getKeys()) {
      if (KeyType.OCT.equals(k.getKeyType())) {
        throw new IllegalArgumentException("a symmetric (oct) key (expected: public keys only;"
            + " HMAC secrets go in secret_file or secret_env)");
      }
      if (k.isPrivate()) {
        throw new IllegalArgumentException(
            "private key material (expected: public keys only)");
      }
    }
    return set;
  }

  /** Returns the certificates of a PEM trust bundle. */
  public static List<X509Certificate> trustBundle(Path file) {
    List<X509Certificate> out = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        out.add((X509Certificate) c);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read (expected: a readable PEM file)");
    } catch (CertificateException e) {
      throw new IllegalArgumentException("not PEM certificates (expected: CA certificates)");
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no certificates (expected: at least one CA certificate)");
    }
    return List.copyOf(out);
  }
}
