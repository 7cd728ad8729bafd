package dev.custos.proxy.internal.telemetry;

import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.FindingsSink;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.telemetry.commandplane.CommandPlaneOutput;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's findings sink: the configured JSON-lines file ({@code findings.file}) and the
 * command plane ({@code command}), which a reload may change, and the sink given in code. Never
 * blocks. Thread-safe.
 */
public final class FindingsOutput implements FindingsSink, AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(FindingsOutput.class);

  private final FindingsSink extra;
  private final CommandPlaneOutput command;
  private @Nullable Path file;
  private volatile FindingsSink.@Nullable Closeable fileSink;

  /**
   * Creates an output that sends every event to {@code extra}, to no file and no command plane
   * yet; the command plane's metrics go to {@code registry}.
   *
   * @param configVersion the version of the configuration the proxy runs
   */
  public FindingsOutput(FindingsSink extra, MeterRegistry registry,
      Supplier<String> configVersion) {
    this.extra = extra;
    this.command = new CommandPlaneOutput(registry, configVersion);
  }

  /**
   * Sends events to the command plane {@code next} describes from now on (none when null); see
   * {@link CommandPlaneOutput#configure}.
   */
  public void configureCommand(ProxyConfig.@Nullable Command next) {
    command.configure(next);
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
    command.accept(event);
    extra.accept(event);
  }

  /**
   * Writes the queued events and closes the file; sends or spools what the command plane sender
   * holds (within its {@code shutdown_timeout}) and stops it.
   */
  @Override
  public synchronized void close() {
    command.close();
    FindingsSink.Closeable f = fileSink;
    fileSink = null;
    file = null;
    if (f != null) {
      f.close();
    }
  }
}
