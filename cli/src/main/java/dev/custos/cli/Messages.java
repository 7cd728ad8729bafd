package dev.custos.cli;

import dev.custos.engine.PolicyException;
import dev.custos.engine.config.ConfigException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** Turns exceptions into the one-line messages the CLI prints. */
final class Messages {
  private Messages() {}

  /** Returns whether {@code e} is a problem of the user's input or setup rather than a bug. */
  static boolean isConfigurationError(Throwable e) {
    return e instanceof PolicyException
        || e instanceof dev.custos.engine.PluginDetectorException
        || e instanceof ConfigException
        || e instanceof IllegalArgumentException
        || e instanceof IllegalStateException
        || e instanceof IOException
        || e instanceof UncheckedIOException;
  }

  /** Returns a short message for {@code e}; engine messages never contain raw values. */
  static String of(Throwable e) {
    if (e instanceof UncheckedIOException && e.getCause() != null) {
      return of(e.getCause());
    }
    if (e instanceof NoSuchFileException) {
      return ((NoSuchFileException) e).getFile() + ": no such file or directory";
    }
    if (e instanceof AccessDeniedException) {
      return ((AccessDeniedException) e).getFile() + ": permission denied";
    }
    if (e instanceof NotDirectoryException) {
      return ((NotDirectoryException) e).getFile() + ": not a directory";
    }
    if (e instanceof FileSystemException) {
      FileSystemException f = (FileSystemException) e;
      return f.getFile() + ": " + (f.getReason() != null ? f.getReason() : f.getClass().getSimpleName());
    }
    String message = e.getMessage();
    if (message == null || message.isBlank()) {
      return e.getClass().getSimpleName();
    }
    return e instanceof IOException ? e.getClass().getSimpleName() + ": " + message : message;
  }
}
