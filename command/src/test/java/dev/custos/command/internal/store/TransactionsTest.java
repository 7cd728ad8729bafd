package dev.custos.command.internal.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** The transaction-and-retry loop the ingest store and the policy store share. */
class TransactionsTest {
  private static final SQLException BUSY = new SQLException("database is locked", null, 5);

  @TempDir Path dir;
  private SQLiteDataSource db;

  @BeforeEach
  void open() throws SQLException {
    db = new SQLiteDataSource();
    db.setUrl("jdbc:sqlite:" + dir.resolve("t.db"));
    try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE t (n INTEGER)");
    }
  }

  private long rows() throws SQLException {
    try (Connection c = db.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM t")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void insert(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("INSERT INTO t VALUES (1)");
    }
  }

  @Test
  void contentionIsRetriedAndOnlyTheAttemptThatCommitsLeavesRows() throws Exception {
    AtomicInteger attempts = new AtomicInteger();

    String out = Transactions.run(db, Transactions::contention, c -> {
      insert(c);
      if (attempts.incrementAndGet() < 3) {
        throw BUSY;
      }
      return "done";
    });

    assertThat(out).isEqualTo("done");
    assertThat(attempts).hasValue(3);
    assertThat(rows()).isEqualTo(1);
  }

  @Test
  void aFailureThatIsNotRetryableIsThrownAtOnceAndRolledBack() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    SQLException syntax = new SQLException("syntax error", "42601");

    assertThatThrownBy(() -> Transactions.run(db, Transactions::contention, c -> {
      attempts.incrementAndGet();
      insert(c);
      throw syntax;
    })).isSameAs(syntax);
    assertThat(attempts).hasValue(1);
    assertThat(rows()).isZero();
  }

  @Test
  void contentionThatLastsIsThrownAfterTheLastAttempt() {
    AtomicInteger attempts = new AtomicInteger();

    assertThatThrownBy(() -> Transactions.run(db, Transactions::contention, c -> {
      attempts.incrementAndGet();
      throw BUSY;
    })).isSameAs(BUSY);
    assertThat(attempts).hasValue(Transactions.ATTEMPTS);
  }

  @Test
  void theSetupRunsInAutoCommitBeforeEachAttemptAndKeepsWhatItWrote() throws Exception {
    AtomicInteger setups = new AtomicInteger();

    assertThatThrownBy(() -> Transactions.run(db, Transactions::contention, c -> {
      insert(c);
      return setups.incrementAndGet();
    }, (c, n) -> {
      insert(c);
      throw BUSY;
    })).isSameAs(BUSY);
    assertThat(setups).hasValue(Transactions.ATTEMPTS);
    assertThat(rows()).isEqualTo(Transactions.ATTEMPTS);
  }

  @Test
  void sqlStatesAndSqliteCodesAreClassified() {
    assertThat(Transactions.contention(new SQLException("deadlock", "40P01"))).isTrue();
    assertThat(Transactions.contention(new SQLException("serialization", "40001"))).isTrue();
    assertThat(Transactions.contention(new SQLException("locked", null, 6))).isTrue();
    assertThat(Transactions.contention(new SQLException("unique", "23505"))).isFalse();
    assertThat(Transactions.uniqueViolation(new SQLException("unique", "23505"))).isTrue();
    assertThat(Transactions.uniqueViolation(new SQLException("constraint", null, 19)))
        .isTrue();
    assertThat(Transactions.uniqueViolation(BUSY)).isFalse();
  }
}
