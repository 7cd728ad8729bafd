package dev.custos.command;

import static java.util.Objects.requireNonNull;

import dev.custos.command.internal.config.ConfigReader;
import dev.custos.engine.config.ConfigException;
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
 * @param apiTokens the tokens that may read the API, by digest
 * @param retention how long data is kept
 * @param ingest the ingest work queue
 * @param alerts alert rules and webhooks
 */
public record CommandConfig(
    String host,
    int port,
    Database database,
    List<Token> tokens,
    List<Token> apiTokens,
    Retention retention,
    Ingest ingest,
    AlertsConfig alerts) {

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

  /** Returns a configuration without alert rules. */
  public CommandConfig(String host, int port, Database database, List<Token> tokens,
      List<Token> apiTokens, Retention retention, Ingest ingest) {
    this(host, port, database, tokens, apiTokens, retention, ingest, AlertsConfig.NONE);
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
   * @param workers database writers
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
