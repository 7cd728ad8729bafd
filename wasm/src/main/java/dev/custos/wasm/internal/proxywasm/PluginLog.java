package dev.custos.wasm.internal.proxywasm;

import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the stdout/stderr lines of one plugin's VMs to the plugin logger, at most {@link
 * #LINES_PER_SECOND} lines per second for all the plugin's VMs together; lines over the rate are
 * dropped, and how many is said before the next line that passes. Thread-safe.
 */
final class PluginLog {
  /** The most lines per second a plugin may write to stdout and stderr together. */
  static final int LINES_PER_SECOND = 100;

  private static final Logger PLUGIN_LOG =
      LoggerFactory.getLogger("dev.custos.wasm.proxywasm.plugin");
  private static final long SECOND = 1_000_000_000L;

  /** Receives what passes the rate limit. */
  interface Sink {
    /** Takes one escaped line of {@code fd} (1 stdout, 2 stderr). */
    void line(int fd, String line);

    /** Says that {@code lines} lines were dropped since the last line that passed. */
    void dropped(long lines);
  }

  private final LongSupplier nanoTime;
  private final Sink sink;
  private long windowStart;
  private int linesInWindow;
  private long dropped;

  PluginLog(LongSupplier nanoTime, Sink sink) {
    this.nanoTime = nanoTime;
    this.sink = sink;
    this.windowStart = nanoTime.getAsLong();
  }

  /** Returns the log of the named plugin on the logger {@code dev.custos.wasm.proxywasm.plugin}. */
  static PluginLog of(String plugin) {
    return new PluginLog(
        System::nanoTime,
        new Sink() {
          @Override
          public void line(int fd, String line) {
            if (fd == 2) {
              PLUGIN_LOG.warn("[{}] stderr: {}", plugin, line);
            } else {
              PLUGIN_LOG.info("[{}] stdout: {}", plugin, line);
            }
          }

          @Override
          public void dropped(long lines) {
            PLUGIN_LOG.warn(
                "[{}] {} stdout/stderr lines dropped (expected: at most {} lines per second)",
                plugin,
                lines,
                LINES_PER_SECOND);
          }
        });
  }

  /** Logs one escaped line of {@code fd}, unless the plugin is over its rate. */
  void line(int fd, String escaped) {
    long droppedBefore;
    synchronized (this) {
      long now = nanoTime.getAsLong();
      if (now - windowStart >= SECOND) {
        windowStart = now;
        linesInWindow = 0;
      }
      if (linesInWindow >= LINES_PER_SECOND) {
        dropped++;
        return;
      }
      linesInWindow++;
      droppedBefore = dropped;
      dropped = 0;
    }
    if (droppedBefore > 0) {
      sink.dropped(droppedBefore);
    }
    sink.line(fd, escaped);
  }
}
