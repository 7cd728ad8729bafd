package dev.custos.cli;

import java.io.InputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/** One input of {@code custos scan}: a file, or standard input ({@code -}). */
final class Source {
  static final String STDIN = "-";

  private final @Nullable Path path;
  private final String name;

  private Source(@Nullable Path path, String name) {
    this.path = path;
    this.name = name;
  }

  static Source stdin() {
    return new Source(null, STDIN);
  }

  static Source file(Path path) {
    return new Source(path, path.toString());
  }

  /** Returns the name shown in output: the path as given (joined with the walked directories), or {@code -}. */
  String name() {
    return name;
  }

  /** Returns the file, or null for stdin. */
  @Nullable Path path() {
    return path;
  }

  boolean isStdin() {
    return path == null;
  }

  /** Returns the file name used to guess the content type. */
  String fileName() {
    return path == null || path.getFileName() == null ? name : path.getFileName().toString();
  }

  InputStream open(Io io) throws IOException {
    return path == null ? io.in() : Files.newInputStream(path);
  }

  /** Returns the SARIF artifact URI: a relative reference for a relative path, a file URI otherwise. */
  String uri() {
    if (path == null) {
      return "stdin";
    }
    if (path.isAbsolute()) {
      return path.toUri().toString();
    }
    String relative = path.toString().replace(path.getFileSystem().getSeparator(), "/");
    try {
      return new URI(null, null, relative, null).toASCIIString();
    } catch (URISyntaxException e) {
      return relative;
    }
  }
}
