package dev.custos.command.internal.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Predicate;
import javax.sql.DataSource;

/**
 * Runs a unit of work in one transaction on SQLite or PostgreSQL, and runs it again, on a fresh
 * connection, when the database refused it for a reason a retry can pass: a deadlock or
 * serialization failure (PostgreSQL), a busy or locked database (SQLite). The work must be safe
 * to run again: everything it did was rolled back. Thread-safe (no state).
 */
public final class Transactions {
  /** How many times a unit of work is tried in all. */
  public static final int ATTEMPTS = 5;

  private Transactions() {}

  /** A unit of work on a connection in a transaction. */
  @FunctionalInterface
  public interface Work<T> {
    /** Does the work; the caller commits. */
    T run(Connection c) throws SQLException;
  }

  /** What runs on the connection in auto-commit mode before each attempt's transaction. */
  @FunctionalInterface
  public interface Setup<S> {
    /** Prepares the attempt; whatever it writes is committed at once. */
    S run(Connection c) throws SQLException;
  }

  /** A unit of work on a connection in a transaction, given what its setup returned. */
  @FunctionalInterface
  public interface SetUpWork<S, T> {
    /** Does the work; the caller commits. */
    T run(Connection c, S setup) throws SQLException;
  }

  /**
   * Runs {@code work} in a transaction, committing when it returns and rolling back when it
   * throws; up to {@link #ATTEMPTS} times while the failure is {@code retryable}.
   *
   * @throws SQLException the last failure, or the first that is not retryable
   */
  public static <T> T run(DataSource db, Predicate<SQLException> retryable, Work<T> work)
      throws SQLException {
    return run(db, retryable, c -> null, (c, none) -> work.run(c));
  }

  /**
   * Runs {@code setup} in auto-commit mode, then {@code work} in a transaction on the same
   * connection, committing when it returns and rolling back when it throws; both up to {@link
   * #ATTEMPTS} times while the failure is {@code retryable}.
   *
   * @throws SQLException the last failure, or the first that is not retryable
   */
  public static <S, T> T run(DataSource db, Predicate<SQLException> retryable, Setup<S> setup,
      SetUpWork<S, T> work) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try (Connection c = db.getConnection()) {
        S prepared = setup.run(c);
        c.setAutoCommit(false);
        try {
          T out = work.run(c, prepared);
          c.commit();
          return out;
        } catch (SQLException | RuntimeException e) {
          c.rollback();
          throw e;
        } finally {
          c.setAutoCommit(true);
        }
      } catch (SQLException e) {
        if (attempt >= ATTEMPTS || !retryable.test(e)) {
          throw e;
        }
      }
    }
  }

  /**
   * Returns whether the database refused a transaction for contention alone: a deadlock
   * (40P01) or serialization failure (40001) on PostgreSQL, SQLITE_BUSY or SQLITE_LOCKED.
   */
  public static boolean contention(SQLException e) {
    String state = e.getSQLState();
    int code = e.getErrorCode() & 0xff;
    return "40P01".equals(state) || "40001".equals(state) || code == 5 || code == 6;
  }

  /**
   * Returns whether a transaction broke a unique constraint (23505 on PostgreSQL,
   * SQLITE_CONSTRAINT): another writer took the same key first.
   */
  public static boolean uniqueViolation(SQLException e) {
    return "23505".equals(e.getSQLState()) || (e.getErrorCode() & 0xff) == 19;
  }
}
