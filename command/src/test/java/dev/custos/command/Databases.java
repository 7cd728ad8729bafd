package dev.custos.command;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;

/**
 * The databases tests run against: SQLite in a temporary directory, and the PostgreSQL on
 * 127.0.0.1:5432 (trust auth, database {@code test}, user {@code postgres}), each test in a
 * schema of its own that {@link #drop} removes. PostgreSQL tests are skipped when the server is
 * absent, and fail when {@code CI=true}.
 */
public final class Databases {
  /** The PostgreSQL the tests use. */
  public static final String POSTGRES_URL = "jdbc:postgresql://127.0.0.1:5432/test";
  public static final String POSTGRES_USER = "postgres";

  private static volatile Boolean postgresUp;

  private Databases() {}

  /** The kinds of database every repository test runs against. */
  public enum Kind {
    SQLITE, POSTGRESQL
  }

  /**
   * Returns a fresh database of {@code kind}: a SQLite file in {@code dir}, or a new PostgreSQL
   * schema (skipping the test when PostgreSQL is absent, failing it when CI=true).
   */
  public static CommandConfig.Database fresh(Kind kind, Path dir) {
    if (kind == Kind.SQLITE) {
      return CommandConfig.Database.sqlite(dir.resolve("command.db"));
    }
    requirePostgres();
    String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20)
        .toLowerCase(Locale.ROOT);
    return new CommandConfig.Database(POSTGRES_URL, POSTGRES_USER, null, schema, 4);
  }

  /** Skips the calling test when PostgreSQL is absent; fails it when CI=true. */
  public static void requirePostgres() {
    boolean up = postgresUp();
    if (!up && "true".equals(System.getenv("CI"))) {
      fail("PostgreSQL on 127.0.0.1:5432 (database test, user postgres) is required when CI=true");
    }
    assumeTrue(up, "PostgreSQL on 127.0.0.1:5432 is not running");
  }

  private static boolean postgresUp() {
    Boolean up = postgresUp;
    if (up == null) {
      Properties p = new Properties();
      p.setProperty("user", POSTGRES_USER);
      p.setProperty("connectTimeout", "3");
      try (Connection c = DriverManager.getConnection(POSTGRES_URL, p)) {
        up = true;
      } catch (SQLException e) {
        up = false;
      }
      postgresUp = up;
    }
    return up;
  }

  /** Drops a test's PostgreSQL schema (nothing for SQLite: its directory is temporary). */
  public static void drop(CommandConfig.Database db) {
    if (!db.postgresql() || db.schemaName().isEmpty()) {
      return;
    }
    Properties p = new Properties();
    p.setProperty("user", POSTGRES_USER);
    try (Connection c = DriverManager.getConnection(POSTGRES_URL, p);
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + db.schemaName().get() + " CASCADE");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
