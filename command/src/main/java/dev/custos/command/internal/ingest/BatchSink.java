package dev.custos.command.internal.ingest;

import dev.custos.command.internal.store.Batch;
import java.sql.SQLException;

/** Where {@link IngestService} hands a parsed batch: the store itself, or a {@link GroupCommit}. */
@FunctionalInterface
public interface BatchSink {
  /**
   * Stores a batch, blocking until it is stored.
   *
   * @return the number of events stored, or -1 for a duplicate
   * @throws SQLException if the database fails
   */
  int store(Batch batch) throws SQLException;
}
