package dev.custos.command.internal.ingest;

import dev.custos.command.CommandConfig;
import dev.custos.command.internal.config.ConfigReader;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;
import com.linecorp.armeria.server.ServiceRequestContext;
import org.jspecify.annotations.Nullable;

/**
 * Checks bearer tokens against configured SHA-256 digests in constant time: the presented token
 * is hashed and compared with {@link MessageDigest#isEqual} against every digest (no early exit),
 * so the time taken tells nothing about which digest nearly matched. A proxy may instead present
 * a client certificate (verified by the TLS listener against {@code tls.client_ca_file}) that a
 * {@code client_certs} entry names, by subject or URI SAN. Immutable, thread-safe.
 */
public final class Tokens {
  private static final int URI_SAN = 6;

  private final List<String> names;
  private final List<byte[]> digests;
  private final List<CommandConfig.ClientCert> certs;
  private final List<@Nullable String> subjects;

  /** Returns the checker of these tokens. */
  public Tokens(List<CommandConfig.Token> tokens) {
    this(tokens, List.of());
  }

  /** Returns the checker of these tokens and of these client certificates. */
  public Tokens(List<CommandConfig.Token> tokens, List<CommandConfig.ClientCert> certs) {
    this.names = tokens.stream().map(CommandConfig.Token::name).toList();
    this.digests = tokens.stream().map(t -> HexFormat.of().parseHex(t.sha256())).toList();
    this.certs = List.copyOf(certs);
    List<@Nullable String> s = new ArrayList<>();
    for (CommandConfig.ClientCert c : certs) {
      s.add(c.subject() == null ? null : normalized(c.subject()));
    }
    this.subjects = Collections.unmodifiableList(s);
  }

  /**
   * Returns the name a request authenticates as: the bearer token's when it sends an {@code
   * Authorization} header (a wrong token is refused, whatever certificate it presents), else the
   * name of the first {@code client_certs} entry its verified client certificate matches; null
   * when neither names it.
   */
  public @Nullable String check(ServiceRequestContext ctx, @Nullable String authorization) {
    if (authorization != null || certs.isEmpty()) {
      return check(authorization);
    }
    SSLSession session = ctx.sslSession();
    if (session == null) {
      return null;
    }
    X509Certificate leaf;
    try {
      java.security.cert.Certificate[] chain = session.getPeerCertificates();
      if (chain.length == 0 || !(chain[0] instanceof X509Certificate x)) {
        return null;
      }
      leaf = x;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
    String subject = leaf.getSubjectX500Principal().getName(X500Principal.CANONICAL);
    List<String> uris = uriSans(leaf);
    for (int i = 0; i < certs.size(); i++) {
      CommandConfig.ClientCert c = certs.get(i);
      if ((c.subject() != null && subject.equals(subjects.get(i)))
          || (c.spiffeId() != null && uris.contains(c.spiffeId()))) {
        return c.name();
      }
    }
    return null;
  }

  /**
   * Returns the canonical form (RFC 5280 compares names ignoring case and extra spaces, whatever
   * string type encodes them); the configuration reader has checked that it parses.
   */
  private static String normalized(String subject) {
    try {
      return new X500Principal(subject).getName(X500Principal.CANONICAL);
    } catch (IllegalArgumentException e) {
      return subject;
    }
  }

  private static List<String> uriSans(X509Certificate leaf) {
    List<String> out = new ArrayList<>();
    try {
      Collection<List<?>> names = leaf.getSubjectAlternativeNames();
      if (names != null) {
        for (List<?> n : names) {
          if (n.size() >= 2 && n.get(0) instanceof Integer type && type == URI_SAN
              && n.get(1) instanceof String uri) {
            out.add(uri);
          }
        }
      }
    } catch (CertificateParsingException e) {
      // No readable SAN: only the subject can match.
    }
    return out;
  }

  /**
   * Returns the name of the token an {@code Authorization} header carries, or null when it is
   * missing, not a bearer token, or matches none.
   */
  public @Nullable String check(@Nullable String authorization) {
    if (authorization == null || authorization.length() < 8
        || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    byte[] given = ConfigReader.sha256(
        authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    String found = null;
    for (int i = 0; i < digests.size(); i++) {
      if (MessageDigest.isEqual(digests.get(i), given) && found == null) {
        found = names.get(i);
      }
    }
    return found;
  }
}
