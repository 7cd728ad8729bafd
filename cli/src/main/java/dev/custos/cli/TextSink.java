package dev.custos.cli;

import dev.custos.engine.Finding;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The human format, one line per finding: {@code file:line:column category detector confidence
 * preview [json-path]}. When a position is not known, {@code file:@byte-offset} is shown instead.
 */
final class TextSink implements FindingSink {
  private final Writer out;
  private final Progress progress;

  TextSink(PrintStream out, Progress progress) {
    this.out = new OutputStreamWriter(out, StandardCharsets.UTF_8);
    this.progress = progress;
  }

  @Override
  public boolean wantsPositions() {
    return true;
  }

  @Override
  public void begin() {}

  @Override
  public void finding(Source source, Finding f, LineIndex.@Nullable Position position)
      throws IOException {
    progress.clear();
    StringBuilder line = new StringBuilder(128).append(source.name()).append(':');
    if (position != null) {
      line.append(position.line()).append(':').append(position.column());
    } else {
      line.append('@').append(f.start());
    }
    line.append(' ')
        .append(f.category())
        .append(' ')
        .append(f.detector())
        .append(' ')
        .append(f.confidence().id())
        .append(' ')
        .append(f.evidence().preview());
    if (f.jsonPath() != null) {
      line.append(' ').append(f.jsonPath());
    }
    out.write(line.append('\n').toString());
    if (progress.enabled()) {
      out.flush();
    }
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void end() throws IOException {
    out.flush();
  }
}
