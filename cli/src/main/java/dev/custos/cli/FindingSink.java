package dev.custos.cli;

import dev.custos.engine.Finding;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/** Where {@code custos scan} writes its findings, in one of the output formats. */
interface FindingSink {
  /** Returns whether this format shows lines and columns (so they must be tracked). */
  boolean wantsPositions();

  void begin() throws IOException;

  void finding(Source source, Finding finding, LineIndex.@Nullable Position position) throws IOException;

  /** Called after each source, so that output appears as files are scanned. */
  void flush() throws IOException;

  void end() throws IOException;
}
