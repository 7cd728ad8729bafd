package dev.custos.proxy.internal.tls;

import com.linecorp.armeria.common.TlsKeyPair;
import com.linecorp.armeria.common.TlsProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TlsProvider} reading a PEM key pair and/or PEM CA certificates from files. {@link
 * #poll()} rereads the files and, when their bytes changed and parse, swaps the material
 * atomically: connections that exist keep the material they were opened with, new connections
 * get the new one. Files that cannot be read or parsed keep the last good material (logged).
 * Thread-safe.
 */
public final class FileTlsProvider implements TlsProvider {
  private static final Logger logger = LoggerFactory.getLogger(FileTlsProvider.class);

  private record Material(@Nullable TlsKeyPair keyPair, @Nullable List<X509Certificate> trusted,
      byte[][] bytes) {}

  private final String name;
  private final @Nullable Path cert;
  private final @Nullable Path key;
  private final @Nullable Path ca;
  private volatile Material current;

  /**
   * Reads the files now.
   *
   * @param name what the material is for, in log lines
   * @throws IllegalArgumentException if a file cannot be read or parsed
   */
  public FileTlsProvider(String name, @Nullable Path cert, @Nullable Path key,
      @Nullable Path ca) {
    this.name = name;
    this.cert = cert;
    this.key = key;
    this.ca = ca;
    this.current = load(read());
  }

  /** Checks a key pair and CA files the way {@link #poll()} reads them. */
  public static void check(@Nullable Path cert, @Nullable Path key, @Nullable Path ca) {
    new FileTlsProvider("check", cert, key, ca);
  }

  /** Rereads the files; returns whether new material is now served. */
  public boolean poll() {
    byte[][] bytes;
    try {
      bytes = read();
    } catch (IllegalArgumentException e) {
      logger.warn("tls: cannot read the files of {}: {}; keeping the previous ones", name,
          e.getMessage());
      return false;
    }
    if (Arrays.deepEquals(bytes, current.bytes())) {
      return false;
    }
    try {
      current = load(bytes);
    } catch (IllegalArgumentException e) {
      logger.warn("tls: new files of {} are not valid: {}; keeping the previous ones", name,
          e.getMessage());
      return false;
    }
    logger.info("tls: reloaded the certificate files of {}", name);
    return true;
  }

  @Override
  public @Nullable TlsKeyPair keyPair(String hostname) {
    return current.keyPair();
  }

  @Override
  public @Nullable List<X509Certificate> trustedCertificates(String hostname) {
    return current.trusted();
  }

  @Override
  public boolean autoClose() {
    return false;
  }

  private byte[][] read() {
    return new byte[][] {bytes(cert), bytes(key), bytes(ca)};
  }

  private static byte[] bytes(@Nullable Path file) {
    if (file == null) {
      return new byte[0];
    }
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read (expected: a readable PEM file)");
    }
  }

  /** Returns whether the key signs what the first certificate's public key verifies. */
  private static boolean matches(TlsKeyPair pair) {
    PrivateKey key = pair.privateKey();
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
    if (algorithm == null || pair.certificateChain().isEmpty()) {
      return true;
    }
    try {
      byte[] probe = "custos key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(pair.certificateChain().get(0).getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private Material load(byte[][] bytes) {
    TlsKeyPair pair = null;
    if (cert != null && key != null) {
      try {
        pair = TlsKeyPair.of(new ByteArrayInputStream(bytes[1]),
            new ByteArrayInputStream(bytes[0]));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(cert + ", " + key + ": not a PEM certificate chain and"
            + " matching private key (expected: PEM certificate and PKCS#8 key)");
      }
      // A pair caught between two file writes must not be served.
      if (!matches(pair)) {
        throw new IllegalArgumentException(cert + ", " + key + ": the key does not match the"
            + " certificate (expected: the private key of the first certificate)");
      }
    }
    List<X509Certificate> trusted = null;
    if (ca != null) {
      trusted = new ArrayList<>();
      try {
        for (Certificate c : CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(bytes[2]))) {
          trusted.add((X509Certificate) c);
        }
      } catch (CertificateException e) {
        throw new IllegalArgumentException(ca + ": not PEM certificates (expected: CA"
            + " certificates)");
      }
      if (trusted.isEmpty()) {
        throw new IllegalArgumentException(ca + ": no certificates (expected: at least one CA"
            + " certificate)");
      }
      trusted = List.copyOf(trusted);
    }
    return new Material(pair, trusted, bytes);
  }
}
