package dev.custos.proxy.internal.telemetry;

import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.FindingsSink;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's findings sink: the configured JSON-lines file ({@code findings.file}), which a
 * reload may change, and the sink given in code. Never blocks. Thread-safe.
 */
public final class FindingsOutput implements FindingsSink, AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(FindingsOutput.class);

  private final FindingsSink extra;
  private @Nullable Path file;
  private volatile FindingsSink.@Nullable Closeable fileSink;

  /** Creates an output that sends every event to {@code extra}, and to no file yet. */
  public FindingsOutput(FindingsSink extra) {
    this.extra = extra;
  }

  /**
   * Appends events to {@code next} from now on (none when null); the previous file is closed once
   * its queued events are written. A file that cannot be opened keeps the previous one.
   */
  public synchronized void configure(@Nullable Path next) {
    if (Objects.equals(next, file)) {
      return;
    }
    FindingsSink.Closeable opened = null;
    if (next != null) {
      try {
        opened = FindingsSink.jsonl(next);
      } catch (IOException e) {
        logger.warn("findings: cannot open {} ({}); events keep going to {}", next,
            e.getClass().getName(), file == null ? "no file" : file);
        return;
      }
    }
    FindingsSink.Closeable previous = fileSink;
    fileSink = opened;
    file = next;
    if (previous != null) {
      previous.close();
    }
  }

  @Override
  public void accept(FindingsEvent event) {
    FindingsSink.Closeable f = fileSink;
    if (f != null) {
      f.accept(event);
    }
    extra.accept(event);
  }

  /** Writes the queued events and closes the file. */
  @Override
  public synchronized void close() {
    FindingsSink.Closeable f = fileSink;
    fileSink = null;
    file = null;
    if (f != null) {
      f.close();
    }
  }
}
