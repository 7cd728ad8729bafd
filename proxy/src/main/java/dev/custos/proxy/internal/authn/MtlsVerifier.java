package dev.custos.proxy.internal.authn;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.custos.proxy.AuthnConfig;
import dev.custos.proxy.Identity;
import dev.custos.proxy.internal.identity.IdentityHasher;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * Verifies the client certificate of a TLS connection: the chain must lead to the trust bundle
 * (PKIX, validity dates checked), and the leaf must not be a CA (no {@code CA:TRUE}, no {@code
 * keyCertSign}), must allow client authentication when it lists extended key usages, and must
 * name the caller with a URI SAN such as {@code spiffe://…}. Results are cached per TLS session
 * for a minute. Thread-safe and non-blocking.
 */
final class MtlsVerifier {
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";
  private static final int URI_SAN = 6;

  private final List<X509Certificate> bundle;
  private final Set<TrustAnchor> anchors;
  private final IdentityHasher hasher;
  private final Cache<SSLSession, Attempt> bySession = Caffeine.newBuilder()
      .weakKeys()
      .maximumSize(100_000)
      .expireAfterWrite(Duration.ofMinutes(1))
      .build();

  MtlsVerifier(AuthnConfig.Mtls config, IdentityHasher hasher) {
    this.bundle = AuthnFiles.trustBundle(config.trustBundle());
    Set<TrustAnchor> a = new HashSet<>();
    for (X509Certificate c : bundle) {
      a.add(new TrustAnchor(c, null));
    }
    this.anchors = Set.copyOf(a);
    this.hasher = hasher;
  }

  /** Returns the trusted CA certificates. */
  List<X509Certificate> bundle() {
    return bundle;
  }

  Attempt verify(@Nullable SSLSession session) {
    if (session == null) {
      return Attempt.missing(AuthnConfig.Method.MTLS);
    }
    return bySession.get(session, this::check);
  }

  private Attempt check(SSLSession session) {
    List<X509Certificate> chain = new ArrayList<>();
    try {
      for (java.security.cert.Certificate c : session.getPeerCertificates()) {
        if (!(c instanceof X509Certificate x)) {
          return failed("untrusted_cert");
        }
        chain.add(x);
      }
    } catch (SSLPeerUnverifiedException e) {
      return Attempt.missing(AuthnConfig.Method.MTLS);
    }
    if (chain.isEmpty()) {
      return Attempt.missing(AuthnConfig.Method.MTLS);
    }
    X509Certificate leaf = chain.get(0);
    boolean[] usage = leaf.getKeyUsage();
    if (leaf.getBasicConstraints() >= 0 || (usage != null && usage.length > 5 && usage[5])) {
      return failed("ca_cert");
    }
    try {
      List<String> extended = leaf.getExtendedKeyUsage();
      if (extended != null && !extended.contains(CLIENT_AUTH)
          && !extended.contains(ANY_EXTENDED_KEY_USAGE)) {
        return failed("key_usage");
      }
    } catch (CertificateParsingException e) {
      return failed("untrusted_cert");
    }
    String reason = validate(chain);
    if (reason != null) {
      return failed(reason);
    }
    String uri = uriSan(leaf);
    if (uri == null) {
      return failed("no_uri_san");
    }
    return Attempt.ok(AuthnConfig.Method.MTLS, hasher.identity(Identity.Kind.MTLS, uri, true), uri);
  }

  /** Returns null when the chain leads to a trust anchor, else the reason it does not. */
  private @Nullable String validate(List<X509Certificate> chain) {
    List<X509Certificate> path = new ArrayList<>();
    for (X509Certificate c : chain) {
      if (bundle.contains(c)) {
        break; // the anchor itself is not part of the path
      }
      path.add(c);
    }
    if (path.isEmpty()) {
      return "ca_cert";
    }
    try {
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      CertPathValidator.getInstance("PKIX").validate(
          CertificateFactory.getInstance("X.509").generateCertPath(path), params);
      return null;
    } catch (CertPathValidatorException e) {
      return e.getReason() == CertPathValidatorException.BasicReason.EXPIRED
          || e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID
          ? "cert_expired" : "untrusted_cert";
    } catch (GeneralSecurityException e) {
      return "untrusted_cert";
    }
  }

  private static @Nullable String uriSan(X509Certificate leaf) {
    try {
      Collection<List<?>> names = leaf.getSubjectAlternativeNames();
      if (names == null) {
        return null;
      }
      for (List<?> n : names) {
        if (n.size() >= 2 && n.get(0) instanceof Integer type && type == URI_SAN
            && n.get(1) instanceof String uri && !uri.isEmpty()) {
          return uri;
        }
      }
      return null;
    } catch (CertificateParsingException e) {
      return null;
    }
  }

  private static Attempt failed(String reason) {
    return Attempt.failed(AuthnConfig.Method.MTLS, reason, null);
  }
}
