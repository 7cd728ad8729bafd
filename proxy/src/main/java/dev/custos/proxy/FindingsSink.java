package dev.custos.proxy;

import dev.custos.proxy.internal.telemetry.JsonlFindingsSink;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Receives one {@link FindingsEvent} per inspected message that had findings, an action or an
 * uninspectable part. Called on an event loop: implementations must be thread-safe and must not
 * block (queue the event and write elsewhere).
 */
@FunctionalInterface
public interface FindingsSink {
  /** Returns a sink that drops every event. */
  static FindingsSink noop() {
    return event -> {};
  }

  /**
   * Returns a sink that appends each event as one JSON line to {@code file}, from a background
   * thread; events past a queue of 10,000 are dropped and counted. Close it to flush.
   *
   * @throws IOException if the file cannot be opened for appending
   */
  static Closeable jsonl(Path file) throws IOException {
    return new JsonlFindingsSink(file, 10_000);
  }

  /** Takes one event; must return quickly. */
  void accept(FindingsEvent event);

  /** A sink that holds a resource. */
  interface Closeable extends FindingsSink, AutoCloseable {
    /** Returns how many events were dropped because the queue was full. */
    long dropped();

    /** Writes the queued events and releases the file. */
    @Override
    void close();
  }
}
