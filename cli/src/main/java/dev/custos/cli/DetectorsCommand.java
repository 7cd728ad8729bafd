package dev.custos.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.Policy;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code custos detectors}: lists the built-in detectors. */
@Command(
    name = "detectors",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Lists the built-in detectors: id, category, what it checks and an example it finds "
            + "(in text, shortened to one line; --format json gives it whole).")
final class DetectorsCommand implements Callable<Integer> {
  enum Format {
    text,
    json
  }

  private static final int EXAMPLE_WIDTH = 48;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text", description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  Format format = Format.text;

  private final Io io;

  DetectorsCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws IOException {
    List<DetectorDefinition> detectors = Policy.ofDefault().detectors();
    if (format == Format.json) {
      writeJson(detectors, io.out());
    } else {
      writeText(detectors, io.out());
    }
    io.out().flush();
    return Main.OK;
  }

  private static void writeText(List<DetectorDefinition> detectors, PrintStream out) {
    int idWidth = "ID".length();
    int categoryWidth = "CATEGORY".length();
    int descriptionWidth = "DESCRIPTION".length();
    for (DetectorDefinition d : detectors) {
      idWidth = Math.max(idWidth, d.id().length());
      categoryWidth = Math.max(categoryWidth, d.category().length());
      descriptionWidth = Math.max(descriptionWidth, d.description().length());
    }
    String row = "%-" + idWidth + "s  %-" + categoryWidth + "s  %-" + descriptionWidth + "s  %s%n";
    out.printf(row, "ID", "CATEGORY", "DESCRIPTION", "EXAMPLE");
    for (DetectorDefinition d : detectors) {
      out.printf(row, d.id(), d.category(), d.description(), example(d)).flush();
    }
  }

  private static void writeJson(List<DetectorDefinition> detectors, PrintStream out) throws IOException {
    try (JsonGenerator json =
        JsonFactory.builder()
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build()
            .createGenerator(out)
            .useDefaultPrettyPrinter()) {
      json.writeStartArray();
      for (DetectorDefinition d : detectors) {
        json.writeStartObject();
        json.writeStringField("id", d.id());
        json.writeStringField("category", d.category());
        json.writeStringField("description", d.description());
        json.writeStringField("example", d.examples().isEmpty() ? null : d.examples().get(0));
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeRaw('\n');
    }
  }

  /** Returns the first example on one line (control characters escaped), shortened for the table. */
  static String example(DetectorDefinition d) {
    if (d.examples().isEmpty()) {
      return "-";
    }
    String example = d.examples().get(0);
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < example.length() && s.length() <= EXAMPLE_WIDTH; i++) {
      char c = example.charAt(i);
      if (c == '\n') {
        s.append("\\n");
      } else if (c == '\r') {
        s.append("\\r");
      } else if (c == '\t') {
        s.append("\\t");
      } else if (Character.isISOControl(c)) {
        s.append('?');
      } else {
        s.append(c);
      }
    }
    if (s.length() > EXAMPLE_WIDTH) {
      s.setLength(EXAMPLE_WIDTH - 1);
      s.append('…');
    }
    return s.toString();
  }
}
