package dev.custos.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * A one-line progress bar on stderr, redrawn at most every 100 ms. Disabled (every method a no-op)
 * unless enabled at construction, which the scan command does only for a terminal and many files.
 */
final class Progress {
  private static final long REDRAW_NANOS = 100_000_000L;
  private static final int WIDTH = 24;

  private final PrintStream err;
  private final boolean enabled;
  private final int totalFiles;
  private int file;
  private String name = "";
  private long bytes;
  private long lastDraw;
  private boolean drawn;

  Progress(PrintStream err, boolean enabled, int totalFiles) {
    this.err = err;
    this.enabled = enabled;
    this.totalFiles = totalFiles;
  }

  /**
   * Returns whether {@code err} is this process's standard error and that is a terminal. Java 17
   * cannot ask about one stream, so on Linux this reads where file descriptor 2 points; elsewhere
   * it falls back to {@link System#console()}, which needs standard input and output too.
   */
  static boolean isTerminal(PrintStream err) {
    if (err != System.err) {
      return false;
    }
    Path fd = Path.of("/proc/self/fd/2");
    if (Files.exists(fd, LinkOption.NOFOLLOW_LINKS)) {
      try {
        return isTerminalDevice(Files.readSymbolicLink(fd).toString());
      } catch (IOException | UnsupportedOperationException | SecurityException e) {
        return false;
      }
    }
    return System.console() != null;
  }

  /** Returns whether a device path names a terminal ({@code /dev/pts/N}, {@code /dev/ttyN}). */
  static boolean isTerminalDevice(String device) {
    return device.startsWith("/dev/pts/") || device.startsWith("/dev/tty");
  }

  static Progress disabled(PrintStream err) {
    return new Progress(err, false, 0);
  }

  boolean enabled() {
    return enabled;
  }

  void startFile(int index, String name) {
    this.file = index;
    this.name = name;
    draw(false);
  }

  void advance(long n) {
    bytes += n;
    draw(false);
  }

  /** Erases the bar, so that other output can be printed on a clean line. */
  void clear() {
    if (enabled && drawn) {
      err.print("\r\033[K");
      err.flush();
      drawn = false;
    }
  }

  private void draw(boolean force) {
    if (!enabled) {
      return;
    }
    long now = System.nanoTime();
    if (!force && drawn && now - lastDraw < REDRAW_NANOS) {
      return;
    }
    lastDraw = now;
    int filled = totalFiles == 0 ? 0 : (int) ((long) WIDTH * Math.max(file - 1, 0) / totalFiles);
    StringBuilder line = new StringBuilder("\r\033[K[");
    line.append("#".repeat(filled)).append("-".repeat(WIDTH - filled)).append("] ");
    line.append(file).append('/').append(totalFiles).append(" files, ").append(Sizes.human(bytes));
    String shown = name.length() > 40 ? "…" + name.substring(name.length() - 39) : name;
    line.append("  ").append(shown);
    err.print(line);
    err.flush();
    drawn = true;
  }
}
