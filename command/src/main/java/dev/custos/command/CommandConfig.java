package dev.custos.command;

import static java.util.Objects.requireNonNull;

import dev.custos.command.internal.config.ConfigReader;
import dev.custos.engine.config.ConfigException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The command plane's configuration ({@code command.yaml}), validated against
 * {@code dev/custos/command/command.schema.json}. Immutable; holds token digests, never tokens
 * or passwords (a password stays in its file until the database is opened).
 *
 * @param host the listener's host
 * @param port the listener's port (0 picks a free one)
 * @param database where findings are stored
 * @param tokens the proxies' tokens, by digest
 * @param apiTokens the tokens that may call the API, by digest, each with its role
 * @param retention how long data is kept
 * @param ingest the ingest work queue
 * @param oidc how OIDC JWTs are accepted on the API, or null when they are not
 * @param alerts alert rules and webhooks
 * @param tls the listener's TLS and the client certificates that name proxies, or null for
 *     cleartext (HTTP/1.1 and h2c)
 */
public record CommandConfig(
    String host,
    int port,
    Database database,
    List<Token> tokens,
    List<ApiToken> apiTokens,
    Retention retention,
    Ingest ingest,
    @Nullable Oidc oidc,
    AlertsConfig alerts,
    @Nullable Tls tls) {

  /** Copies the lists and checks the values. */
  public CommandConfig {
    requireNonNull(host, "host");
    requireNonNull(database, "database");
    requireNonNull(retention, "retention");
    requireNonNull(ingest, "ingest");
    requireNonNull(alerts, "alerts");
    tokens = List.copyOf(tokens);
    apiTokens = List.copyOf(apiTokens);
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0 to 65535)");
    }
  }

  /** Returns a configuration without TLS. */
  public CommandConfig(String host, int port, Database database, List<Token> tokens,
      List<ApiToken> apiTokens, Retention retention, Ingest ingest, @Nullable Oidc oidc,
      AlertsConfig alerts) {
    this(host, port, database, tokens, apiTokens, retention, ingest, oidc, alerts, null);
  }

  /** Returns a configuration without OIDC and alert rules: only {@code apiTokens} call the API. */
  public CommandConfig(String host, int port, Database database, List<Token> tokens,
      List<ApiToken> apiTokens, Retention retention, Ingest ingest) {
    this(host, port, database, tokens, apiTokens, retention, ingest, null, AlertsConfig.NONE);
  }

  /** Returns a configuration without alert rules. */
  public CommandConfig(String host, int port, Database database, List<Token> tokens,
      List<ApiToken> apiTokens, Retention retention, Ingest ingest, @Nullable Oidc oidc) {
    this(host, port, database, tokens, apiTokens, retention, ingest, oidc, AlertsConfig.NONE);
  }

  /** Returns this configuration with another database (tests and the bench pick theirs). */
  public CommandConfig withDatabase(Database db) {
    return new CommandConfig(host, port, db, tokens, apiTokens, retention, ingest, oidc,
        alerts, tls);
  }

  /**
   * Reads and validates a configuration file.
   *
   * @throws ConfigException with file:line:column for every problem found
   */
  public static CommandConfig load(Path file) {
    return ConfigReader.load(requireNonNull(file, "file"));
  }

  /**
   * Parses configuration text; relative paths are resolved against {@code baseDir}.
   *
   * @throws ConfigException with line:column for every problem found
   */
  public static CommandConfig parse(String yaml, String sourceName, Path baseDir) {
    return ConfigReader.parse(requireNonNull(yaml, "yaml"), requireNonNull(sourceName,
        "sourceName"), requireNonNull(baseDir, "baseDir"));
  }

  /**
   * Where findings are stored.
   *
   * @param url a JDBC URL, {@code jdbc:sqlite:FILE} (absolute) or {@code jdbc:postgresql:...}
   * @param user the PostgreSQL user, if any
   * @param passwordFile the file holding the PostgreSQL password, if any
   * @param schema the PostgreSQL schema holding the tables, if not {@code public}
   * @param poolSize connections in the pool (SQLite: 1)
   */
  public record Database(String url, @Nullable String user, @Nullable Path passwordFile,
      @Nullable String schema, int poolSize) {
    /** Checks the values. */
    public Database {
      requireNonNull(url, "url");
      if (!url.startsWith("jdbc:sqlite:") && !url.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException(
            "url: not a supported JDBC URL (expected: jdbc:sqlite:FILE or jdbc:postgresql://...)");
      }
      if (poolSize < 1) {
        throw new IllegalArgumentException("poolSize: " + poolSize + " (expected: at least 1)");
      }
    }

    /** Returns SQLite's database in {@code file}. */
    public static Database sqlite(Path file) {
      return new Database("jdbc:sqlite:" + file.toAbsolutePath(), null, null, null, 1);
    }

    /** Returns whether this is a PostgreSQL database. */
    public boolean postgresql() {
      return url.startsWith("jdbc:postgresql:");
    }

    /** Returns the schema, if one other than the default is configured. */
    public Optional<String> schemaName() {
      return Optional.ofNullable(schema);
    }
  }

  /**
   * A token by its SHA-256 digest.
   *
   * @param name the token's name, recorded beside the proxy ids that use it
   * @param sha256 the digest, 64 lower-case hex digits
   */
  public record Token(String name, String sha256) {
    /** Checks the values. */
    public Token {
      requireNonNull(name, "name");
      requireNonNull(sha256, "sha256");
      if (!sha256.matches("[0-9a-f]{64}")) {
        throw new IllegalArgumentException("sha256: not 64 lower-case hex digits");
      }
    }
  }

  /** What a caller of the API may do. */
  public enum ApiRole {
    /** Reads flows, lineage, findings, policies, rollouts and alerts. */
    READ,
    /** Also writes: policy versions, rollouts, alert rules and silences. */
    ADMIN
  }

  /**
   * An API token by its SHA-256 digest, with the role it grants.
   *
   * @param name the token's name, the caller's name in audit fields (a policy version's author)
   * @param sha256 the digest, 64 lower-case hex digits
   * @param role what the token may do
   */
  public record ApiToken(String name, String sha256, ApiRole role) {
    /** Checks the values. */
    public ApiToken {
      requireNonNull(name, "name");
      requireNonNull(sha256, "sha256");
      requireNonNull(role, "role");
      if (!sha256.matches("[0-9a-f]{64}")) {
        throw new IllegalArgumentException("sha256: not 64 lower-case hex digits");
      }
    }

    /** Returns the token's name and digest, without its role. */
    public Token token() {
      return new Token(name, sha256);
    }
  }

  /**
   * How OIDC JWTs are accepted on the API: signed (asymmetric algorithms only) by a key of the
   * issuer's JWKS, from a file or a URL (cached and refreshed), with {@code iss}, {@code aud},
   * {@code exp} and {@code nbf} checked; the role comes from a claim listing the caller's roles.
   *
   * @param issuer the {@code iss} every token must carry
   * @param audiences the token's {@code aud} must hold at least one of these
   * @param jwksFile the JWKS file, or null when {@code jwksUrl} is set
   * @param jwksUrl the JWKS URL (http or https), or null when {@code jwksFile} is set
   * @param jwksCache how long fetched keys are kept before they are fetched again
   * @param rolesClaim the claim holding the roles, a dotted path for nested claims
   *     ({@code realm_access.roles}); a list of strings or one space-separated string
   * @param nameClaim the claim naming the caller ({@code sub}, {@code preferred_username})
   * @param adminRoles roles that make the caller an admin
   * @param readRoles roles that let the caller read
   * @param clockSkew how far {@code exp} and {@code nbf} may be off
   * @param algorithms the JWS algorithms accepted
   */
  public record Oidc(String issuer, List<String> audiences, @Nullable Path jwksFile,
      @Nullable URI jwksUrl, Duration jwksCache, String rolesClaim, String nameClaim,
      List<String> adminRoles, List<String> readRoles, Duration clockSkew,
      List<String> algorithms) {
    /** The algorithms accepted when none are configured: no {@code none}, no HMAC. */
    public static final List<String> ASYMMETRIC_ALGORITHMS = List.of("RS256", "RS384", "RS512",
        "PS256", "PS384", "PS512", "ES256", "ES384", "ES512");
    /** The shortest time fetched keys are kept. */
    public static final Duration MIN_JWKS_CACHE = Duration.ofMinutes(1);
    /** The longest clock skew: as the proxy's {@code authn.jwt.clock_skew}. */
    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);

    /** Copies the lists and checks the values. */
    public Oidc {
      requireNonNull(issuer, "issuer");
      requireNonNull(jwksCache, "jwksCache");
      requireNonNull(rolesClaim, "rolesClaim");
      requireNonNull(nameClaim, "nameClaim");
      requireNonNull(clockSkew, "clockSkew");
      audiences = List.copyOf(audiences);
      adminRoles = List.copyOf(adminRoles);
      readRoles = List.copyOf(readRoles);
      algorithms = List.copyOf(algorithms);
      if ((jwksFile == null) == (jwksUrl == null)) {
        throw new IllegalArgumentException(
            "oidc: jwks_file and jwks_url (expected: exactly one of them)");
      }
      if (audiences.isEmpty()) {
        throw new IllegalArgumentException("oidc: audience: empty (expected: at least one)");
      }
      if (algorithms.isEmpty() || !ASYMMETRIC_ALGORITHMS.containsAll(algorithms)) {
        throw new IllegalArgumentException("oidc: algorithms: " + algorithms
            + " (expected: some of " + ASYMMETRIC_ALGORITHMS + ")");
      }
      if (clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0
          || jwksCache.compareTo(MIN_JWKS_CACHE) < 0) {
        throw new IllegalArgumentException("oidc: clock_skew " + clockSkew + ", jwks_cache "
            + jwksCache + " (expected: a skew from 0 to 5m, and a cache of at least 1m)");
      }
    }
  }

  /**
   * The listener's TLS (HTTP/1.1 and HTTP/2 over TLS instead of cleartext) and how proxies may
   * authenticate by client certificate instead of a token.
   *
   * @param certFile the listener's PEM certificate chain
   * @param keyFile its PEM private key (PKCS#8)
   * @param clientCaFile PEM CA certificates a client certificate must chain to, or null to ask
   *     for none
   * @param clientAuth whether a client certificate is asked for ({@code OPTIONAL}: a proxy may
   *     use a token instead) or required of every connection; {@code NONE} without {@code
   *     clientCaFile}
   * @param clientCerts the verified client certificates that name a proxy, in order (the first
   *     that matches names it)
   */
  public record Tls(Path certFile, Path keyFile, @Nullable Path clientCaFile,
      ClientAuth clientAuth, List<ClientCert> clientCerts) {
    /** Copies the list and checks the values. */
    public Tls {
      requireNonNull(certFile, "certFile");
      requireNonNull(keyFile, "keyFile");
      requireNonNull(clientAuth, "clientAuth");
      clientCerts = List.copyOf(clientCerts);
      if ((clientCaFile == null) != (clientAuth == ClientAuth.NONE)) {
        throw new IllegalArgumentException("clientAuth: " + clientAuth + " with"
            + (clientCaFile == null ? "out" : "") + " clientCaFile (expected: NONE exactly when"
            + " no client CA is configured)");
      }
      if (clientCaFile == null && !clientCerts.isEmpty()) {
        throw new IllegalArgumentException("clientCerts: set without clientCaFile (expected: a"
            + " client CA that their certificates chain to)");
      }
    }

    /** Whether client certificates are asked for. */
    public enum ClientAuth {
      /** None asked for. */
      NONE,
      /** Asked for; a client without one may still authenticate with a token. */
      OPTIONAL,
      /** Required of every connection (the TLS handshake fails without one). */
      REQUIRE
    }
  }

  /**
   * A verified client certificate that names a proxy, by its subject or its SPIFFE id.
   *
   * @param name the name recorded for the proxy, as a token's name is
   * @param subject the certificate's subject distinguished name (RFC 2253, such as {@code
   *     CN=gateway-1,O=Example}), or null
   * @param spiffeId a URI SAN the certificate must hold (such as {@code
   *     spiffe://example.org/ns/edge/sa/custos}), or null
   */
  public record ClientCert(String name, @Nullable String subject, @Nullable String spiffeId) {
    /** Checks that exactly one of subject and spiffeId is set. */
    public ClientCert {
      requireNonNull(name, "name");
      if ((subject == null) == (spiffeId == null)) {
        throw new IllegalArgumentException("client cert " + name + ": subject and spiffe_id"
            + " (expected: exactly one of them)");
      }
    }
  }

  /**
   * How long data is kept.
   *
   * @param rawEvents raw findings events and batch ids
   * @param minuteRollups per-minute aggregates
   * @param hourRollups per-hour aggregates, distinct values and lineage
   * @param interval how often the retention job runs
   */
  public record Retention(Duration rawEvents, Duration minuteRollups, Duration hourRollups,
      Duration interval) {
    /** The defaults: 7 days, 2 days, 90 days, every hour. */
    public static final Retention DEFAULT = new Retention(Duration.ofDays(7), Duration.ofDays(2),
        Duration.ofDays(90), Duration.ofHours(1));

    /** Checks the values. */
    public Retention {
      for (Duration d : List.of(rawEvents, minuteRollups, hourRollups, interval)) {
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("retention: " + d + " (expected: more than 0)");
        }
      }
    }
  }

  /**
   * The ingest work queue.
   *
   * @param queue batches that may wait for a writer
   * @param workers writers that decompress and parse batches; half as many committers (at least
   *     one, one for SQLite) store them, several batches per transaction (group commit)
   */
  public record Ingest(int queue, int workers) {
    /** The defaults: 64 batches, 4 writers. */
    public static final Ingest DEFAULT = new Ingest(64, 4);

    /** Checks the values. */
    public Ingest {
      if (queue < 1 || workers < 1) {
        throw new IllegalArgumentException(
            "ingest: queue " + queue + ", workers " + workers + " (expected: at least 1 each)");
      }
    }
  }
}
